"""Rules and customers shared by the gate tests."""

from __future__ import annotations

from datetime import time

from fincall.outbound.rules import (
    CallingWindow,
    DayMode,
    DayPolicy,
    GateRules,
    Purpose,
    PurposeRules,
)


def make_rules(
    *,
    window: tuple[time, time] = (time(8, 0), time(20, 0)),
    weekend: DayPolicy | None = None,
    holiday: DayPolicy | None = None,
    holiday_country: str | None = None,
    daily: int | None = 3,
    weekly: int | None = 7,
    daily_connected: int | None = None,
    weekly_connected: int | None = None,
    default_timezone: str = "UTC",
    dnc_from: dict[Purpose, frozenset[Purpose]] | None = None,
) -> GateRules:
    purposes = {}
    for p in Purpose:
        purposes[p] = PurposeRules(
            window=CallingWindow(*window),
            weekend=weekend or DayPolicy(DayMode.ALLOWED),
            holiday=holiday or DayPolicy(DayMode.BLOCKED),
            daily_attempt_cap=daily,
            weekly_attempt_cap=weekly,
            daily_connected_cap=daily_connected,
            weekly_connected_cap=weekly_connected,
            requires_consent=p is Purpose.MARKETING,
            national_dnc=p is Purpose.MARKETING,
            internal_dnc_from=(dnc_from or {}).get(p, frozenset({p})),
        )
    return GateRules(
        jurisdiction="test",
        regions=("XX",),
        default_timezone=default_timezone,
        holiday_country=holiday_country,
        purposes=purposes,
    )
