/* Timeline pages: narrow to one province in place instead of loading its pre-built page.
   Without JavaScript the filter links open the pre-built pages (/timeline/<field>/<province>/),
   so this only saves a page load; the address bar still shows that page's URL. */
(function () {
  "use strict";

  function filterableTimeline() {
    return document.querySelector("[data-timeline-filterable]");
  }

  function apply(root, link) {
    var province = link.getAttribute("data-province");
    root.querySelectorAll(".timeline-year").forEach(function (year) {
      var shown = 0;
      year.querySelectorAll("[data-provinces]").forEach(function (event) {
        var match = !province || event.getAttribute("data-provinces").split(" ").indexOf(province) >= 0;
        event.hidden = !match;
        if (match) { shown += 1; }
      });
      year.hidden = shown === 0;
    });
    root.querySelectorAll(".timeline-filter a").forEach(function (other) {
      if (other === link) { other.setAttribute("aria-current", "page"); } else { other.removeAttribute("aria-current"); }
    });
    root.querySelector("[data-timeline-heading]").textContent = link.getAttribute("data-heading");
    root.querySelector("[data-timeline-status]").textContent = link.getAttribute("data-status");
    document.title = link.getAttribute("data-title");
  }

  function linkFor(root, path) {
    var links = root.querySelectorAll(".timeline-filter a");
    for (var i = 0; i < links.length; i += 1) {
      if (links[i].pathname === path) { return links[i]; }
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = filterableTimeline();
    var shown = window.location.pathname;
    // A province's page opened again by Back (filtered in place, then left) shares its history with
    // the timeline it was filtered from: Back once more shows that timeline's address over this page.
    // Whatever this page cannot show in place is loaded.
    window.addEventListener("popstate", function (event) {
      var path = event.state && event.state.timelinePath;
      var link = root && path && linkFor(root, path);
      if (link) {
        apply(root, link);
        shown = path;
      } else if (window.location.pathname !== shown) {
        window.location.reload();
      }
    });
    if (!root || !window.history.pushState) { return; }
    window.history.replaceState({ timelinePath: shown }, "");

    root.querySelector(".timeline-filter").addEventListener("click", function (click) {
      var link = click.target.closest("a[data-province]");
      if (!link || click.ctrlKey || click.metaKey || click.shiftKey || click.button !== 0) { return; }
      click.preventDefault();
      apply(root, link);
      shown = link.pathname;
      window.history.pushState({ timelinePath: shown }, "", link.href);
    });
  });
}());
