/* Portail Famille: small fixes run before FAB's ab.js starts its widgets. */
(function () {
  "use strict";
  // FAB's optional relation selects show their blank choice as "__None".
  var blanks = document.querySelectorAll('option[value="__None"]');
  for (var i = 0; i < blanks.length; i++) {
    if (!blanks[i].textContent.trim() || blanks[i].textContent.trim() === "__None") {
      blanks[i].textContent = "\u2014";
    }
  }
})();
