"""The gate's calendar data: the calling days that cover a UTC day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.outbound.gate_time import EPOCH, plan_for, utc_day
from fincall.outbound.localtime import zone
from fincall.outbound.rules import Purpose, load_rulebook

BOOK = load_rulebook()
ZONES = [
    "Asia/Shanghai", "Europe/London", "America/New_York", "America/St_Johns", "Asia/Kathmandu",
    "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Kiritimati", "America/Santiago",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(ZONES),
    purpose=st.sampled_from(list(Purpose)),
    at=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
)
def test_the_utc_day_spans_hold_the_local_day_of_each_instant(key, purpose, at) -> None:
    rules = BOOK.get("uk")
    plan, tz = plan_for(rules, purpose), zone(key)
    since = at - EPOCH
    spans = utc_day(plan, rules, key, tz, since.days)
    if spans is None:  # a local day with a clock change overlaps the UTC day
        return
    split, first, second = spans
    assert 0 < split <= 86_400
    cd = first if since.seconds < split else second
    assert cd.day.uniform
    assert cd.day.start <= at < cd.day.end
    assert cd.day.date == at.astimezone(tz).date()


def test_a_utc_day_with_a_clock_change_has_no_spans() -> None:
    rules = BOOK.get("us")
    plan, tz = plan_for(rules, Purpose.COLLECTION), zone("America/New_York")
    change = datetime(2026, 11, 1, 6, tzinfo=UTC)  # 02:00 EDT becomes 01:00 EST
    assert utc_day(plan, rules, "America/New_York", tz, (change - EPOCH).days) is None
    week_later = change + timedelta(days=7)
    spans = utc_day(plan, rules, "America/New_York", tz, (week_later - EPOCH).days)
    assert spans is not None and spans[0] == 5 * 3600
    assert spans[1].day.end == spans[2].day.start == datetime(2026, 11, 8, 5, tzinfo=UTC)
