/* Evaluation pages: sortable tables, the ranking and trend charts (vendored Chart.js), and the
   callback form showing the answers only when the caller was reached. No dependencies else. */
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()) : "";
    if (type === "number") {
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    return raw;
  }

  function sortTable(table, header) {
    var index = Array.prototype.indexOf.call(header.parentNode.children, header);
    var type = header.dataset.sort;
    var descending = header.getAttribute("aria-sort") === "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (row) { return row.cells.length > 1; });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      if (x === y) { return 0; }
      if (x === null) { return 1; }  // empty cells last, whatever the direction
      if (y === null) { return -1; }
      var order = type === "number" ? x - y : String(x).localeCompare(String(y), "zh-Hans-CN");
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function setUpSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th[data-sort]").forEach(function (header) {
        header.tabIndex = 0;
        header.addEventListener("click", function () { sortTable(table, header); });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, header); }
        });
      });
    });
  }

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var COLOURS = ["#c8102e", "#0b5cad", "#1e7b34", "#b26a00"];

  function drawRankingChart() {
    var canvas = document.getElementById("ranking-chart");
    var data = readJson("ranking-chart-data");
    if (!canvas || !data || typeof Chart === "undefined") { return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.composite, backgroundColor: COLOURS[0] }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, suggestedMax: 100 } }
      }
    });
  }

  function drawTrendChart() {
    var canvas = document.getElementById("trend-chart");
    var data = readJson("trend-chart-data");
    if (!canvas || !data || typeof Chart === "undefined") { return; }
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.data,
            borderColor: COLOURS[index % COLOURS.length],
            backgroundColor: COLOURS[index % COLOURS.length],
            borderWidth: index === 0 ? 3 : 1.5,
            tension: 0.2
          };
        })
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { suggestedMin: 0, suggestedMax: 100 } } }
    });
  }

  function setUpCallbackForm() {
    var answers = document.querySelector("[data-shown-when-reached]");
    if (!answers) { return; }
    var radios = document.querySelectorAll("input[name=reached]");
    function update() {
      var checked = document.querySelector("input[name=reached]:checked");
      answers.hidden = !!checked && checked.value === "no";
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpSorting();
    drawRankingChart();
    drawTrendChart();
    setUpCallbackForm();
  });
})();
