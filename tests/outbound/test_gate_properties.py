"""Property tests: the gate never lets a call through that breaks a window or a cap."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fincall.outbound.gate import AttemptRecord, DncState, GateCustomer, evaluate
from fincall.outbound.rules import DayMode, DayPolicy, Purpose

_spec = importlib.util.spec_from_file_location(
    "outbound_gate_helpers", Path(__file__).with_name("gate_helpers.py")
)
assert _spec and _spec.loader
helpers = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("outbound_gate_helpers", helpers)
_spec.loader.exec_module(helpers)

ZONES = [
    "America/New_York",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Asia/Shanghai",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Chatham",
]
# Instants near the 2026 DST transitions of the zones above, plus the whole year.
TRANSITIONS = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York spring forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York fall back
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # London spring forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # London fall back
    datetime(2026, 4, 4, 16, 30, tzinfo=UTC),  # Adelaide fall back
    datetime(2026, 10, 3, 16, 30, tzinfo=UTC),  # Adelaide spring forward
]

zones = st.sampled_from(ZONES)
minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        base = draw(st.sampled_from(TRANSITIONS))
        return base + timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return start + timedelta(seconds=draw(st.integers(0, 365 * 86400)))


@st.composite
def windows(draw: st.DrawFn) -> tuple[time, time]:
    a = draw(st.integers(0, 24 * 60 - 2))
    b = draw(st.integers(a + 1, 24 * 60 - 1))
    return time(a // 60, a % 60), time(b // 60, b % 60)


@st.composite
def histories(draw: st.DrawFn, around: datetime) -> list[AttemptRecord]:
    offsets = draw(st.lists(st.integers(0, 9 * 86400), max_size=8))
    return [
        AttemptRecord(at=around - timedelta(seconds=o), connected=draw(st.booleans()))
        for o in offsets
    ]


day_policies = st.sampled_from(
    [
        DayPolicy(DayMode.ALLOWED),
        DayPolicy(DayMode.BLOCKED),
        DayPolicy(DayMode.SHORTENED, helpers.CallingWindow(time(10, 0), time(16, 0))),
    ]
)


def _customer(tz: str) -> GateCustomer:
    return GateCustomer(id="cus_p", phone="+12125550100", timezone=tz, consent_marketing=True)


PURPOSE = Purpose.COLLECTION


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tz=zones, at=instants(), data=st.data())
def test_never_allows_a_fourth_attempt_in_a_local_day(tz: str, at: datetime, data) -> None:
    rules = helpers.make_rules(window=(time(0, 0), time(23, 59)), weekly=None)
    history = data.draw(histories(at))
    decision = evaluate(
        customer=_customer(tz), purpose=PURPOSE, at=at, history=history, rules=rules, dnc=DncState()
    )
    local_day = at.astimezone(ZoneInfo(tz)).date()
    same_day = [h for h in history if h.at.astimezone(ZoneInfo(tz)).date() == local_day]
    if len(same_day) >= 3:
        assert not decision.allowed
        assert "daily_attempt_cap" in decision.rules
    if decision.allowed:
        assert len(same_day) < 3


@settings(max_examples=400, deadline=None)
@given(tz=zones, at=instants(), window=windows(), weekend=day_policies)
def test_never_allows_outside_the_window(tz, at, window, weekend) -> None:
    rules = helpers.make_rules(window=window, weekend=weekend)
    decision = evaluate(
        customer=_customer(tz), purpose=PURPOSE, at=at, history=[], rules=rules, dnc=DncState()
    )
    local = at.astimezone(ZoneInfo(tz))
    inside = window[0] <= local.time() < window[1]
    if local.weekday() >= 5 and weekend.mode is DayMode.BLOCKED:
        inside = False
    if local.weekday() >= 5 and weekend.mode is DayMode.SHORTENED:
        inside = inside and time(10, 0) <= local.time() < time(16, 0)
    assert decision.allowed == inside
    if not decision.allowed:
        assert decision.blocks, "a blocked decision lists at least one reason"
        assert all(b.reason for b in decision.blocks)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=zones,
    at=instants(),
    window=windows(),
    weekend=day_policies,
    holiday_country=st.sampled_from([None, "US", "GB", "CN"]),
    data=st.data(),
)
def test_next_allowed_at_is_allowed_and_earliest(
    tz, at, window, weekend, holiday_country, data
) -> None:
    rules = helpers.make_rules(
        window=window, weekend=weekend, holiday_country=holiday_country, daily_connected=1
    )
    history = data.draw(histories(at))
    customer = _customer(tz)

    def check(t: datetime):
        return evaluate(
            customer=customer, purpose=PURPOSE, at=t, history=history, rules=rules, dnc=DncState()
        )

    decision = check(at)
    if decision.allowed:
        assert decision.next_allowed_at == decision.at
        return
    assert decision.blocks
    nxt = decision.next_allowed_at
    assert nxt is not None, "these rules always reopen"
    assert nxt > at
    assert check(nxt).allowed
    for block in decision.blocks:
        assert block.until is None or block.until > at
    # No earlier minute-aligned instant is allowed: the minute just before, and a sample.
    first_minute = (at + timedelta(minutes=1)).replace(second=0, microsecond=0)
    last_minute = (nxt - timedelta(microseconds=1)).replace(second=0, microsecond=0)
    probes = {last_minute}
    span = int((last_minute - first_minute).total_seconds() // 60)
    if span >= 0:
        for k in data.draw(st.lists(st.integers(0, span), max_size=25)):
            probes.add(first_minute + timedelta(minutes=k))
    for probe in probes:
        if at <= probe < nxt:
            assert not check(probe).allowed, probe
