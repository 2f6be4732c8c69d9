// meibo console, import pages: a drop zone for the upload, the form's
// options per format, and the status of running imports, polled every
// second. Every page works without this file: the file input is a plain
// one, and a "refresh" link shows the latest status.
"use strict";
(function () {
  var root = document.documentElement;
  root.classList.add("js");

  function sizeText(n) {
    if (n < 1024) return n + " bytes";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1024 / 1024).toFixed(1) + " MiB";
  }

  // The drop zone: a labelled area around a real file input. A file dropped
  // on it is set into the input, as if chosen.
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var chosen = zone.querySelector("[data-dropzone-chosen]");
    var error = zone.querySelector("[data-dropzone-error]");
    if (!input) return;
    var max = parseInt(input.dataset.maxBytes || "0", 10);

    function check() {
      var f = input.files && input.files[0];
      var msg = "";
      if (f && max > 0 && f.size > max) msg = input.dataset.tooLarge || "";
      input.setCustomValidity(msg);
      if (error) {
        error.textContent = msg;
        error.hidden = msg === "";
      }
      if (msg) {
        input.setAttribute("aria-invalid", "true");
        zone.classList.add("invalid");
      } else {
        input.removeAttribute("aria-invalid");
        zone.classList.remove("invalid");
      }
      if (chosen) {
        chosen.textContent = f ? (input.dataset.chosen || "{name} ({size})").replace("{name}", f.name).replace("{size}", sizeText(f.size)) : "";
      }
      zone.classList.toggle("has-file", !!f);
    }

    input.addEventListener("change", check);
    var depth = 0;
    zone.addEventListener("dragenter", function (e) {
      e.preventDefault();
      depth++;
      zone.classList.add("over");
    });
    zone.addEventListener("dragover", function (e) {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove("over");
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      depth = 0;
      zone.classList.remove("over");
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || files.length === 0) return;
      try {
        var dt = new DataTransfer();
        dt.items.add(files[0]);
        input.files = dt.files;
      } catch (err) {
        input.files = files; // older browsers: the whole list
      }
      check();
      input.focus();
    });
    // A file dropped beside the zone must not replace the page (and the form).
    window.addEventListener("dragover", function (e) { e.preventDefault(); });
    window.addEventListener("drop", function (e) { e.preventDefault(); });
  });

  // Options that apply to some formats only are switched off for the others.
  document.querySelectorAll("form[data-import-form]").forEach(function (form) {
    function apply() {
      var picked = form.querySelector("input[name=format]:checked");
      var format = picked ? picked.value : "";
      form.querySelectorAll("[data-for-formats]").forEach(function (el) {
        var on = el.dataset.forFormats.split(" ").indexOf(format) >= 0;
        el.classList.toggle("is-off", !on);
        el.querySelectorAll("input, select").forEach(function (c) { c.disabled = !on; });
      });
    }
    form.querySelectorAll("input[name=format]").forEach(function (r) { r.addEventListener("change", apply); });
    apply();
  });

  // Status of waiting and running imports: each element with
  // data-import-poll asks its status address every second and updates its
  // fields in place until the job has finished.
  var announce = document.querySelector("[data-import-announce]");
  function say(id, label) {
    if (!announce) return;
    announce.textContent = (announce.dataset.text || "{id}: {status}").replace("{id}", id).replace("{status}", label);
  }
  function giveUp() {
    root.classList.remove("js"); // show the refresh links again
  }

  document.querySelectorAll("[data-import-poll]").forEach(function (el) {
    var url = el.dataset.importPoll;
    function set(name, value) {
      el.querySelectorAll("[data-field=" + name + "]").forEach(function (f) {
        if (name === "progress") {
          f.value = value;
          f.textContent = value + "%";
        } else {
          f.textContent = value;
        }
      });
    }
    function update(s) {
      el.querySelectorAll("[data-field=status]").forEach(function (f) {
        f.textContent = s.label;
        f.className = "status " + s.status;
      });
      set("progress", s.percent);
      set("rows", s.rows);
      set("created", s.created);
      set("updated", s.updated);
      set("deleted", s.deleted);
      set("unchanged", s.unchanged);
      set("errors", s.errors);
      set("warnings", s.warnings);
      if (s.summary) set("summary", s.summary);
      set("progresstext", s.progressText || "");
    }
    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (res) {
          var type = res.headers.get("Content-Type") || "";
          if (!res.ok || res.redirected || type.indexOf("application/json") !== 0) throw new Error("status " + res.status);
          return res.json();
        })
        .then(function (s) {
          update(s);
          if (!s.done) {
            window.setTimeout(poll, 1000);
            return;
          }
          el.removeAttribute("data-import-poll");
          say(s.id, s.label);
          if (el.hasAttribute("data-import-reload")) {
            // The job's page lists its errors and warnings once it is done.
            window.setTimeout(function () { window.location.reload(); }, 300);
            return;
          }
          el.querySelectorAll("progress").forEach(function (p) { p.remove(); });
        })
        .catch(giveUp);
    }
    window.setTimeout(poll, 1000);
  });
})();
