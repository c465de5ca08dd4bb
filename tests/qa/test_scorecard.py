"""Scorecard and mandatory-retraining trigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fincall.compliance.types import Finding
from fincall.qa.coaching import FindingEvent, RetrainingPolicy, retraining_due
from fincall.qa.scorecard import ScorecardConfig, config_from_mapping, load_config, score_contact


def finding(category: str, severity: str) -> Finding:
    return Finding(
        contact_id="c",
        category=category,
        rule_id="R",
        pack_id="p",
        pack_version="1",
        severity=severity,
        utterance_index=0,
        start=0.0,
        evidence=None,
    )


def test_clean_contact_scores_100_and_passes():
    s = score_contact(contact_id="c", findings=[])
    assert (s.score, s.passed, s.auto_fail) == (100, True, False)


def test_major_findings_deduct_by_weight():
    s = score_contact(contact_id="c", findings=[finding("agent_misconduct", "major")])
    assert s.score == 85 and s.passed
    s2 = score_contact(contact_id="c", findings=[finding("complaint_risk", "major")])
    assert s2.score == 96  # complaint risk weighs 0.3 by default
    s3 = score_contact(
        contact_id="c",
        findings=[
            finding("agent_misconduct", "major"),
            finding("missing_rate_disclosure", "major"),
        ],
    )
    assert s3.score == 70 and not s3.passed and not s3.auto_fail


def test_critical_is_automatic_fail_and_score_floors_at_zero():
    s = score_contact(contact_id="c", findings=[finding("prohibited_promise", "critical")])
    assert s.auto_fail and not s.passed and s.score == 60
    many = [finding("prohibited_promise", "critical")] * 5
    assert score_contact(contact_id="c", findings=many).score == 0


def test_config_is_configurable_and_validated():
    cfg = config_from_mapping({"severity_points": {"major": 50}, "pass_mark": 40})
    s = score_contact(contact_id="c", findings=[finding("agent_misconduct", "major")], config=cfg)
    assert s.score == 50 and s.passed
    no_auto = ScorecardConfig(fail_on_critical=False, pass_mark=50)
    s = score_contact(
        contact_id="c", findings=[finding("prohibited_promise", "critical")], config=no_auto
    )
    assert s.passed and not s.auto_fail
    with pytest.raises(ValueError, match="category_weights"):
        config_from_mapping({"category_weights": {"nope": 1}})
    assert load_config().weight("complaint_risk") == pytest.approx(0.3)


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def ev(days_ago: float, severity: str = "critical", agent: str = "agt_1") -> FindingEvent:
    return FindingEvent(agent_id=agent, at=NOW - timedelta(days=days_ago), severity=severity)


def test_retraining_due_after_three_criticals_in_seven_days():
    d = retraining_due(agent_id="agt_1", history=[ev(1), ev(3), ev(6.9)], now=NOW)
    assert d.due and d.count == 3 and len(d.triggering) == 3


def test_retraining_not_due_hard_negatives():
    # only two inside the window
    assert not retraining_due(agent_id="agt_1", history=[ev(1), ev(3), ev(7.5)], now=NOW).due
    # majors do not count, other agents do not count
    hist = [ev(1), ev(2), ev(3, "major"), ev(4, agent="agt_2")]
    assert not retraining_due(agent_id="agt_1", history=hist, now=NOW).due
    # findings already covered by the last task are not counted again
    d = retraining_due(
        agent_id="agt_1",
        history=[ev(1), ev(2), ev(3)],
        now=NOW,
        last_task_at=NOW - timedelta(days=2.5),
    )
    assert not d.due and d.count == 2


def test_retraining_policy_configurable():
    pol = RetrainingPolicy(threshold=2, window=timedelta(days=1))
    assert retraining_due(agent_id="agt_1", history=[ev(0.1), ev(0.5)], now=NOW, policy=pol).due
    assert not retraining_due(agent_id="agt_1", history=[ev(0.1), ev(1.5)], now=NOW, policy=pol).due


def test_retraining_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        retraining_due(agent_id="a", history=[], now=datetime(2026, 1, 1))  # noqa: DTZ001
