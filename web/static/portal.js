// meibo portal: updates the status of recent commands while they run.
"use strict";
(function () {
  var items = document.querySelectorAll("li[data-command][data-final=false]");
  if (!items.length) return;
  var lang = document.documentElement.lang;
  function poll() {
    var open = 0;
    items.forEach(function (li) {
      if (li.dataset.final === "true") return;
      open++;
      fetch("/commands/" + li.dataset.command + "/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) {
          if (!c) return;
          var st = li.querySelector(".status");
          st.textContent = c.label;
          st.className = "status st-" + c.status;
          if (c.final) {
            li.dataset.final = "true";
            var form = li.querySelector("form");
            if (form) form.remove();
          }
        })
        .catch(function () {});
    });
    if (open > 0) setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
