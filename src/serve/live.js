// Live reload for `flywheel serve` (never part of a built site). Listens for build events and
// reloads the page, swaps stylesheets, or shows the build's errors over the page. Error text
// reaches the page through textContent only.
(function () {
  "use strict";
  var overlay = null;
  function showErrors(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "flywheel-overlay";
      overlay.setAttribute("role", "alertdialog");
      overlay.setAttribute("aria-label", "Build errors");
      var box = document.createElement("div");
      box.className = "flywheel-overlay-box";
      var title = document.createElement("p");
      title.className = "flywheel-overlay-title";
      title.textContent = "Flywheel could not rebuild the site. The page shows the last good build; fix the problem and save.";
      var pre = document.createElement("pre");
      box.appendChild(title);
      box.appendChild(pre);
      overlay.appendChild(box);
      document.body.appendChild(overlay);
    }
    overlay.querySelector("pre").textContent = text;
  }
  function hideErrors() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  function swapStyles(assets) {
    document.querySelectorAll("link[rel=stylesheet][data-asset]").forEach(function (link) {
      var name = link.getAttribute("data-asset");
      if (!assets[name]) return;
      var href = link.getAttribute("href");
      link.setAttribute("href", href.slice(0, href.lastIndexOf("/") + 1) + assets[name].split("/").pop());
    });
  }
  var events = new EventSource("/__flywheel/events");
  events.addEventListener("reload", function (e) {
    var pages = JSON.parse(e.data);
    var here = location.pathname.replace(/^\//, "");
    if (here === "" || here.slice(-1) === "/") here += "index.html";
    if (pages === "all" || pages.indexOf(here) !== -1) {
      sessionStorage.setItem("flywheel-scroll", String(window.scrollY));
      location.reload();
    } else {
      hideErrors();
    }
  });
  events.addEventListener("css", function (e) { hideErrors(); swapStyles(JSON.parse(e.data)); });
  events.addEventListener("failed", function (e) { showErrors(JSON.parse(e.data)); });
  events.addEventListener("ok", hideErrors);
  var y = sessionStorage.getItem("flywheel-scroll");
  if (y !== null) {
    sessionStorage.removeItem("flywheel-scroll");
    window.addEventListener("load", function () { window.scrollTo(0, +y); });
  }
})();
