/* meibo console: the selection of a list (users, devices) for bulk
   actions, and the fields that apply to one action only. Without script,
   rows are ticked one by one, a box selects all matching, and every field
   shows. */
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) { return; }

  // A field marked data-bulk-when="select-id=value …" shows only while
  // each named select has that value.
  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-when]"));
  function showFields() {
    conditional.forEach(function (f) {
      f.hidden = !f.getAttribute("data-bulk-when").split(" ").every(function (cond) {
        var kv = cond.split("=");
        var sel = document.getElementById(kv[0]);
        return !sel || sel.value === kv[1];
      });
    });
  }
  Array.prototype.slice.call(form.querySelectorAll("select")).forEach(function (s) {
    s.addEventListener("change", showFields);
  });
  showFields();

  // On a confirmation, the button says what the chosen action does
  // (data-bulk-run of its option), and the page now shows that action's
  // confirmation: the server need not show it again (data-bulk-shown).
  var run = form.querySelector("button[data-bulk-run]");
  var shown = form.querySelector("[data-bulk-shown]");
  var action = document.getElementById("bulk-action");
  if (run && shown && action) {
    action.addEventListener("change", function () {
      var o = action.options[action.selectedIndex];
      if (o && o.getAttribute("data-bulk-run")) {
        run.textContent = o.getAttribute("data-bulk-run");
        shown.value = action.value;
      }
    });
  }

  var page = document.querySelector("[data-bulk-page]");
  var allInput = form.querySelector("[data-bulk-all-input]");
  if (!page || !allInput) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
  var banner = form.querySelector("[data-bulk-banner]");
  var allOn = form.querySelector("[data-bulk-all-on]");
  var allButton = form.querySelector("[data-bulk-all]");
  var clear = form.querySelector("[data-bulk-clear]");
  form.querySelector("[data-bulk-nojs]").hidden = true;

  function update() {
    var ticked = rows.filter(function (r) { return r.checked; }).length;
    page.checked = rows.length > 0 && ticked === rows.length;
    page.indeterminate = ticked > 0 && ticked < rows.length;
    banner.hidden = allInput.checked || !page.checked;
    allOn.hidden = !allInput.checked;
  }
  page.addEventListener("change", function () {
    rows.forEach(function (r) { r.checked = page.checked; });
    if (!page.checked) { allInput.checked = false; }
    update();
  });
  rows.forEach(function (r) {
    r.addEventListener("change", function () {
      if (!r.checked) { allInput.checked = false; }
      update();
    });
  });
  if (allButton) {
    allButton.addEventListener("click", function () {
      allInput.checked = true;
      update();
      clear.focus();
    });
  }
  clear.addEventListener("click", function () {
    allInput.checked = false;
    rows.forEach(function (r) { r.checked = false; });
    update();
    page.focus();
  });
  update();
})();
