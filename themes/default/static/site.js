// Reading-path progress: a checkbox per step, kept in the browser's local storage, so it works
// on any host and from a folder opened from disk, with no server.
(function () {
  "use strict";
  var path = document.querySelector(".reading-path");
  if (!path) return;
  var key = "flywheel-path:" + (path.getAttribute("data-path-key") || location.pathname);
  var steps = Array.prototype.slice.call(path.querySelectorAll("ol > li"));
  if (!steps.length) return;

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(done) {
    try { localStorage.setItem(key, JSON.stringify(done)); } catch (e) { /* not remembered */ }
  }
  function stepId(li, index) {
    var link = li.querySelector("a");
    return link ? link.getAttribute("href") : "step-" + index;
  }
  function minutes(li) {
    var match = /\((\d+)\s*min/.exec(li.textContent);
    return match ? parseInt(match[1], 10) : 0;
  }

  var done = load();
  var progress = document.querySelector(".path-progress");
  var text = progress && progress.querySelector(".path-progress-text");
  var bar = progress && progress.querySelector(".path-progress-bar");
  var total = steps.reduce(function (sum, li) { return sum + minutes(li); }, 0);

  function update() {
    var count = 0, spent = 0;
    steps.forEach(function (li, i) {
      var checked = done.indexOf(stepId(li, i)) !== -1;
      li.classList.toggle("step-done", checked);
      li.querySelector("input").checked = checked;
      if (checked) { count += 1; spent += minutes(li); }
    });
    if (text) {
      text.textContent = count + " of " + steps.length + " steps done · " + spent + " of " + total + " minutes";
    }
    if (bar) { bar.value = steps.length ? Math.round(100 * count / steps.length) : 0; }
  }

  steps.forEach(function (li, i) {
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "step-check";
    var link = li.querySelector("a");
    box.setAttribute("aria-label", "Done: " + (link ? link.textContent : "step " + (i + 1)));
    box.addEventListener("change", function () {
      var id = stepId(li, i);
      done = done.filter(function (d) { return d !== id; });
      if (box.checked) done.push(id);
      save(done);
      update();
    });
    li.insertBefore(box, li.firstChild);
  });
  if (progress) {
    progress.hidden = false;
    var reset = progress.querySelector(".path-reset");
    if (reset) reset.addEventListener("click", function () { done = []; save(done); update(); });
  }
  update();
})();
