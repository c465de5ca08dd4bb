"""The gate's general algorithm: any number of candidate zones and days with clock changes.

Invariant: ``next_allowed_at`` is the earliest instant at or after ``at`` at which every rule
passes. It is found by walking forward: at each candidate instant every blocking rule reports
the first instant at which it alone stops blocking (it blocks without interruption until then),
and the walk jumps to the latest of those. DST gaps and folds are resolved by ``local_to_utc``.
``fincall.outbound.gate`` takes a faster path for one zone on days without a clock change and
hands everything else to ``decide``, which walks wall time by wall time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fincall.outbound.gate_time import DAY, MIDNIGHT, TICK, GatePlan, day_rule
from fincall.outbound.gate_types import AttemptRecord, Block, DncState, GateCustomer, GateDecision
from fincall.outbound.localtime import day_bounds, next_wall
from fincall.outbound.rules import WEEKDAYS, DayMode, GateRules, Purpose
from fincall.outbound.zones import holidays_for

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
WEEK = timedelta(days=7)
HORIZON = timedelta(days=400)
MAX_STEPS = 500


# One rule's verdict: (rule id, until or None for never, reason or "" when reasons are off).
_Verdict = tuple[str, datetime | None, str]


_SLOW = object()  # the local day has a clock change: evaluate wall times one by one
_CLOSED = object()  # no instant of the local day passes the time rules


def _open_interval(plan: GatePlan, rules: GateRules, key: str, tz: ZoneInfo, day: date) -> Any:
    """UTC [open, close) in which every time rule passes on ``day``, _CLOSED, or _SLOW."""
    start, end = day_bounds(key, tz, day)
    if (
        end - start != DAY
        or start.astimezone(tz).utcoffset() != (end - TICK).astimezone(tz).utcoffset()
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
    plan: GatePlan,
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
        target = day if secs < plan.win_start or interval is _SLOW else day + DAY
        out.append(("calling_window", next_wall(key, tz, target, pr.window.start, t), reason))
    weekend = rules.weekend_days
    if plan.weekend_mode is not DayMode.ALLOWED and day.weekday() in weekend:
        until = day_rule(
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

            until = day_rule(
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
    plan: GatePlan,
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
    week_start = t - WEEK
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
        out.append(("daily_attempt_cap", next_wall(key, tz, day + DAY, MIDNIGHT, t), reason))
    if week_cap is not None and len(week) >= week_cap:
        week.sort()
        until = week[len(week) - week_cap] + WEEK if week_cap > 0 else None
        reason = ""
        if why:
            reason = f"{len(week)} attempts in the last 7 days; cap is {week_cap}"
        out.append(("weekly_attempt_cap", until, reason))
    conn_until: datetime | None = t
    conn_reasons: list[str] = []
    blocked = False
    if dconn_cap is not None and c_day >= dconn_cap:
        blocked = True
        conn_until = next_wall(key, tz, day + DAY, MIDNIGHT, t)
        if why:
            conn_reasons.append(f"{c_day} connected calls on {day.isoformat()} (cap {dconn_cap})")
    if wconn_cap is not None and len(week_conn) >= wconn_cap:
        blocked = True
        week_conn.sort()
        w_until = week_conn[len(week_conn) - wconn_cap] + WEEK if wconn_cap > 0 else None
        if w_until is None or conn_until is None:
            conn_until = None
        else:
            conn_until = max(conn_until, w_until)
        if why:
            conn_reasons.append(f"{len(week_conn)} connected calls in 7 days (cap {wconn_cap})")
    if blocked:
        out.append(("connected_cap", conn_until, "; ".join(conn_reasons)))
    return out


def static_rules(
    plan: GatePlan, customer: GateCustomer, dnc: DncState, t: datetime, why: bool, purpose: str
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


def blocks_at(
    plan: GatePlan,
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
        verdicts += static_rules(plan, customer, dnc, t, why, purpose)
    return verdicts


def _exact_until(
    rule: str,
    until: datetime | None,
    plan: GatePlan,
    rules: GateRules,
    zones: Sequence[tuple[str, ZoneInfo]],
    purpose: str,
) -> datetime | None:
    """For a time rule checked in several zones: the first instant it passes in all of them."""
    t = until
    for _ in range(MAX_STEPS):
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


def _walk(
    plan: GatePlan,
    rules: GateRules,
    customer: GateCustomer,
    dnc: DncState,
    hist: Sequence[tuple[datetime, bool]],
    zones: Sequence[tuple[str, ZoneInfo]],
    at: datetime,
    verdicts: list[_Verdict],
    purpose: str,
) -> datetime | None:
    limit = at + HORIZON
    for _ in range(MAX_STEPS):
        untils = [u for _r, u, _w in verdicts]
        if any(u is None for u in untils):
            return None
        t = max(u for u in untils if u is not None)
        if t > limit:
            return None
        verdicts = blocks_at(plan, rules, customer, dnc, hist, zones, t, False, purpose)
        if not verdicts:
            return t
    return None


def hist_pairs(
    history: Sequence[AttemptRecord], plan: GatePlan, purpose: Purpose
) -> list[tuple[datetime, bool]]:
    """(UTC instant, connected) of the attempts the purpose's caps count."""
    if plan.rules.cap_scope == "all":
        return [
            (a.at if a.at.tzinfo is UTC else a.at.astimezone(UTC), a.connected) for a in history
        ]
    return [
        (a.at if a.at.tzinfo is UTC else a.at.astimezone(UTC), a.connected)
        for a in history
        if a.purpose is None or a.purpose is purpose
    ]


def decide(
    *,
    plan: GatePlan,
    customer: GateCustomer,
    purpose: Purpose,
    at: datetime,
    history: Sequence[AttemptRecord],
    rules: GateRules,
    dnc: DncState,
    zones: Sequence[tuple[str, ZoneInfo]],
    zone_keys: tuple[str, ...],
    source: str,
) -> GateDecision:
    """The gate's decision at ``at`` (UTC) for a customer in ``zones``, wall time by wall time."""
    hist = hist_pairs(history, plan, purpose)
    pname = plan.purpose
    first = blocks_at(plan, rules, customer, dnc, hist, zones, at, True, pname)
    if not first:
        return GateDecision(True, purpose, at, (), at, zone_keys, source, rules.jurisdiction)
    if len(zones) > 1:
        first = [
            (r, _exact_until(r, u, plan, rules, zones, pname) if r in _TIME_RULES else u, why)
            for r, u, why in first
        ]
    first.sort(key=_rule_order)
    blocks = tuple(Block(rule, reason, until) for rule, until, reason in first)
    next_at = _walk(plan, rules, customer, dnc, hist, zones, at, first, pname)
    return GateDecision(False, purpose, at, blocks, next_at, zone_keys, source, rules.jurisdiction)
