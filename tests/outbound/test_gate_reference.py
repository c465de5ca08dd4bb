"""Property test: the gate returns exactly the decision of the reference gate (gate_reference.py)
for random customers, histories, instants, zones and rules: the same verdict, every reason, each
rule's clearing time and the next allowed instant, to the microsecond and the UTC offset."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fincall.outbound.gate import (
    AttemptRecord,
    DncEntry,
    DncState,
    GateCustomer,
    GateDecision,
    evaluate,
)
from fincall.outbound.rules import (
    CallingWindow,
    DayMode,
    DayPolicy,
    GateRules,
    Purpose,
    PurposeRules,
    load_rulebook,
)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"outbound_{name}", Path(__file__).with_name(f"{name}.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(f"outbound_{name}", module)
    spec.loader.exec_module(module)
    return module


reference = _load("gate_reference")
BOOK = load_rulebook()

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Shanghai",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "UTC",
]
PHONES = [
    "+12125550100",  # New York
    "+61881234567",  # Adelaide and Perth
    "+17095550100",  # Halifax and St John's
    "+61412345678",  # eight Australian zones
    "+18005550100",  # too many zones: the jurisdiction default
    "+918012345678",  # Kolkata
    "+442071234567",  # London
    "+999",  # not a number
]
# Instants near 2026 clock changes of the zones above (UTC).
TRANSITIONS = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York spring forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York fall back
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # London spring forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # London fall back
    datetime(2026, 4, 4, 16, 30, tzinfo=UTC),  # Adelaide fall back
    datetime(2026, 10, 3, 16, 30, tzinfo=UTC),  # Adelaide spring forward
    datetime(2026, 4, 4, 15, tzinfo=UTC),  # Lord Howe fall back (half an hour)
    datetime(2026, 4, 4, 14, tzinfo=UTC),  # Chatham fall back
    datetime(2026, 3, 8, 5, 30, tzinfo=UTC),  # St John's spring forward
]
# Instants near public holidays and weekends (UTC).
HOLIDAYS = [
    datetime(2026, 12, 25, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 10, 1, tzinfo=UTC),  # China National Day week
    datetime(2026, 2, 17, tzinfo=UTC),  # Chinese New Year
    datetime(2026, 7, 4, tzinfo=UTC),  # a Saturday holiday, observed on the Friday
    datetime(2026, 5, 25, tzinfo=UTC),  # Memorial Day and the UK bank holiday
    datetime(2026, 1, 26, tzinfo=UTC),  # Republic Day, Australia Day
]

DAY_POLICIES = [
    DayPolicy(DayMode.ALLOWED),
    DayPolicy(DayMode.BLOCKED),
    DayPolicy(DayMode.SHORTENED, CallingWindow(time(10, 0), time(16, 0))),
    DayPolicy(DayMode.SHORTENED, CallingWindow(time(0, 0), time(23, 30))),
    DayPolicy(DayMode.SHORTENED, CallingWindow(time(21, 0), time(22, 0))),
]
CAPS = [None, 0, 1, 2, 3, 7]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        base = draw(st.sampled_from(TRANSITIONS))
        at = base + timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400)))
    elif kind == 1:
        base = draw(st.sampled_from(HOLIDAYS))
        at = base + timedelta(seconds=draw(st.integers(-4 * 86400, 4 * 86400)))
    else:
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 365 * 86400)))
    if draw(st.booleans()):
        at += timedelta(microseconds=draw(st.integers(0, 999_999)))
    return at


@lru_cache(maxsize=512)
def _rules(
    window: tuple[int, int],
    weekend: int,
    holiday: int,
    caps: tuple[int | None, int | None, int | None, int | None],
    scope: str,
    country: str | None,
    weekend_days: frozenset[int],
    default_timezone: str,
) -> GateRules:
    def purpose_rules(p: Purpose) -> PurposeRules:
        return PurposeRules(
            window=CallingWindow(
                time(window[0] // 60, window[0] % 60), time(window[1] // 60, window[1] % 60)
            ),
            weekend=DAY_POLICIES[weekend],
            holiday=DAY_POLICIES[holiday],
            daily_attempt_cap=caps[0],
            weekly_attempt_cap=caps[1],
            daily_connected_cap=caps[2],
            weekly_connected_cap=caps[3],
            cap_scope=scope,
            requires_consent=p is Purpose.MARKETING,
            national_dnc=p is Purpose.MARKETING,
            internal_dnc_from=frozenset({p, Purpose.MARKETING}),
        )

    return GateRules(
        jurisdiction="prop",
        regions=("XX",),
        default_timezone=default_timezone,
        holiday_country=country,
        purposes={p: purpose_rules(p) for p in Purpose},
        weekend_days=weekend_days,
        extra_holidays={date(2026, 3, 10): "Company day", date(2026, 10, 5): "Company day"},
    )


@st.composite
def near_a_threshold(
    draw: st.DrawFn, at: datetime, rules: GateRules, purpose: Purpose, customer: GateCustomer
) -> datetime:
    """An instant a few seconds from a wall-clock edge of the rules on ``at``'s local day."""
    pr = rules.purposes[purpose]
    edges = [time(0, 0), pr.window.start, pr.window.end]
    for policy in (pr.weekend, pr.holiday):
        if policy.window is not None:
            edges += [policy.window.start, policy.window.end]
    key = customer.timezone if customer.timezone in ZONES else rules.default_timezone
    tz = ZoneInfo(key)
    wall = datetime.combine(at.astimezone(tz).date(), draw(st.sampled_from(edges)), tz)
    return wall.astimezone(UTC) + timedelta(seconds=draw(st.integers(-90, 90)))


@st.composite
def gate_rules(draw: st.DrawFn) -> GateRules:
    if draw(st.integers(0, 3)) == 0:
        return BOOK.get(draw(st.sampled_from(sorted(BOOK.jurisdictions))))
    start = draw(st.integers(0, 24 * 60 - 2))
    end = draw(st.integers(start + 1, 24 * 60 - 1))
    if draw(st.booleans()):
        start, end = draw(st.sampled_from([(480, 1200), (540, 1260), (0, 1439), (1200, 1380)]))
    return _rules(
        (start, end),
        draw(st.integers(0, len(DAY_POLICIES) - 1)),
        draw(st.integers(0, len(DAY_POLICIES) - 1)),
        tuple(draw(st.sampled_from(CAPS)) for _ in range(4)),  # type: ignore[arg-type]
        draw(st.sampled_from(["all", "purpose"])),
        draw(st.sampled_from([None, "US", "GB", "CN", "AU", "IN"])),
        draw(st.sampled_from([frozenset({5, 6}), frozenset({4, 5}), frozenset({6})])),
        draw(st.sampled_from(["UTC", "America/New_York", "Australia/Adelaide", "Asia/Kolkata"])),
    )


@st.composite
def customers(draw: st.DrawFn) -> GateCustomer:
    tz = draw(st.sampled_from([*ZONES, None, None, "Not/AZone"]))
    return GateCustomer(
        id="cus_ref",
        phone=draw(st.sampled_from([*PHONES, None])),
        region=draw(st.sampled_from(["US", "GB", None])),
        timezone=tz,
        consent_marketing=draw(st.booleans()),
        do_not_call=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def histories(draw: st.DrawFn, at: datetime) -> list[AttemptRecord]:
    out = []
    for _ in range(draw(st.integers(0, 12))):
        seconds = draw(
            st.one_of(
                st.integers(-2 * 86400, 10 * 86400),
                st.sampled_from([0, 1, 7 * 86400, 7 * 86400 - 1, 7 * 86400 + 1, 86400]),
            )
        )
        when = at - timedelta(seconds=seconds, microseconds=draw(st.sampled_from([0, 0, 1, 7])))
        if draw(st.integers(0, 4)) == 0:
            when = when.astimezone(timezone(timedelta(hours=-5)))
        out.append(
            AttemptRecord(
                at=when,
                connected=draw(st.booleans()),
                purpose=draw(st.sampled_from([None, *Purpose])),
            )
        )
    if draw(st.booleans()):
        out.sort(key=lambda a: a.at)
    return out


@st.composite
def dnc_states(draw: st.DrawFn, at: datetime, phone: str | None) -> DncState:
    entries = []
    for _ in range(draw(st.integers(0, 2))):
        since = draw(st.sampled_from([None, at - timedelta(days=1), at + timedelta(hours=5)]))
        until = draw(
            st.sampled_from([None, at + timedelta(days=3, minutes=7), at - timedelta(hours=1)])
        )
        entries.append(DncEntry(draw(st.sampled_from(list(Purpose))), since, until, "refusal"))
    national = frozenset({phone}) if phone and draw(st.booleans()) else frozenset()
    return DncState(tuple(entries), national)


def _exact(decision: GateDecision) -> tuple[Any, ...]:
    def instant(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return (
        decision.allowed,
        decision.purpose,
        instant(decision.at),
        tuple((b.rule, b.reason, instant(b.until)) for b in decision.blocks),
        instant(decision.next_allowed_at),
        decision.timezones,
        decision.timezone_source,
        decision.jurisdiction,
        decision.to_dict(),
    )


@settings(
    max_examples=700,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    customer=customers(),
    purpose=st.sampled_from(list(Purpose)),
    at=instants(),
    rules=gate_rules(),
    data=st.data(),
)
def test_gate_matches_the_reference(customer, purpose, at, rules, data) -> None:
    if data.draw(st.booleans()):
        at = data.draw(near_a_threshold(at, rules, purpose, customer))
    history = data.draw(histories(at))
    dnc = data.draw(dnc_states(at, customer.phone))
    if data.draw(st.booleans()):
        at = at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    got = evaluate(customer=customer, purpose=purpose, at=at, history=history, rules=rules, dnc=dnc)
    want = reference.evaluate(
        customer=customer, purpose=purpose, at=at, history=history, rules=rules, dnc=dnc
    )
    assert _exact(got) == _exact(want)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=st.sampled_from(ZONES),
    purpose=st.sampled_from(list(Purpose)),
    rules=gate_rules(),
    start=instants(),
    data=st.data(),
)
def test_gate_matches_the_reference_along_a_day(tz, purpose, rules, start, data) -> None:
    """Every 20 minutes over two days for one customer: day caches built in any order agree."""
    customer = GateCustomer(id="cus_day", phone="+12125550100", timezone=tz)
    history = data.draw(histories(start))
    for step in range(0, 2 * 24 * 60, 20):
        at = start + timedelta(minutes=step)
        got = evaluate(
            customer=customer, purpose=purpose, at=at, history=history, rules=rules, dnc=DncState()
        )
        want = reference.evaluate(
            customer=customer, purpose=purpose, at=at, history=history, rules=rules, dnc=DncState()
        )
        assert _exact(got) == _exact(want), at
