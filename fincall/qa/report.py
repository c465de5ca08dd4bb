"""Self-contained HTML report with inline SVG charts (no scripts, no external files)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from fincall.compliance.types import CATEGORIES

if TYPE_CHECKING:
    from fincall.qa.batch import BatchSummary

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem;color:#1f2933;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse}td,th{border:1px solid #d9e2ec;padding:.3rem .6rem;text-align:left}
.kpi{display:inline-block;margin-right:2rem}.kpi b{display:block;font-size:1.6rem}
svg text{font-size:12px;fill:#1f2933}
"""


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, color: str = "#3b82f6") -> str:
    """Horizontal bar chart as an inline SVG element."""
    if not items:
        return (
            f'<svg role="img" aria-label="{escape(title)}" width="400" height="30">'
            '<text x="0" y="20">no data</text></svg>'
        )
    label_w, bar_w, row_h = 220, 360, 22
    top = max(v for _, v in items) or 1
    height = row_h * len(items) + 10
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 60}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for k, (label, value) in enumerate(items):
        y = 5 + k * row_h
        w = round(bar_w * value / top)
        parts.append(f'<text x="0" y="{y + 14}">{escape(label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{row_h - 6}" fill="{color}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 14}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def score_buckets(scores: Sequence[int]) -> list[tuple[str, int]]:
    """Histogram of scores in buckets of ten (90–100 together)."""
    counts = [0] * 10
    for s in scores:
        counts[min(9, max(0, s) // 10)] += 1
    return [(f"{i * 10}–{i * 10 + 9 if i < 9 else 100}", counts[i]) for i in range(10)]


def render_report(summary: BatchSummary) -> str:
    """The whole report page."""
    cats = [(c, summary.by_category.get(c, 0)) for c in CATEGORIES]
    agents = summary.by_agent.most_common(25)
    rows = (
        "".join(f"<tr><td>{escape(c)}</td><td>{n}</td></tr>" for c, n in cats if n)
        or "<tr><td colspan=2>no findings</td></tr>"
    )
    errs = "".join(
        f"<tr><td>{escape(e.file)}</td><td>{e.line}</td><td>{escape(e.reason)}</td></tr>"
        for e in summary.errors[:200]
    )
    packs = ", ".join(f"{escape(p)} ({n})" for p, n in summary.packs.most_common())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fincall QA report</title>
<style>{_CSS}</style></head><body>
<h1>fincall quality inspection report</h1>
<div class="kpi">Contacts<b>{summary.contacts}</b></div>
<div class="kpi">Findings<b>{summary.findings}</b></div>
<div class="kpi">Failed contacts<b>{summary.failed}</b></div>
<div class="kpi">Mean score<b>{summary.mean_score:.1f}</b></div>
<div class="kpi">Bad lines<b>{len(summary.errors)}</b></div>
<p>Rule packs: {packs or "none"}</p>
<h2>Findings by category</h2>
{bar_chart(cats, title="Findings by category")}
<table><tr><th>category</th><th>findings</th></tr>{rows}</table>
<h2>Findings by agent</h2>
{bar_chart(agents, title="Findings by agent", color="#f59e0b")}
<h2>Score distribution</h2>
{bar_chart(score_buckets(summary.scores), title="Score distribution", color="#10b981")}
<h2>Lines skipped</h2>
<table><tr><th>file</th><th>line</th><th>reason</th></tr>
{errs or "<tr><td colspan=3>none</td></tr>"}</table>
</body></html>
"""
