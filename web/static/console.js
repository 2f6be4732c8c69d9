// meibo console: small enhancements; every page works without them.
"use strict";
(function () {
  // A select that opens another page when changed: data-navigate holds the
  // address with {id} for the chosen value.
  document.querySelectorAll("select[data-navigate]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      window.location.href = sel.dataset.navigate.replace("{id}", encodeURIComponent(sel.value));
    });
  });
})();
