/* Portail Famille: accessibility of FAB's and Bootstrap's widgets. Loaded after FAB's
   ab.js: the lines at the top run before ab.js starts select2 (on "ready"),
   the "ready" handler below runs after it. */
(function ($) {
  "use strict";
  if (!$) { return; }
  var multiple = "select.my_select2[multiple]";
  // FAB starts select2 with English texts ("Select a State", "No results
  // found"): the French ones come from this script tag's data attributes,
  // written by the template through Flask-Babel.
  var texts = (document.currentScript && document.currentScript.dataset) || {};
  if ($.fn.select2 && texts.choose) {
    $.fn.select2.defaults.set("language", {
      noResults: function () { return texts.noResults; },
      searching: function () { return texts.searching; },
      removeAllItems: function () { return texts.removeAll; },
      errorLoading: function () { return texts.errorLoading; }
    });
    $("select.my_select2").attr("data-placeholder", texts.choose);
  }
  // select2 4.0 puts its "clear all" cross inside the <ul> of the chosen
  // values, where only list items belong (RGAA 9.3): multiple selects do
  // without it, each chosen value keeps its own cross.
  $(multiple).attr("data-allow-clear", "false");
  // Bootstrap 3 writes aria-expanded on the panel it opens or closes (the
  // "Search" panel of a list, the phone's menu), where ARIA does not allow it
  // (RGAA 7.1); the button or link that opens it keeps its own.
  $(document).on("shown.bs.collapse hidden.bs.collapse", function (event) {
    event.target.removeAttribute("aria-expanded");
  });
  $(function () {
    // The search box select2 adds to a multiple select has no label
    // (RGAA 11.1): it takes the field's.
    $(multiple).each(function () {
      var label = this.labels && this.labels.length ? this.labels[0].textContent : this.name;
      $(this).next(".select2-container").find(".select2-search__field")
        .attr("aria-label", (label || "").replace(/\s+/g, " ").trim());
    });
  });
})(window.jQuery);
