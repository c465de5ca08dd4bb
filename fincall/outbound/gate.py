"""The outbound compliance gate: one pure function from (customer, purpose, time, history,
rules, do-not-call state) to allowed, or blocked with every blocking rule and when the
customer becomes callable again.

Invariant: ``next_allowed_at`` is the earliest instant at or after ``at`` at which every rule
passes, found by the walk described in ``gate_general``. For a customer in one zone, on local
days without a clock change, each step of the walk reads the day's precomputed time rules
(``gate_time.calling_day``, found from the instant's UTC day and second by
``gate_time.utc_day``) and counts attempts in one pass, and by bisection over their sorted
instants once a cap blocks; on any other day, and for customers with several candidate zones,
the step is the general one. Either way the decision is the same, reason for reason and
instant for instant.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fincall.core.errors import Invalid
from fincall.outbound.gate_general import (
    HORIZON,
    MAX_STEPS,
    RULE_IDS,
    WEEK,
    blocks_at,
    decide,
    hist_pairs,
    static_rules,
)
from fincall.outbound.gate_time import (
    EPOCH,
    CallingDay,
    GatePlan,
    LocalDay,
    calling_day,
    plan_for,
    utc_day,
)
from fincall.outbound.gate_types import (
    AttemptRecord,
    Block,
    DncEntry,
    DncState,
    GateCustomer,
    GateDecision,
)
from fincall.outbound.localtime import zone
from fincall.outbound.rules import GateRules, Purpose
from fincall.outbound.zones import holidays_for, resolve_zones, zones_for_phone

__all__ = [
    "RULE_IDS",
    "AttemptRecord",
    "Block",
    "DncEntry",
    "DncState",
    "GateCustomer",
    "GateDecision",
    "evaluate",
    "holidays_for",
    "resolve_zones",
    "zones_for_phone",
]

# One rule's verdict: (rule id, until or None for never, reason or "" when reasons are off).
_Verdict = tuple[str, datetime | None, str]
# Attempt instants the caps count, sorted: (all, connected); None when no cap can ever block.
_Counted = tuple[list[datetime], list[datetime]] | None
# A customer's zone on record: (zone, the decision's zone keys), one tuple shared per key.
_RECORD_ZONES: dict[str, tuple[ZoneInfo, tuple[str, ...]]] = {}
# Caps at an instant: none can block from there on, count to find out, or one blocks.
_CLEAR, _COUNT, _BLOCKS = 0, 1, 2
_HHMM = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60))  # wall minute -> "HH:MM"


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
    plans = rules.__dict__.get("_gate_plans")
    plan: GatePlan = plans[purpose] if plans is not None else plan_for(rules, purpose)
    key = customer.timezone
    known = _RECORD_ZONES.get(key)  # type: ignore[arg-type]
    if known is None and key and (tz := zone(key)) is not None:
        known = _RECORD_ZONES[key] = (tz, (key,))
    zone_keys: tuple[str, ...]
    if known is not None and key is not None:
        tz, zone_keys = known
        source = "record"
    else:
        zone_keys, source = resolve_zones(customer, rules)
        key = zone_keys[0]
        tz = zone(key) if len(zone_keys) == 1 else None
        if tz is None:
            pairs = [(k, z) for k in zone_keys if (z := zone(k)) is not None]
            return decide(
                plan=plan, customer=customer, purpose=purpose, at=at, history=history,
                rules=rules, dnc=dnc, zones=pairs, zone_keys=zone_keys, source=source,
            )  # fmt: skip
    cd = _calling_day_at(plan, rules, key, tz, at)
    if cd is None:
        return decide(
            plan=plan, customer=customer, purpose=purpose, at=at, history=history, rules=rules,
            dnc=dnc, zones=[(key, tz)], zone_keys=zone_keys, source=source,
        )  # fmt: skip
    pr = plan.rules
    statics = bool(
        dnc.internal
        or customer.do_not_call
        or (pr.requires_consent and not customer.consent_marketing)
        or (pr.national_dnc and customer.phone is not None and customer.phone in dnc.national)
    )
    caps = _caps_state(plan, history, purpose, at, cd.day) if history and plan.has_caps else _CLEAR
    if caps != _BLOCKS and not statics and cd.open <= at < cd.close:
        return GateDecision(True, purpose, at, (), at, zone_keys, source, rules.jurisdiction)
    counted: list[_Counted] = []  # the sorted attempt instants, once a cap first blocks
    verdicts = _verdicts(plan, cd, at, caps, history, purpose, counted, customer, dnc,
                         statics, tz, True)  # fmt: skip
    if caps == _BLOCKS:
        caps = _COUNT
    if not verdicts:
        return GateDecision(True, purpose, at, (), at, zone_keys, source, rules.jurisdiction)
    if len(verdicts) == 1:
        rule, until, reason = verdicts[0]
        blocks: tuple[Block, ...] = (Block(rule, reason, until),)
    else:
        blocks = tuple([Block(rule, reason, until) for rule, until, reason in verdicts])
    limit = at + HORIZON
    next_at: datetime | None = None
    for _ in range(MAX_STEPS):
        t = verdicts[0][1] if len(verdicts) == 1 else _latest(verdicts)
        if t is None or t > limit:
            break
        if cd is None or not cd.day.start <= t < cd.day.end:
            cd = _calling_day_at(plan, rules, key, tz, t)
        if cd is not None and caps == _CLEAR and not statics and cd.open <= t < cd.close:
            next_at = t  # only the time rules could block, and they pass at t
            break
        if cd is None:
            hist = hist_pairs(history, plan, purpose)
            pname = plan.purpose
            verdicts = blocks_at(plan, rules, customer, dnc, hist, [(key, tz)], t, False, pname)
        else:
            verdicts = _verdicts(plan, cd, t, caps, history, purpose, counted, customer,
                                 dnc, statics, tz, False)  # fmt: skip
        if not verdicts:
            next_at = t
            break
    return GateDecision(False, purpose, at, blocks, next_at, zone_keys, source, rules.jurisdiction)


def _calling_day_at(
    plan: GatePlan, rules: GateRules, key: str, tz: ZoneInfo, t: datetime
) -> CallingDay | None:
    """The calling day in zone ``key`` that holds ``t``; None when it has a clock change."""
    since = t - EPOCH
    try:
        spans = plan.utc_days[(key, since.days)]
    except KeyError:
        spans = utc_day(plan, rules, key, tz, since.days)
    if spans is not None:
        return spans[1] if since.seconds < spans[0] else spans[2]
    return calling_day(plan, rules, key, t.astimezone(tz).date())


def _latest(verdicts: list[_Verdict]) -> datetime | None:
    """The instant every verdict has cleared by; None when one never clears."""
    latest = verdicts[0][1]
    for _rule, until, _reason in verdicts:
        if until is None:
            return None
        if latest is None or until > latest:
            latest = until
    return latest


def _caps_state(
    plan: GatePlan, history: Sequence[AttemptRecord], purpose: Purpose, t: datetime, ld: LocalDay
) -> int:
    """Whether a cap blocks at ``t`` (one counting pass; the same counts as ``_cap_verdicts``):
    _BLOCKS; _COUNT when none does; _CLEAR when none does and no counted attempt is later
    than ``t``, so that none can block at a later instant either (every count over a window
    ending at a later instant is then a count over a subset of the same attempts)."""
    every = plan.rules.cap_scope == "all"
    week_start, day_start = t - WEEK, ld.start
    counted = n_week = n_day = c_week = c_day = 0
    later = False
    for a in history:
        if every or a.purpose is None or a.purpose is purpose:
            counted += 1
            at = a.at
            if at > t:
                later = True
            elif at > week_start:
                n_week += 1
                today = at >= day_start
                n_day += today
                if a.connected:
                    c_week += 1
                    c_day += today
    if not counted or (n_week < plan.min_attempt_cap and c_week < plan.min_connected_cap):
        return _COUNT if later else _CLEAR
    pr = plan.rules
    if (
        (pr.daily_attempt_cap is not None and n_day >= pr.daily_attempt_cap)
        or (pr.weekly_attempt_cap is not None and n_week >= pr.weekly_attempt_cap)
        or (pr.daily_connected_cap is not None and c_day >= pr.daily_connected_cap)
        or (pr.weekly_connected_cap is not None and c_week >= pr.weekly_connected_cap)
    ):
        return _BLOCKS
    return _COUNT if later else _CLEAR


def _counted(plan: GatePlan, history: Sequence[AttemptRecord], purpose: Purpose) -> _Counted:
    if plan.rules.cap_scope == "all":
        times = [a.at for a in history]
        connected = [a.at for a in history if a.connected]
    else:
        mine = [a for a in history if a.purpose is None or a.purpose is purpose]
        times = [a.at for a in mine]
        connected = [a.at for a in mine if a.connected]
    if not times or (len(times) < plan.min_attempt_cap and len(connected) < plan.min_connected_cap):
        return None
    for at in times:
        if at.tzinfo is not UTC:  # same instants, but in UTC as the clearing times are
            times = [x.astimezone(UTC) for x in times]
            connected = [x.astimezone(UTC) for x in connected]
            break
    times.sort()
    connected.sort()
    return times, connected


def _verdicts(
    plan: GatePlan,
    cd: CallingDay,
    t: datetime,
    caps: int,
    history: Sequence[AttemptRecord],
    purpose: Purpose,
    counted: list[_Counted],
    customer: GateCustomer,
    dnc: DncState,
    statics: bool,
    tz: ZoneInfo,
    why: bool,
) -> list[_Verdict]:
    """Every rule blocking at ``t`` (on ``cd``'s local day), in rule order, with reasons when
    ``why``. ``caps`` is _CLEAR, _BLOCKS (known to block at ``t``) or _COUNT (count in one pass
    to find out); ``counted`` keeps the sorted instants once a cap blocks."""
    out: list[_Verdict] = []
    if not cd.open <= t < cd.close:
        secs = (t - cd.day.start).seconds  # a uniform day: wall seconds since midnight
        for check in cd.checks:
            if secs < check.lo:
                until = check.before
            elif secs >= check.hi:
                until = check.after
            else:
                continue
            reason = ""
            if why:
                if check.tail is None:
                    reason = check.head
                else:
                    reason = check.head + _HHMM[secs // 60] + check.tail
            out.append((check.rule, until, reason))
    if caps and (caps == _BLOCKS or _caps_state(plan, history, purpose, t, cd.day) == _BLOCKS):
        if not counted:
            counted.append(_counted(plan, history, purpose))
        found = counted[0]
        if found is not None:
            _cap_verdicts(plan, found[0], found[1], t, cd.day, tz.key, why, out)
    if statics:
        out += static_rules(plan, customer, dnc, t, why, plan.purpose)
    return out


def _cap_verdicts(
    plan: GatePlan,
    times: list[datetime],
    connected: list[datetime],
    t: datetime,
    ld: LocalDay,
    key: str,
    why: bool,
    out: list[_Verdict],
) -> None:
    """Append the cap verdicts at ``t``, counting attempts in (t - 7 days, t] by bisection."""
    week_start = t - WEEK
    lo, hi = bisect_right(times, week_start), bisect_right(times, t)
    if connected:
        c_lo, c_hi = bisect_right(connected, week_start), bisect_right(connected, t)
    else:
        c_lo = c_hi = 0
    n_week, c_week = hi - lo, c_hi - c_lo
    if n_week < plan.min_attempt_cap and c_week < plan.min_connected_cap:
        return
    pr = plan.rules
    day_cap, week_cap = pr.daily_attempt_cap, pr.weekly_attempt_cap
    n_day = c_day = 0
    if n_week and (day_cap is not None or pr.daily_connected_cap is not None):
        first = bisect_left(times, ld.start)  # at or after the local midnight (never after t)
        n_day = hi - (first if first > lo else lo)
        if c_week:
            first = bisect_left(connected, ld.start)
            c_day = c_hi - (first if first > c_lo else c_lo)
    if day_cap is not None and n_day >= day_cap:
        reason = ""
        if why:
            reason = (
                f"{n_day} attempt(s) already on {ld.date.isoformat()} ({key}); cap {day_cap} a day"
            )
        out.append(("daily_attempt_cap", ld.end, reason))
    if week_cap is not None and n_week >= week_cap:
        until = times[hi - week_cap] + WEEK if week_cap > 0 else None
        reason = f"{n_week} attempts in the last 7 days; cap is {week_cap}" if why else ""
        out.append(("weekly_attempt_cap", until, reason))
    dconn_cap, wconn_cap = pr.daily_connected_cap, pr.weekly_connected_cap
    conn_until: datetime | None = t
    reasons: list[str] = []
    blocked = False
    if dconn_cap is not None and c_day >= dconn_cap:
        blocked = True
        conn_until = ld.end
        if why:
            reasons.append(f"{c_day} connected calls on {ld.date.isoformat()} (cap {dconn_cap})")
    if wconn_cap is not None and c_week >= wconn_cap:
        blocked = True
        w_until = connected[c_hi - wconn_cap] + WEEK if wconn_cap > 0 else None
        if w_until is None or conn_until is None:
            conn_until = None
        else:
            conn_until = max(conn_until, w_until)
        if why:
            reasons.append(f"{c_week} connected calls in 7 days (cap {wconn_cap})")
    if blocked:
        out.append(("connected_cap", conn_until, "; ".join(reasons)))
