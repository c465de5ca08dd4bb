/* QA console charts (uPlot): findings by category and score distribution. */
(function () {
  "use strict";
  var node = document.getElementById("qa-chart-data");
  if (!node || typeof uPlot === "undefined") { return; }
  var data = JSON.parse(node.textContent);

  function bars(el, labels, values, color, rotate) {
    if (!el) { return; }
    var xs = labels.map(function (_, i) { return i; });
    var width = Math.max(280, el.clientWidth || 360);
    var opts = {
      width: width,
      height: rotate ? 280 : 220,
      legend: { show: false },
      padding: [8, rotate ? 40 : 8, 0, 0],
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.15)]; } } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return labels[t] === undefined ? "" : labels[t]; }); },
          splits: function () { return xs; }, rotate: rotate || 0, size: rotate ? 96 : 36,
          font: "11px system-ui", gap: 4 },
        { size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }
      ],
      series: [{}, { label: "count", fill: color, stroke: color, paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }]
    };
    new uPlot(opts, [xs, values], el);
    el.setAttribute("data-rendered", "1");
  }

  var short = data.categories.map(function (c) { return c.replace(/_/g, " "); });
  bars(document.getElementById("chart-category"), short, data.by_category, "#b42318", -40);
  var bins = data.score_bins.map(function (_, i) { return i === 9 ? "90+" : String(i * 10); });
  bars(document.getElementById("chart-scores"), bins, data.score_bins, "#0b5cab");

  var form = document.getElementById("qa-filters");
  if (form) {
    form.querySelectorAll("select").forEach(function (s) {
      s.addEventListener("change", function () { form.requestSubmit(); });
    });
  }
})();
