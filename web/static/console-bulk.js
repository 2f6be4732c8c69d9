/* meibo console: the users list's selection for bulk actions. Without
   script, rows are ticked one by one and a box selects all matching. */
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) { return; }
  var page = document.querySelector("[data-bulk-page]");
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
  var banner = form.querySelector("[data-bulk-banner]");
  var allOn = form.querySelector("[data-bulk-all-on]");
  var allInput = form.querySelector("[data-bulk-all-input]");
  var allButton = form.querySelector("[data-bulk-all]");
  var clear = form.querySelector("[data-bulk-clear]");
  var action = form.querySelector("#bulk-action");
  var target = form.querySelector("#bulk-target");
  form.querySelector("[data-bulk-nojs]").hidden = true;

  function update() {
    var ticked = rows.filter(function (r) { return r.checked; }).length;
    page.checked = rows.length > 0 && ticked === rows.length;
    page.indeterminate = ticked > 0 && ticked < rows.length;
    banner.hidden = allInput.checked || !page.checked;
    allOn.hidden = !allInput.checked;
    if (target) { target.closest(".field").hidden = action.value !== "users.profile"; }
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
  action.addEventListener("change", update);
  update();
})();
