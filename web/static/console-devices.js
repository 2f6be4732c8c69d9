// meibo console, devices pages: copy buttons for a new enrolment token, and
// the status of a device's commands followed while they run. Every page
// works without this script.
"use strict";
(function () {
  // Copy buttons: data-copy names the input whose value is copied.
  var status = document.querySelector("[data-copy-status]");
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var input = document.getElementById(btn.dataset.copy);
    if (!input || !navigator.clipboard) {
      return;
    }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        var label = btn.textContent;
        btn.textContent = btn.dataset.copied;
        if (status) {
          status.textContent = btn.dataset.copied;
        }
        setTimeout(function () { btn.textContent = label; }, 2000);
      }, function () {
        input.select();
      });
    });
  });
  // A readonly field selects all of itself when focused, to copy by hand.
  document.querySelectorAll(".dev-copy input[readonly]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  // Command history: while a command waits or runs, ask for the statuses.
  var table = document.querySelector("table[data-commands]");
  if (!table) {
    return;
  }
  document.querySelectorAll("[data-nojs]").forEach(function (el) { el.hidden = true; });
  function open() {
    return table.querySelectorAll("tr[data-command][data-final=false]");
  }
  // The details card: what a check-in changes (lock state, location,
  // battery, last check-in) follows the device while the page is open.
  var facts = document.querySelector("[data-device-facts]");
  function fact(name, text) {
    var el = facts && facts.querySelector("[data-fact=" + name + "]");
    if (el && el.dataset.text !== text) {
      el.dataset.text = text;
      el.textContent = text;
      return el;
    }
    return null;
  }
  function updateFacts(d) {
    if (!facts || !d) {
      return;
    }
    fact("checkin", d.checkin);
    fact("battery", d.battery);
    var lock = fact("lock", d.lock);
    if (lock && d.locked) {
      lock.textContent = "";
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = d.lock;
      lock.appendChild(tag);
    }
    var loc = fact("location", d.location + (d.mapUrl || ""));
    if (loc) {
      loc.textContent = d.location;
      if (d.mapUrl) {
        var a = document.createElement("a");
        a.href = d.mapUrl;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        a.textContent = d.mapLabel;
        loc.appendChild(document.createTextNode(" "));
        loc.appendChild(a);
      }
    }
  }
  function set(row, field, text) {
    var el = row.querySelector("[data-field=" + field + "]");
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }
  function poll() {
    fetch(table.dataset.commands, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) {
          return;
        }
        updateFacts(body.device);
        body.commands.forEach(function (c) {
          var row = table.querySelector("tr[data-command='" + c.id + "']");
          if (!row || row.dataset.final === "true") {
            return;
          }
          var st = row.querySelector("[data-field=status]");
          if (st) {
            st.textContent = c.label;
            st.className = "status st-" + c.status;
          }
          set(row, "delivered", c.delivered);
          set(row, "finished", c.finished);
          set(row, "result", c.result);
          if (c.status !== "queued") {
            var cancel = row.querySelector("[data-field=cancel]");
            if (cancel) {
              cancel.remove();
            }
          }
          if (c.final) {
            row.dataset.final = "true";
          }
        });
      })
      .catch(function () {})
      .then(function () {
        // Quickly while a command waits or runs, then at a calmer pace
        // for the card.
        setTimeout(poll, open().length > 0 ? 1500 : 5000);
      });
  }
  setTimeout(poll, 1000);
})();
