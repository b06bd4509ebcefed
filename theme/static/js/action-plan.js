/* The action-plan task table, narrowed in place by topic, field, province and status.
   Without this script the pre-built pages /action-plan/tasks/<facet>/<value>/ do the same. */
(function () {
  "use strict";

  function matches(row, select) {
    var keys = (row.getAttribute("data-" + select.name) || "").split(" ");
    return !select.value || keys.indexOf(select.value) >= 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-task-filter]");
    var table = document.querySelector("[data-task-table]");
    if (!form || !table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[name]"));
    var count = form.querySelector("[data-task-count]");
    var params = new URLSearchParams(window.location.search);

    function apply() {
      var shown = 0;
      var query = new URLSearchParams();
      rows.forEach(function (row) {
        var visible = selects.every(function (select) { return matches(row, select); });
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      selects.forEach(function (select) { if (select.value) { query.set(select.name, select.value); } });
      // The wording comes from the page, in its edition's language.
      count.textContent = count.getAttribute("data-template")
        .replace("{shown}", shown).replace("{total}", rows.length);
      // The address keeps the selection, so a narrowed table can be bookmarked or shared.
      var search = query.toString();
      window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
    }

    selects.forEach(function (select) {
      select.value = params.get(select.name) || "";
      if (select.selectedIndex < 0) { select.value = ""; }
    });
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    form.querySelector("[data-task-filter-reset]").addEventListener("click", function () {
      selects.forEach(function (select) { select.value = ""; });
      apply();
    });
    form.hidden = false;
    if (params.toString()) { apply(); }
  });
}());
