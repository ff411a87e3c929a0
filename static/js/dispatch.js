// Deadline countdowns of the dispatch pages and "select all" checkboxes. No dependencies.
(function () {
  "use strict";
  var phrases = {};
  var source = document.getElementById("countdown-phrases");
  if (source) { phrases = JSON.parse(source.textContent); }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    minutes = minutes % 60;
    if (days) { return fill(phrases.dh, { days: days, hours: hours }); }
    if (hours) { return fill(phrases.hm, { hours: hours, minutes: minutes }); }
    return fill(phrases.m, { minutes: minutes });
  }

  function tick() {
    if (!phrases.left) { return; }
    var now = Date.now();
    document.querySelectorAll("time.countdown[data-due]").forEach(function (element) {
      var left = (Date.parse(element.dataset.due) - now) / 1000;
      var warn = Number(element.dataset.warn || 0);
      element.textContent = fill(left < 0 ? phrases.overdue : phrases.left, { time: span(left) });
      element.classList.toggle("bad", left < 0);
      element.classList.toggle("warn", left >= 0 && left < warn);
      element.classList.toggle("ok", left >= warn);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 30000);
    document.querySelectorAll("input[data-check-all]").forEach(function (master) {
      master.addEventListener("change", function () {
        document.querySelectorAll("input[name='" + master.dataset.checkAll + "']").forEach(function (box) {
          box.checked = master.checked;
        });
      });
    });
    // Reply: the explanation is needed unless the matter is resolved.
    document.querySelectorAll("select[data-explain]").forEach(function (select) {
      var field = document.getElementById(select.dataset.explain);
      function sync() { if (field) { field.required = select.value !== "resolved"; } }
      select.addEventListener("change", sync);
      sync();
    });
  });
})();
