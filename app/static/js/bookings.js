/* Bookings screens: small enhancements; every screen works without them. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // "Éléments par page": apply the choice at once.
    document.querySelectorAll("select.pf-autosubmit").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Staff queues: select every row.
    document.querySelectorAll("input.pf-check-all").forEach(function (box) {
      box.addEventListener("change", function () {
        var form = box.closest("form");
        form.querySelectorAll("input[name=presence_ids]").forEach(function (row) {
          row.checked = box.checked;
        });
      });
    });
    // Cancellation: show the date range only for "Plusieurs jours".
    var range = document.querySelector(".pf-range-fields");
    if (range) {
      var radios = document.querySelectorAll("input[name=scope]");
      var sync = function () {
        var many = document.querySelector("input[name=scope]:checked");
        range.style.display = many && many.value === "many" ? "" : "none";
      };
      radios.forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    }
    // Recopier: show the options of the chosen way only.
    var recopy = document.querySelector("form.pf-recopy");
    if (recopy) {
      var blocks = {
        day: recopy.querySelector("input[name=target_day]"),
        week: recopy.querySelector("input[name=week_day]"),
        targets: recopy.querySelector(".pf-targets")
      };
      var syncMode = function () {
        var chosen = recopy.querySelector("input[name=mode]:checked");
        Object.keys(blocks).forEach(function (key) {
          var el = blocks[key];
          if (!el) { return; }
          var box = el.classList.contains("pf-targets") ? el : el.closest("label");
          box.style.display = chosen && chosen.value === key ? "" : "none";
        });
      };
      recopy.querySelectorAll("input[name=mode]").forEach(function (r) {
        r.addEventListener("change", syncMode);
      });
      syncMode();
    }
  });
})();
