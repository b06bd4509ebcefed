/* Large-text high-contrast (适老化) mode: remembered in this browser.
   Loaded in <head> without defer so the mode applies before the first paint. */
(function () {
  "use strict";
  var KEY = "csj-large-text";
  var CLASS = "large-text";
  var root = document.documentElement;

  function remembered() {
    try { return window.localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }

  function remember(on) {
    try { window.localStorage.setItem(KEY, on ? "on" : "off"); } catch (e) { /* private mode: this page only */ }
  }

  function apply(on, button) {
    root.classList.toggle(CLASS, on);
    if (button) { button.setAttribute("aria-pressed", on ? "true" : "false"); }
  }

  apply(remembered());

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-large-text-toggle]");
    if (!button) { return; }
    apply(remembered(), button);
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = !root.classList.contains(CLASS);
      remember(on);
      apply(on, button);
    });
  });
}());
