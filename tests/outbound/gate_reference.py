"""The outbound compliance gate as it was before the fast path: the reference the property
test compares ``fincall.outbound.gate.evaluate`` against, decision for decision.

A frozen copy of the gate, its wall-clock helpers and its calendars, with caches of its own
(the rules objects carry ``_reference_plans`` and ``_reference_holiday_years``). Do not
optimise it: its value is that it stays the slow, straightforward version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg
import phonenumbers
from phonenumbers import timezone as phone_timezone

from fincall.core.errors import Invalid
from fincall.outbound.gate_types import (
    AttemptRecord,
    Block,
    DncState,
    GateCustomer,
    GateDecision,
)
from fincall.outbound.rules import WEEKDAYS, DayMode, GateRules, Purpose, PurposeRules

# Wall-clock helpers (fincall.outbound.localtime).

_ZONES: dict[str, ZoneInfo | None] = {}
_DAY_BOUNDS: dict[tuple[str, date], tuple[datetime, datetime]] = {}
_DAY_BOUNDS_MAX = 200_000
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)


def zone(key: str) -> ZoneInfo | None:
    """The ZoneInfo for an IANA key (cached), or None when the key is unknown."""
    try:
        return _ZONES[key]
    except KeyError:
        pass
    found: ZoneInfo | None
    try:
        found = ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        found = None
    _ZONES[key] = found
    return found


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Earliest UTC instant whose wall time in ``tz`` is at or after ``day`` ``wall``.

    In an ambiguous hour (clocks go back) this is the first occurrence; in a gap (clocks go
    forward past ``wall``) it is the transition instant itself.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp()) + 1
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


_WALL: dict[tuple[str, date, time], datetime] = {}


def wall_to_utc(key: str, tz: ZoneInfo, day: date, wall: time) -> datetime:
    """Cached ``local_to_utc`` for a zone known by its key."""
    cache_key = (key, day, wall)
    found = _WALL.get(cache_key)
    if found is None:
        if len(_WALL) >= _DAY_BOUNDS_MAX:
            _WALL.clear()
        found = _WALL[cache_key] = local_to_utc(day, wall, tz)
    return found


def day_bounds(key: str, tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """UTC instants at which local ``day`` starts and the next local day starts in ``tz``."""
    cache_key = (key, day)
    bounds = _DAY_BOUNDS.get(cache_key)
    if bounds is None:
        start = wall_to_utc(key, tz, day, _MIDNIGHT)
        end = wall_to_utc(key, tz, day + _ONE_DAY, _MIDNIGHT)
        if len(_DAY_BOUNDS) >= _DAY_BOUNDS_MAX:
            _DAY_BOUNDS.clear()
        bounds = _DAY_BOUNDS[cache_key] = (start, end)
    return bounds


def next_wall(key: str, tz: ZoneInfo, day: date, wall: time, after: datetime) -> datetime:
    """Earliest instant later than ``after`` at which the wall clock in ``tz`` reaches ``wall``
    on ``day`` (its second occurrence when the clocks went back), else on a following day."""
    for _ in range(4):
        first = wall_to_utc(key, tz, day, wall)
        if first > after:
            return first
        naive = datetime.combine(day, wall)
        second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second > after and second.astimezone(tz).replace(tzinfo=None) == naive:
            return second
        day += _ONE_DAY
    return wall_to_utc(key, tz, day, wall)


# Calendars (fincall.outbound.zones).

MAX_PHONE_ZONES = 8  # more candidate zones than this: use the jurisdiction default instead


def holidays_for(rules: GateRules, year: int) -> dict[date, str]:
    """Public holidays of the rules' region in ``year`` (cached per rules object and year)."""
    cache = rules.__dict__.get("_reference_holiday_years")
    if cache is not None:
        found = cache.get(year)
        if found is not None:
            return found
    else:
        cache = {}
        object.__setattr__(rules, "_reference_holiday_years", cache)
    found = cache.get(year)
    if found is None:
        found = {}
        if rules.holiday_country:
            cal = holidays_pkg.country_holidays(
                rules.holiday_country, subdiv=rules.holiday_subdivision, years=year
            )
            found = {d: str(name) for d, name in cal.items()}
        found.update({d: n for d, n in rules.extra_holidays.items() if d.year == year})
        cache[year] = found
    return found


@lru_cache(maxsize=262_144)
def zones_for_phone(phone: str) -> tuple[str, ...]:
    """IANA zones ``phonenumbers`` associates with an E.164 number (empty when unknown)."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    found = phone_timezone.time_zones_for_number(parsed)
    return tuple(z for z in found if z != "Etc/Unknown" and zone(z) is not None)


def resolve_zones(customer: GateCustomer, rules: GateRules) -> tuple[tuple[str, ...], str]:
    """The customer's zones and where they came from: record, phone, or jurisdiction default."""
    if customer.timezone and zone(customer.timezone) is not None:
        return (customer.timezone,), "record"
    if customer.phone:
        found = zones_for_phone(customer.phone)
        if found and len(found) <= MAX_PHONE_ZONES:
            if rules.default_timezone in found:
                found = (rules.default_timezone, *(z for z in found if z != rules.default_timezone))
            return found, "phone"
    return (rules.default_timezone,), "jurisdiction_default"


# The gate (fincall.outbound.gate).

RULE_IDS: tuple[str, ...] = (
    "calling_window",
    "holiday",
    "weekend",
    "daily_attempt_cap",
    "weekly_attempt_cap",
    "connected_cap",
    "internal_dnc",
    "national_dnc",
    "no_marketing_consent",
    "customer_do_not_call",
)
_ORDER = {rule: i for i, rule in enumerate(RULE_IDS)}
_TIME_RULES = frozenset({"calling_window", "weekend", "holiday"})
_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
_TICK = timedelta(microseconds=1)
_HORIZON = timedelta(days=400)
_MAX_STEPS = 500


@dataclass(frozen=True, slots=True)
class _Plan:
    rules: PurposeRules
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
    day_cache: dict[tuple[str, date], Any]
    labels: tuple[str, str, str]


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _compile(pr: PurposeRules) -> _Plan:
    wk = pr.weekend.window or pr.window
    hol = pr.holiday.window or pr.window
    return _Plan(
        pr,
        _seconds(pr.window.start),
        _seconds(pr.window.end),
        pr.weekend.mode,
        _seconds(wk.start),
        _seconds(wk.end),
        pr.holiday.mode,
        _seconds(hol.start),
        _seconds(hol.end),
        wk.start,
        hol.start,
        pr.internal_dnc_from,
        any(
            c is not None
            for c in (
                pr.daily_attempt_cap,
                pr.weekly_attempt_cap,
                pr.daily_connected_cap,
                pr.weekly_connected_cap,
            )
        ),
        min(c for c in (pr.daily_attempt_cap, pr.weekly_attempt_cap, 1 << 30) if c is not None),
        min(c for c in (pr.daily_connected_cap, pr.weekly_connected_cap, 1 << 30) if c is not None),
        {},
        (pr.window.label(), wk.label(), hol.label()),
    )


def _plan(rules: GateRules, purpose: Purpose) -> _Plan:
    plans = rules.__dict__.get("_reference_plans")
    if plans is None:
        plans = {p: _compile(pr) for p, pr in rules.purposes.items()}
        object.__setattr__(rules, "_reference_plans", plans)
    return plans[purpose]


# One rule's verdict: (rule id, until or None for never, reason or "" when reasons are off).
_Verdict = tuple[str, datetime | None, str]


def _day_rule(
    mode: DayMode,
    start: int,
    end: int,
    start_t: time,
    is_special: Any,
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
    nxt = day + _DAY
    for _ in range(60):
        if not is_special(nxt):
            return next_wall(key, tz, nxt, _MIDNIGHT, t)
        if shortened:
            return next_wall(key, tz, nxt, start_t, t)
        nxt += _DAY
    return next_wall(key, tz, nxt, _MIDNIGHT, t)


_SLOW = object()  # the local day has a clock change: evaluate wall times one by one
_CLOSED = object()  # no instant of the local day passes the time rules


def _open_interval(plan: _Plan, rules: GateRules, key: str, tz: ZoneInfo, day: date) -> Any:
    """UTC [open, close) in which every time rule passes on ``day``, _CLOSED, or _SLOW."""
    start, end = day_bounds(key, tz, day)
    if (
        end - start != _DAY
        or start.astimezone(tz).utcoffset() != (end - _TICK).astimezone(tz).utcoffset()
    ):
        found: Any = _SLOW
    else:
        lo, hi = plan.win_start, plan.win_end
        closed = False
        if day.weekday() in rules.weekend_days:
            if plan.weekend_mode is DayMode.BLOCKED:
                closed = True
            elif plan.weekend_mode is DayMode.SHORTENED:
                lo, hi = max(lo, plan.weekend_start), min(hi, plan.weekend_end)
        if plan.holiday_mode is not DayMode.ALLOWED and day in holidays_for(rules, day.year):
            if plan.holiday_mode is DayMode.BLOCKED:
                closed = True
            else:
                lo, hi = max(lo, plan.holiday_start), min(hi, plan.holiday_end)
        if closed or lo >= hi:
            found = _CLOSED
        else:
            found = (start + timedelta(seconds=lo), start + timedelta(seconds=hi))
    if len(plan.day_cache) > 100_000:
        plan.day_cache.clear()
    plan.day_cache[(key, day)] = found
    return found


def _time_rules(
    plan: _Plan,
    rules: GateRules,
    key: str,
    tz: ZoneInfo,
    t: datetime,
    why: bool,
    purpose: str,
    local: datetime | None = None,
) -> list[_Verdict]:
    if local is None:
        local = t.astimezone(tz)
    day = local.date()
    interval = plan.day_cache.get((key, day))
    if interval is None:
        interval = _open_interval(plan, rules, key, tz, day)
    if interval is not _SLOW and interval is not _CLOSED and interval[0] <= t < interval[1]:
        return []
    out: list[_Verdict] = []
    secs = local.hour * 3600 + local.minute * 60 + local.second
    pr = plan.rules
    if not plan.win_start <= secs < plan.win_end:
        reason = ""
        if why:
            hhmm = f"{local.hour:02d}:{local.minute:02d}"
            reason = (
                f"local time {hhmm} ({key}) is outside the {purpose} calling window "
                f"{plan.labels[0]}"
            )
        target = day if secs < plan.win_start or interval is _SLOW else day + _DAY
        out.append(("calling_window", next_wall(key, tz, target, pr.window.start, t), reason))
    weekend = rules.weekend_days
    if plan.weekend_mode is not DayMode.ALLOWED and day.weekday() in weekend:
        until = _day_rule(
            plan.weekend_mode,
            plan.weekend_start,
            plan.weekend_end,
            plan.weekend_start_t,
            lambda d: d.weekday() in weekend,
            day,
            secs,
            key,
            tz,
            t,
            interval is _SLOW,
        )
        if until is not None:
            reason = ""
            if why:
                dow = WEEKDAYS[day.weekday()].capitalize()
                reason = f"{dow} ({key}): weekend {purpose} calls are not allowed"
                if plan.weekend_mode is DayMode.SHORTENED and pr.weekend.window:
                    hhmm = f"{local.hour:02d}:{local.minute:02d}"
                    reason = f"{dow} {hhmm} ({key}) is outside the weekend {purpose} "
                    reason += f"window {plan.labels[1]}"
            out.append(("weekend", until, reason))
    if plan.holiday_mode is not DayMode.ALLOWED:
        name = holidays_for(rules, day.year).get(day)
        if name is not None:

            def is_holiday(d: date) -> bool:
                return d in holidays_for(rules, d.year)

            until = _day_rule(
                plan.holiday_mode,
                plan.holiday_start,
                plan.holiday_end,
                plan.holiday_start_t,
                is_holiday,
                day,
                secs,
                key,
                tz,
                t,
                interval is _SLOW,
            )
            if until is not None:
                reason = ""
                if why:
                    reason = (
                        f"{day.isoformat()} is a public holiday in {rules.holiday_country}: {name}"
                    )
                    if plan.holiday_mode is DayMode.SHORTENED and pr.holiday.window:
                        reason += f"; holiday window is {plan.labels[2]}"
                out.append(("holiday", until, reason))
    return out


def _cap_rules(
    plan: _Plan,
    hist: Sequence[tuple[datetime, bool]],
    key: str,
    tz: ZoneInfo,
    t: datetime,
    why: bool,
    day: date,
) -> list[_Verdict]:
    out: list[_Verdict] = []
    if not hist or not plan.has_caps:
        return out
    week_start = t - _WEEK
    recent = [(at, c) for at, c in hist if week_start < at <= t]
    if len(recent) < plan.min_attempt_cap:  # every count below is at most len(recent)
        if sum(1 for _, c in recent if c) < plan.min_connected_cap:
            return out
    pr = plan.rules
    day_cap, week_cap = pr.daily_attempt_cap, pr.weekly_attempt_cap
    dconn_cap, wconn_cap = pr.daily_connected_cap, pr.weekly_connected_cap
    day_start = day_bounds(key, tz, day)[0]
    n_day = c_day = 0
    week: list[datetime] = []
    week_conn: list[datetime] = []
    for at, connected in recent:
        if at >= day_start:
            n_day += 1
            c_day += connected
        week.append(at)
        if connected:
            week_conn.append(at)
    if day_cap is not None and n_day >= day_cap:
        reason = ""
        if why:
            reason = f"{n_day} attempt(s) already on {day.isoformat()} ({key}); cap {day_cap} a day"
        out.append(("daily_attempt_cap", next_wall(key, tz, day + _DAY, _MIDNIGHT, t), reason))
    if week_cap is not None and len(week) >= week_cap:
        week.sort()
        until = week[len(week) - week_cap] + _WEEK if week_cap > 0 else None
        reason = ""
        if why:
            reason = f"{len(week)} attempts in the last 7 days; cap is {week_cap}"
        out.append(("weekly_attempt_cap", until, reason))
    conn_until: datetime | None = t
    conn_reasons: list[str] = []
    blocked = False
    if dconn_cap is not None and c_day >= dconn_cap:
        blocked = True
        conn_until = next_wall(key, tz, day + _DAY, _MIDNIGHT, t)
        if why:
            conn_reasons.append(f"{c_day} connected calls on {day.isoformat()} (cap {dconn_cap})")
    if wconn_cap is not None and len(week_conn) >= wconn_cap:
        blocked = True
        week_conn.sort()
        w_until = week_conn[len(week_conn) - wconn_cap] + _WEEK if wconn_cap > 0 else None
        if w_until is None or conn_until is None:
            conn_until = None
        else:
            conn_until = max(conn_until, w_until)
        if why:
            conn_reasons.append(f"{len(week_conn)} connected calls in 7 days (cap {wconn_cap})")
    if blocked:
        out.append(("connected_cap", conn_until, "; ".join(conn_reasons)))
    return out


def _static_rules(
    plan: _Plan, customer: GateCustomer, dnc: DncState, t: datetime, why: bool, purpose: str
) -> list[_Verdict]:
    pr = plan.rules
    out: list[_Verdict] = []
    if plan.dnc_from and dnc.internal:
        active = [
            e
            for e in dnc.internal
            if e.purpose in plan.dnc_from
            and (e.since is None or e.since <= t)
            and (e.until is None or t < e.until)
        ]
        if active:
            untils = [e.until for e in active]
            until = None if any(u is None for u in untils) else max(u for u in untils if u)
            reason = ""
            if why:
                listed = ", ".join(sorted({f"{e.purpose.value} ({e.source})" for e in active}))
                reason = f"customer is on the internal do-not-call list for {listed}"
            out.append(("internal_dnc", until, reason))
    if pr.national_dnc and customer.phone and customer.phone in dnc.national:
        reason = f"{customer.phone} is on the national do-not-call registry" if why else ""
        out.append(("national_dnc", None, reason))
    if pr.requires_consent and not customer.consent_marketing:
        reason = f"{purpose} calls need recorded marketing consent; none on record" if why else ""
        out.append(("no_marketing_consent", None, reason))
    if pr.honour_customer_do_not_call and customer.do_not_call:
        reason = "customer record is flagged do-not-call" if why else ""
        out.append(("customer_do_not_call", None, reason))
    return out


def _merge_zone_verdicts(per_zone: list[list[_Verdict]]) -> list[_Verdict]:
    merged: dict[str, _Verdict] = {}
    for verdicts in per_zone:
        for rule, until, reason in verdicts:
            prev = merged.get(rule)
            if prev is None:
                merged[rule] = (rule, until, reason)
            else:
                late = None if until is None or prev[1] is None else max(until, prev[1])
                merged[rule] = (rule, late, prev[2])
    return list(merged.values())


def _blocks_at(
    plan: _Plan,
    rules: GateRules,
    customer: GateCustomer,
    dnc: DncState,
    hist: Sequence[tuple[datetime, bool]],
    zones: Sequence[tuple[str, ZoneInfo]],
    t: datetime,
    why: bool,
    purpose: str,
) -> list[_Verdict]:
    key, tz = zones[0]
    local = t.astimezone(tz)
    day = local.date()
    verdicts: list[_Verdict]
    if len(zones) == 1:
        # Hot path: inside today's cached open interval no time rule can block.
        interval = plan.day_cache.get((key, day))
        if interval is None or interval is _SLOW or interval is _CLOSED:
            verdicts = _time_rules(plan, rules, key, tz, t, why, purpose, local)
        elif interval[0] <= t < interval[1]:
            verdicts = []
        else:
            verdicts = _time_rules(plan, rules, key, tz, t, why, purpose, local)
    else:
        per_zone = [_time_rules(plan, rules, k, z, t, why, purpose) for k, z in zones]
        verdicts = _merge_zone_verdicts(per_zone)
    if hist and plan.has_caps:
        verdicts += _cap_rules(plan, hist, key, tz, t, why, day)
    pr = plan.rules
    if (
        dnc.internal
        or customer.do_not_call
        or (pr.requires_consent and not customer.consent_marketing)
        or (pr.national_dnc and customer.phone is not None and customer.phone in dnc.national)
    ):
        verdicts += _static_rules(plan, customer, dnc, t, why, purpose)
    return verdicts


def _exact_until(
    rule: str,
    until: datetime | None,
    plan: _Plan,
    rules: GateRules,
    zones: Sequence[tuple[str, ZoneInfo]],
    purpose: str,
) -> datetime | None:
    """For a time rule checked in several zones: the first instant it passes in all of them."""
    t = until
    for _ in range(_MAX_STEPS):
        if t is None:
            return None
        later = [
            u
            for k, z in zones
            for r, u, _reason in _time_rules(plan, rules, k, z, t, False, purpose)
            if r == rule
        ]
        if not later:
            return t
        t = None if any(u is None for u in later) else max(u for u in later if u)
    return None


def _rule_order(verdict: _Verdict) -> int:
    return _ORDER.get(verdict[0], len(_ORDER))


def evaluate(
    *,
    customer: GateCustomer,
    purpose: Purpose,
    at: datetime,
    history: Sequence[AttemptRecord],
    rules: GateRules,
    dnc: DncState,
) -> GateDecision:
    """Decide whether ``customer`` may be called for ``purpose`` at ``at`` (UTC-aware).

    ``history`` holds the customer's attempts from every campaign and manual dial (attempts
    later than ``at`` are ignored). ``next_allowed_at`` is None when a blocking rule never
    clears by itself (consent, DNC, record flag) or no instant within 400 days passes.
    """
    if at.tzinfo is None:
        raise Invalid("the gate needs a timezone-aware instant", at=str(at))
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    plans = rules.__dict__.get("_reference_plans")
    plan = plans[purpose] if plans is not None else _plan(rules, purpose)
    tz_key = customer.timezone
    tz = zone(tz_key) if tz_key else None
    if tz is not None and tz_key is not None:
        zone_keys: tuple[str, ...] = (tz_key,)
        source = "record"
        tz_pairs: list[tuple[str, ZoneInfo]] = [(tz_key, tz)]
    else:
        zone_keys, source = resolve_zones(customer, rules)
        tz_pairs = [(k, z) for k in zone_keys if (z := zone(k)) is not None]
    if plan.rules.cap_scope == "all":
        hist = [
            (a.at if a.at.tzinfo is UTC else a.at.astimezone(UTC), a.connected) for a in history
        ]
    else:
        hist = [
            (a.at if a.at.tzinfo is UTC else a.at.astimezone(UTC), a.connected)
            for a in history
            if a.purpose is None or a.purpose is purpose
        ]
    pname: str = purpose  # a StrEnum formats as its value; .value is slow on 3.11
    first = _blocks_at(plan, rules, customer, dnc, hist, tz_pairs, at, True, pname)
    if not first:
        return GateDecision(True, purpose, at, (), at, zone_keys, source, rules.jurisdiction)
    if len(tz_pairs) > 1:
        first = [
            (r, _exact_until(r, u, plan, rules, tz_pairs, pname) if r in _TIME_RULES else u, why)
            for r, u, why in first
        ]
    first.sort(key=_rule_order)
    blocks = tuple(Block(rule, reason, until) for rule, until, reason in first)
    next_at = _walk(plan, rules, customer, dnc, hist, tz_pairs, at, first, pname)
    return GateDecision(False, purpose, at, blocks, next_at, zone_keys, source, rules.jurisdiction)


def _walk(
    plan: _Plan,
    rules: GateRules,
    customer: GateCustomer,
    dnc: DncState,
    hist: Sequence[tuple[datetime, bool]],
    zones: Sequence[tuple[str, ZoneInfo]],
    at: datetime,
    verdicts: list[_Verdict],
    purpose: str,
) -> datetime | None:
    limit = at + _HORIZON
    for _ in range(_MAX_STEPS):
        untils = [u for _r, u, _w in verdicts]
        if any(u is None for u in untils):
            return None
        t = max(u for u in untils if u is not None)
        if t > limit:
            return None
        verdicts = _blocks_at(plan, rules, customer, dnc, hist, zones, t, False, purpose)
        if not verdicts:
            return t
    return None
