// Campaign page: uPlot charts from the metrics embedded in the page, start/pause buttons.
(function () {
  "use strict";
  const el = document.getElementById("outbound-metrics");
  if (!el) return;
  const m = JSON.parse(el.textContent);

  function width(node) {
    return Math.max(280, node.clientWidth || 320);
  }

  function categoryChart(node, labels, series, opts2) {
    opts2 = opts2 || {};
    if (!labels.length) {
      node.innerHTML = '<p class="muted">No data yet.</p>';
      return;
    }
    const xs = labels.map((_, i) => i);
    const bars = uPlot.paths.bars({ size: [0.6, 60] });
    const opts = {
      width: width(node),
      height: opts2.height || 200,
      scales: {
        x: { time: false, range: [-0.5, labels.length - 0.5] },
        y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] },
      },
      axes: [
        {
          values: (u, splits) => splits.map((v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : "")),
          splits: () => xs,
          rotate: opts2.rotate || 0,
          size: opts2.axisSize || 40,
          gap: 4,
        },
        {},
      ],
      series: [{}].concat(series.map((s) => ({ label: s.label, stroke: s.color, width: s.line ? 2 : 1, paths: s.line ? undefined : bars, fill: s.line ? undefined : s.color + "99", points: { show: !!s.line, size: 7 } }))),
    };
    node.classList.add("has-chart");
    return new uPlot(opts, [xs].concat(series.map((s) => s.data)), node);
  }

  const rules = Object.keys(m.block_counts || {});
  categoryChart(document.getElementById("chart-blocks"), rules, [
    { label: "blocked", color: "#b42318", data: rules.map((r) => m.block_counts[r]) },
  ], { rotate: -35, axisSize: 110, height: 280 });

  const hours = Object.keys(m.by_local_hour || {}).sort();
  categoryChart(document.getElementById("chart-hours"), hours, [
    { label: "attempts", color: "#0b5cab", data: hours.map((h) => m.by_local_hour[h].attempts) },
    { label: "conversions", color: "#137a3f", line: true, data: hours.map((h) => m.by_local_hour[h].conversions) },
  ]);

  const scripts = Object.keys(m.by_script || {}).sort();
  categoryChart(document.getElementById("chart-scripts"), scripts, [
    { label: "conversion %", color: "#b54708", data: scripts.map((s) => m.by_script[s].conversion_rate_pct || 0) },
  ]);

  const csrf = document.querySelector('meta[name="csrf-token"]');
  document.querySelectorAll("button[data-action]").forEach((btn) => {
    btn.addEventListener("click", async () => {
      const out = document.getElementById("action-result");
      btn.disabled = true;
      const res = await fetch(`/api/outbound/campaigns/${btn.dataset.campaign}/${btn.dataset.action}`, {
        method: "POST",
        headers: csrf ? { "X-CSRF-Token": csrf.content } : {},
      });
      if (res.ok) {
        window.location.reload();
      } else {
        const body = await res.json().catch(() => ({}));
        out.textContent = (body.error && body.error.message) || `failed (${res.status})`;
        btn.disabled = false;
      }
    });
  });
})();
