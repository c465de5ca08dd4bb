"""Calendar data the gate needs, computed once per local day and cached.

``local_day`` holds where a local date starts and ends in UTC in one zone; ``calling_day``
holds, for one purpose's rules, every time rule of that date reduced to wall-clock thresholds
and the instants at which each rule clears, so that a decision on an ordinary day compares
instants and seconds instead of converting between zones; ``utc_day`` holds the one or two
calling days that cover a UTC day, so that the gate finds an instant's day without converting
it either. Days with a clock change are marked ``uniform=False``; the gate decides those wall
time by wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from fincall.outbound.localtime import day_bounds, next_wall, zone
from fincall.outbound.rules import WEEKDAYS, DayMode, GateRules, Purpose, PurposeRules
from fincall.outbound.zones import holidays_for

DAY = timedelta(days=1)
MIDNIGHT = time(0, 0)
TICK = timedelta(microseconds=1)
_CALLING_DAYS_MAX = 100_000  # per plan: (zone, date) entries kept before the cache restarts
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The calling days that cover one UTC day: (the second of the UTC day at which the first local
# day ends, at most 86,400; the first local day; the next one, or the first again).
UtcDay = tuple[int, "CallingDay", "CallingDay"]


def seconds_of(value: time) -> int:
    """Seconds since midnight of a wall-clock time (microseconds dropped)."""
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass(frozen=True, slots=True)
class GatePlan:
    """One purpose's rules compiled for the gate, with its per-day cache."""

    rules: PurposeRules
    purpose: str
    win_start: int
    win_end: int
    weekend_mode: DayMode
    weekend_start: int
    weekend_end: int
    holiday_mode: DayMode
    holiday_start: int
    holiday_end: int
    weekend_start_t: time
    holiday_start_t: time
    dnc_from: frozenset[Purpose]
    has_caps: bool
    min_attempt_cap: int  # smallest attempt cap (a large number when there is none)
    min_connected_cap: int
    day_cache: dict[tuple[str, date], Any]  # the general algorithm's open intervals
    labels: tuple[str, str, str]
    calling_days: dict[tuple[str, date], CallingDay | None] = field(default_factory=dict)
    utc_days: dict[tuple[str, int], UtcDay | None] = field(default_factory=dict)


def compile_plan(pr: PurposeRules, purpose: Purpose) -> GatePlan:
    """The gate's compiled form of one purpose's rules."""
    wk = pr.weekend.window or pr.window
    hol = pr.holiday.window or pr.window
    caps = (pr.daily_attempt_cap, pr.weekly_attempt_cap)
    connected = (pr.daily_connected_cap, pr.weekly_connected_cap)
    return GatePlan(
        pr,
        str(purpose),
        seconds_of(pr.window.start),
        seconds_of(pr.window.end),
        pr.weekend.mode,
        seconds_of(wk.start),
        seconds_of(wk.end),
        pr.holiday.mode,
        seconds_of(hol.start),
        seconds_of(hol.end),
        wk.start,
        hol.start,
        pr.internal_dnc_from,
        any(c is not None for c in (*caps, *connected)),
        min(c for c in (*caps, 1 << 30) if c is not None),
        min(c for c in (*connected, 1 << 30) if c is not None),
        {},
        (pr.window.label(), wk.label(), hol.label()),
    )


def plan_for(rules: GateRules, purpose: Purpose) -> GatePlan:
    """The compiled plan of ``purpose`` (compiled once per rules object)."""
    plans = rules.__dict__.get("_gate_plans")
    if plans is None:
        plans = {p: compile_plan(pr, p) for p, pr in rules.purposes.items()}
        object.__setattr__(rules, "_gate_plans", plans)
    return plans[purpose]


def day_rule(
    mode: DayMode,
    start: int,
    end: int,
    start_t: time,
    is_special: Callable[[date], bool],
    day: date,
    secs: int,
    key: str,
    tz: ZoneInfo,
    t: datetime,
    clock_change: bool,
) -> datetime | None:
    """Until for a weekend/holiday policy on a special day; None when it does not block now."""
    shortened = mode is DayMode.SHORTENED
    if shortened and start <= secs < end:
        return None
    if shortened and (secs < start or clock_change):
        again = next_wall(key, tz, day, start_t, t)  # later today, or again after clocks go back
        if again.astimezone(tz).date() == day:
            return again
    nxt = day + DAY
    for _ in range(60):
        if not is_special(nxt):
            return next_wall(key, tz, nxt, MIDNIGHT, t)
        if shortened:
            return next_wall(key, tz, nxt, start_t, t)
        nxt += DAY
    return next_wall(key, tz, nxt, MIDNIGHT, t)


@dataclass(frozen=True, slots=True)
class LocalDay:
    """Where one local date starts and ends in UTC; uniform: 24 hours at one UTC offset."""

    date: date
    start: datetime
    end: datetime
    uniform: bool


@lru_cache(maxsize=65_536)
def local_day(key: str, day: date) -> LocalDay:
    """The local day ``day`` in zone ``key`` (an IANA key known to ``zone``)."""
    tz = zone(key)
    assert tz is not None, key
    start, end = day_bounds(key, tz, day)
    uniform = (
        end - start == DAY
        and start.astimezone(tz).utcoffset() == (end - TICK).astimezone(tz).utcoffset()
    )
    return LocalDay(day, start, end, uniform)


@dataclass(frozen=True, slots=True)
class DayCheck:
    """A time rule on one day: it blocks at wall seconds ``secs < lo`` until ``before`` and at
    ``secs >= hi`` until ``after``. Its reason is ``head + "HH:MM" + tail``, or ``head`` alone
    when ``tail`` is None."""

    rule: str
    lo: int
    hi: int
    before: datetime | None
    after: datetime
    head: str
    tail: str | None


@dataclass(frozen=True, slots=True)
class CallingDay:
    """One purpose's time rules on one uniform local day in one zone.

    Every time rule passes in [``open``, ``close``) (empty when no instant of the day passes);
    outside it ``checks`` (in rule order: calling window, holiday, weekend) say which rules
    block.
    """

    day: LocalDay
    open: datetime
    close: datetime
    checks: tuple[DayCheck, ...]


def _wall_after(key: str, tz: ZoneInfo, day: LocalDay, secs: int) -> datetime | None:
    """``start + secs`` when that is what the wall clock reads ``secs`` into the day, else None."""
    found = next_wall(key, tz, day.date, time(secs // 3600, secs // 60 % 60, secs % 60), day.start)
    return found if found - day.start == timedelta(seconds=secs) else None


def calling_day(plan: GatePlan, rules: GateRules, key: str, day: date) -> CallingDay | None:
    """The purpose's time rules on ``day`` in zone ``key``; None on a day with a clock change."""
    cache_key = (key, day)
    try:
        return plan.calling_days[cache_key]
    except KeyError:
        pass
    found = _build_calling_day(plan, rules, key, local_day(key, day))
    if len(plan.calling_days) >= _CALLING_DAYS_MAX:
        plan.calling_days.clear()
    plan.calling_days[cache_key] = found
    return found


def _build_calling_day(
    plan: GatePlan, rules: GateRules, key: str, ld: LocalDay
) -> CallingDay | None:
    if not ld.uniform:
        return None
    tz = zone(key)
    assert tz is not None, key
    pr, purpose, day = plan.rules, plan.purpose, ld.date
    last = ld.end - TICK  # any instant of the day: the clearing instants below do not depend on it
    checks: list[DayCheck] = []
    lo, hi = plan.win_start, plan.win_end
    before = _wall_after(key, tz, ld, plan.win_start)
    if before is None:
        return None
    after = next_wall(key, tz, day + DAY, pr.window.start, last)
    tail = f" ({key}) is outside the {purpose} calling window {plan.labels[0]}"
    checks.append(DayCheck("calling_window", lo, hi, before, after, "local time ", tail))
    closed = False
    holiday = None
    if plan.holiday_mode is not DayMode.ALLOWED:
        name = holidays_for(rules, day.year).get(day)
        if name is not None:
            holiday = _special_check(plan, rules, key, tz, ld, "holiday", name)
            if holiday is None:
                return None
            checks.append(holiday)
            closed |= plan.holiday_mode is DayMode.BLOCKED
            lo, hi = max(lo, plan.holiday_start), min(hi, plan.holiday_end)
    if plan.weekend_mode is not DayMode.ALLOWED and day.weekday() in rules.weekend_days:
        weekend = _special_check(plan, rules, key, tz, ld, "weekend", WEEKDAYS[day.weekday()])
        if weekend is None:
            return None
        checks.append(weekend)
        closed |= plan.weekend_mode is DayMode.BLOCKED
        lo, hi = max(lo, plan.weekend_start), min(hi, plan.weekend_end)
    if closed or lo >= hi:
        return CallingDay(ld, ld.start, ld.start, tuple(checks))
    return CallingDay(
        ld, ld.start + timedelta(seconds=lo), ld.start + timedelta(seconds=hi), tuple(checks)
    )


def _special_check(
    plan: GatePlan,
    rules: GateRules,
    key: str,
    tz: ZoneInfo,
    ld: LocalDay,
    rule: str,
    name: str,
) -> DayCheck | None:
    """A weekend or holiday check for ``ld``; None when its instants are not plain wall times."""
    pr, purpose, day = plan.rules, plan.purpose, ld.date
    if rule == "weekend":
        mode, start, end, start_t = (
            plan.weekend_mode,
            plan.weekend_start,
            plan.weekend_end,
            plan.weekend_start_t,
        )
        weekend = rules.weekend_days

        def is_special(d: date) -> bool:
            return d.weekday() in weekend

        dow = name.capitalize()
        if mode is DayMode.SHORTENED and pr.weekend.window:
            head, tail = f"{dow} ", f" ({key}) is outside the weekend {purpose} window "
            tail += plan.labels[1]
        else:
            head, tail = f"{dow} ({key}): weekend {purpose} calls are not allowed", None
    else:
        mode, start, end, start_t = (
            plan.holiday_mode,
            plan.holiday_start,
            plan.holiday_end,
            plan.holiday_start_t,
        )

        def is_special(d: date) -> bool:
            return d in holidays_for(rules, d.year)

        head = f"{day.isoformat()} is a public holiday in {rules.holiday_country}: {name}"
        if mode is DayMode.SHORTENED and pr.holiday.window:
            head += f"; holiday window is {plan.labels[2]}"
        tail = None
    last = ld.end - TICK
    after = day_rule(mode, start, end, start_t, is_special, day, 86_399, key, tz, last, False)
    assert after is not None  # at the last second of the day every special policy blocks
    if mode is not DayMode.SHORTENED:
        return DayCheck(rule, 0, 0, None, after, head, tail)
    before = None
    if start > 0:
        if _wall_after(key, tz, ld, start) is None:
            return None
        before = day_rule(mode, start, end, start_t, is_special, day, 0, key, tz, ld.start, False)
    return DayCheck(rule, start, end, before, after, head, tail)


def utc_day(plan: GatePlan, rules: GateRules, key: str, tz: ZoneInfo, n: int) -> UtcDay | None:
    """The calling days of zone ``key`` that cover UTC day ``n`` (days since the epoch); None
    when one of them has a clock change (two uniform local days cover any UTC day they meet)."""
    cache_key = (key, n)
    try:
        return plan.utc_days[cache_key]
    except KeyError:
        pass
    start = EPOCH + timedelta(days=n)
    found: UtcDay | None = None
    first = calling_day(plan, rules, key, start.astimezone(tz).date())
    if first is not None and first.day.start <= start < first.day.end:
        split = first.day.end - start
        if split >= DAY:
            found = (86_400, first, first)
        elif not split.microseconds:
            second = calling_day(plan, rules, key, first.day.date + DAY)
            if second is not None and second.day.start == first.day.end:
                found = (split.seconds, first, second)
    if len(plan.utc_days) >= _CALLING_DAYS_MAX:
        plan.utc_days.clear()
    plan.utc_days[cache_key] = found
    return found
