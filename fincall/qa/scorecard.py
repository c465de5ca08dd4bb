"""Scorecards: findings → a 0–100 score per contact; any critical finding fails the contact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fincall.compliance.types import CATEGORIES, SEVERITIES, Finding

DEFAULT_FILE = Path(__file__).resolve().parent / "scorecard.yaml"


@dataclass(frozen=True)
class ScorecardConfig:
    """Weights: deduction = severity_points[severity] × category_weights[category]."""

    severity_points: Mapping[str, float] = field(
        default_factory=lambda: {"critical": 40.0, "major": 15.0, "minor": 5.0}
    )
    category_weights: Mapping[str, float] = field(default_factory=dict)
    pass_mark: float = 80.0
    fail_on_critical: bool = True

    def weight(self, category: str) -> float:
        """Weight of a category (1.0 when not configured)."""
        return float(self.category_weights.get(category, 1.0))


@dataclass(frozen=True)
class Score:
    contact_id: str
    score: int
    passed: bool
    auto_fail: bool
    critical: int
    major: int
    minor: int
    deductions: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "contact_id": self.contact_id,
            "score": self.score,
            "passed": self.passed,
            "auto_fail": self.auto_fail,
            "critical": self.critical,
            "major": self.major,
            "minor": self.minor,
            "deductions": self.deductions,
        }


def config_from_mapping(data: Mapping[str, Any]) -> ScorecardConfig:
    """Validate and build a config from a mapping (e.g. parsed YAML)."""
    sev = {str(k): float(v) for k, v in dict(data.get("severity_points") or {}).items()}
    for k, v in sev.items():
        if k not in SEVERITIES or v < 0:
            raise ValueError(f"severity_points: bad entry {k}={v}")
    cats = {str(k): float(v) for k, v in dict(data.get("category_weights") or {}).items()}
    for k, v in cats.items():
        if k not in CATEGORIES or v < 0:
            raise ValueError(f"category_weights: bad entry {k}={v}")
    base = ScorecardConfig()
    return ScorecardConfig(
        severity_points={**base.severity_points, **sev},
        category_weights=cats,
        pass_mark=float(data.get("pass_mark", base.pass_mark)),
        fail_on_critical=bool(data.get("fail_on_critical", True)),
    )


def load_config(path: Path = DEFAULT_FILE) -> ScorecardConfig:
    """Load a scorecard YAML file (the shipped default when no path is given)."""
    return config_from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


_DEFAULT: ScorecardConfig | None = None


def default_config() -> ScorecardConfig:
    """The shipped default scorecard (cached)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_config()
    return _DEFAULT


def score_contact(
    *, contact_id: str, findings: Iterable[Finding], config: ScorecardConfig | None = None
) -> Score:
    """Score one contact: 100 minus weighted deductions, floored at 0; critical = auto fail."""
    cfg = config or default_config()
    deductions: dict[str, float] = {}
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
        pts = float(cfg.severity_points.get(f.severity, 0.0)) * cfg.weight(f.category)
        deductions[f.category] = deductions.get(f.category, 0.0) + pts
    score = max(0, min(100, round(100 - sum(deductions.values()))))
    auto_fail = cfg.fail_on_critical and counts["critical"] > 0
    return Score(
        contact_id=contact_id,
        score=score,
        passed=not auto_fail and score >= cfg.pass_mark,
        auto_fail=auto_fail,
        critical=counts["critical"],
        major=counts["major"],
        minor=counts["minor"],
        deductions={k: round(v, 2) for k, v in sorted(deductions.items())},
    )
