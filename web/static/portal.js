// meibo portal: updates the status of recent commands while they run. A
// command that changed what the page shows (a lock, a location) refreshes
// the device's facts once it is done; a finished wipe goes back to the list
// of devices, which the wiped device has left; a session that ended reloads
// the page, which then asks to sign in again.
"use strict";
(function () {
  var items = document.querySelectorAll("li[data-command][data-final=false]");
  if (!items.length) return;
  var changesFacts = { lock: true, locate: true };
  var stopped = false;
  // refreshFacts reads the device's page again and puts its facts in place
  // of the ones shown.
  function refreshFacts() {
    fetch(location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("dl.facts");
        var shown = document.querySelector("dl.facts");
        if (fresh && shown) shown.replaceWith(fresh);
      })
      .catch(function () {});
  }
  function poll() {
    var open = 0;
    items.forEach(function (li) {
      if (li.dataset.final === "true" || stopped) return;
      open++;
      fetch("/commands/" + li.dataset.command + "/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 401 && !stopped) {
            stopped = true;
            location.reload();
          }
          return r.ok ? r.json() : null;
        })
        .then(function (c) {
          if (!c || stopped) return;
          var st = li.querySelector(".status");
          st.textContent = c.label;
          st.className = "status st-" + c.status;
          if (!c.final) return;
          li.dataset.final = "true";
          var form = li.querySelector("form");
          if (form) form.remove();
          if (c.status === "done" && li.dataset.action === "wipe") {
            stopped = true;
            setTimeout(function () { location.assign("/"); }, 1500);
          } else if (c.status === "done" && changesFacts[li.dataset.action]) {
            refreshFacts();
          }
        })
        .catch(function () {});
    });
    if (open > 0 && !stopped) setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
