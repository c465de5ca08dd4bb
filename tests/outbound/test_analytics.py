"""Campaign metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fincall.outbound.analytics import AttemptFact, campaign_metrics, metrics_csv
from fincall.outbound.outcomes import Outcome


def fact(hour_utc: int, outcome: Outcome | None, script: str = "v1", abandoned: bool = False):
    return AttemptFact(
        customer_id="c",
        at=datetime(2026, 11, 23, hour_utc, 15, tzinfo=UTC),
        timezone="Asia/Shanghai",
        outcome=outcome,
        abandoned=abandoned,
        script_version=script,
    )


def test_rates_by_script_and_local_hour() -> None:
    facts = [
        fact(1, Outcome.NO_ANSWER),
        fact(1, Outcome.PROMISE_TO_PAY),
        fact(1, Outcome.WRONG_NUMBER),
        fact(2, Outcome.REFUSED, "v2"),
        fact(2, Outcome.SALE, "v2"),
        fact(2, Outcome.ANSWERED, "v2", abandoned=True),
        fact(3, Outcome.BUSY, "v2"),
        fact(3, Outcome.VOICEMAIL, "v2"),
    ]
    m = campaign_metrics(attempts=facts)
    assert m.total.attempts == 8
    assert m.total.contacts == 4  # ptp, wrong number, refused, sale (the abandoned one is not)
    assert m.total.right_party == 3
    assert m.total.conversions == 2
    assert m.total.contact_rate == Decimal("50.00")
    assert m.total.right_party_rate == Decimal("37.50")
    assert m.total.conversion_rate == Decimal("66.67")
    assert m.by_script["v1"].conversion_rate == Decimal("100.00")
    assert m.by_script["v2"].conversion_rate == Decimal("50.00")
    assert sorted(m.by_local_hour) == [9, 10, 11]  # Shanghai local hours
    assert m.by_local_hour[9].attempts == 3
    assert m.live_answers == 5 and m.abandoned == 1
    assert m.abandonment_rate == Decimal("20.00")
    assert m.abandon_cap_percent == Decimal("3.00")
    assert not m.within_abandon_cap
    assert m.attempts_per_conversion == Decimal("4.00")
    csv_text = metrics_csv(m)
    assert csv_text.splitlines()[1] == "total,,8,4,3,2,50.00,37.50,66.67"
    assert "local_hour,09,3,2,1,1" in csv_text


def test_empty_campaign_has_no_rates() -> None:
    m = campaign_metrics(attempts=[])
    assert m.total.contact_rate is None
    assert m.attempts_per_conversion is None
    assert m.abandonment_rate is None and m.within_abandon_cap
