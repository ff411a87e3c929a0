/* Analytics pages: every <canvas data-chart="ID"> is drawn with the vendored Chart.js from the JSON
   in <script id="ID" type="application/json"> ({type, labels, series: [{label, data}], stacked,
   horizontal, percent}). A null value is a gap. No other dependency, no network. */
(function () {
  "use strict";

  var PALETTE = ["#c8102e", "#0b5cad", "#1e7b34", "#b26a00", "#6f42c1", "#0f8b8d", "#8c564b", "#7f7f7f"];

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function config(spec) {
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.series.map(function (series, index) {
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: series.label,
        data: series.data,
        // Round charts colour their slices, the others their series.
        backgroundColor: round ? spec.labels.map(function (_l, i) { return PALETTE[i % PALETTE.length]; }) : colour,
        borderColor: round ? "#fff" : colour,
        borderWidth: round ? 1 : 2,
        tension: 0.2
      };
    });
    var options = { animation: false, maintainAspectRatio: false, plugins: { legend: { display: round || datasets.length > 1 } } };
    if (!round) {
      options.indexAxis = spec.horizontal ? "y" : "x";
      options.scales = { x: { stacked: !!spec.stacked, beginAtZero: true }, y: { stacked: !!spec.stacked, beginAtZero: true } };
      // Rates in percent points: a fixed 0–100 % axis, so months compare at a glance.
      if (spec.percent) {
        options.scales.y.max = 100;
        options.scales.y.ticks = { callback: function (value) { return value + "%"; } };
      }
    }
    return { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function drawCharts() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = readJson(canvas.dataset.chart);
      if (spec) { new Chart(canvas, config(spec)); }
    });
  }

  document.addEventListener("DOMContentLoaded", drawCharts);
})();
