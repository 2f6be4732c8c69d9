// meibo console, administrators form: the authority matrix and the
// department groups. The form works without this script; the server checks
// every rule again.
"use strict";
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#matrix input[type=checkbox][name=auth]"));
  if (boxes.length === 0) {
    return;
  }
  var byName = {};
  boxes.forEach(function (b) { byName[b.value] = b; });
  var fixed = boxes.every(function (b) { return b.disabled; }); // AUTOBACKUPUSER: shown, not changed

  // A dependent authority can be ticked only while every parent is ticked:
  // otherwise it is unticked and disabled. Repeated until nothing changes,
  // since a dependent may be the parent of another (33 → 34).
  // The department groups show while "department administrator" is ticked.
  function update() {
    var groups = document.getElementById("dept-groups");
    if (groups) {
      var by = document.getElementById(groups.dataset.shownBy);
      groups.hidden = !(by && by.checked);
    }
    if (fixed) {
      return;
    }
    var changed = true;
    while (changed) {
      changed = false;
      boxes.forEach(function (b) {
        var parents = (b.dataset.parents || "").split(" ").filter(Boolean);
        var ok = parents.every(function (p) { return byName[p] && byName[p].checked && !byName[p].disabled; });
        if (!ok && b.checked) {
          b.checked = false;
          changed = true;
        }
        if (b.disabled === ok) {
          b.disabled = !ok;
          b.closest("li").classList.toggle("off", !ok);
          changed = true;
        }
      });
    }
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });

  // The checkboxes of a hidden group list are not sent.
  var form = boxes[0].form;
  form.addEventListener("submit", function () {
    var groups = document.getElementById("dept-groups");
    if (groups && groups.hidden) {
      groups.querySelectorAll("input[type=checkbox]").forEach(function (g) { g.checked = false; });
    }
  });
  update();
})();
