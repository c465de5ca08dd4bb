"""Gate rules per jurisdiction and purpose, loadable from ``fincall/outbound/rules/*.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from fincall.outbound.errors import GateRulesInvalid, JurisdictionNotFound
from fincall.outbound.localtime import zone

RULES_DIR = Path(__file__).resolve().parent / "rules"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Purpose(StrEnum):
    COLLECTION = "collection"
    MARKETING = "marketing"
    SERVICE = "service"
    PROACTIVE_ALERT = "proactive_alert"


class DayMode(StrEnum):
    ALLOWED = "allowed"
    SHORTENED = "shortened"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Local wall-clock window, start inclusive, end exclusive (start < end, same day)."""

    start: time = time(8, 0)
    end: time = time(20, 0)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"calling window start {self.start} must be before end {self.end}")

    @property
    def start_s(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_s(self) -> int:
        return self.end.hour * 3600 + self.end.minute * 60 + self.end.second

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class DayPolicy:
    """What a weekend day or public holiday allows: all day, a shorter window, or nothing."""

    mode: DayMode = DayMode.ALLOWED
    window: CallingWindow | None = None

    def __post_init__(self) -> None:
        if self.mode is DayMode.SHORTENED and self.window is None:
            raise ValueError("a shortened day policy needs a window")


@dataclass(frozen=True, slots=True)
class PurposeRules:
    """Every knob of the gate for one purpose in one jurisdiction (caps count all campaigns)."""

    window: CallingWindow = field(default_factory=CallingWindow)
    weekend: DayPolicy = field(default_factory=DayPolicy)
    holiday: DayPolicy = field(default_factory=lambda: DayPolicy(DayMode.BLOCKED))
    daily_attempt_cap: int | None = 3
    weekly_attempt_cap: int | None = 7
    daily_connected_cap: int | None = None
    weekly_connected_cap: int | None = None
    cap_scope: str = "all"  # "all": every purpose counts; "purpose": only this purpose's attempts
    requires_consent: bool = False
    national_dnc: bool = False
    internal_dnc_from: frozenset[Purpose] = frozenset()
    honour_customer_do_not_call: bool = True


@dataclass(frozen=True)
class GateRules:
    """Rules of one jurisdiction: holidays, weekend days, default timezone, per-purpose rules."""

    jurisdiction: str
    regions: tuple[str, ...]
    default_timezone: str
    holiday_country: str | None
    purposes: Mapping[Purpose, PurposeRules]
    holiday_subdivision: str | None = None
    weekend_days: frozenset[int] = frozenset({5, 6})
    extra_holidays: Mapping[date, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if zone(self.default_timezone) is None:
            raise ValueError(f"unknown default timezone {self.default_timezone!r}")
        missing = [p.value for p in Purpose if p not in self.purposes]
        if missing:
            raise ValueError(f"rules for purposes {missing} are missing")

    def for_purpose(self, purpose: Purpose) -> PurposeRules:
        return self.purposes[purpose]


@dataclass(frozen=True)
class RuleBook:
    """All loaded jurisdictions, looked up by customer region (CN, HK, SG, UK, US ...)."""

    jurisdictions: Mapping[str, GateRules]

    def get(self, jurisdiction: str) -> GateRules:
        try:
            return self.jurisdictions[jurisdiction]
        except KeyError:
            raise JurisdictionNotFound(
                f"no outbound rules for jurisdiction {jurisdiction!r}", jurisdiction=jurisdiction
            ) from None

    def for_region(self, region: str) -> GateRules:
        wanted = region.upper()
        for rules in self.jurisdictions.values():
            if wanted in rules.regions:
                return rules
        raise JurisdictionNotFound(f"no outbound rules cover region {region!r}", region=region)


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 08:00 as 480
        return time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: expected a time like '08:00', got {value!r}")


def _window(raw: Any, where: str) -> CallingWindow:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping with start and end")
    return CallingWindow(
        _parse_time(raw.get("start"), f"{where}.start"), _parse_time(raw.get("end"), f"{where}.end")
    )


def _day_policy(raw: Any, where: str) -> DayPolicy:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping with a policy")
    mode = DayMode(raw.get("policy", "allowed"))
    window = _window(raw["window"], f"{where}.window") if "window" in raw else None
    return DayPolicy(mode, window)


def _cap(raw: Mapping[str, Any], key: str, default: int | None) -> int | None:
    if key not in raw:
        return default
    value = raw[key]
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"caps.{key}: expected a non-negative integer or null, got {value!r}")
    return value


_PURPOSE_KEYS = {
    "window",
    "weekend",
    "holiday",
    "caps",
    "cap_scope",
    "requires_consent",
    "national_dnc",
    "internal_dnc_from",
    "honour_customer_do_not_call",
}


def _purpose_rules(raw: Mapping[str, Any], purpose: Purpose, where: str) -> PurposeRules:
    unknown = set(raw) - _PURPOSE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    base = PurposeRules()
    caps = raw.get("caps") or {}
    dnc_from = raw.get("internal_dnc_from", ["self"])
    sources = frozenset(purpose if p == "self" else Purpose(p) for p in dnc_from)
    scope = raw.get("cap_scope", "all")
    if scope not in ("all", "purpose"):
        raise ValueError(f"{where}.cap_scope: expected 'all' or 'purpose'")
    return PurposeRules(
        window=_window(raw["window"], f"{where}.window") if "window" in raw else base.window,
        weekend=_day_policy(raw["weekend"], f"{where}.weekend")
        if "weekend" in raw
        else base.weekend,
        holiday=_day_policy(raw["holiday"], f"{where}.holiday")
        if "holiday" in raw
        else base.holiday,
        daily_attempt_cap=_cap(caps, "daily_attempts", base.daily_attempt_cap),
        weekly_attempt_cap=_cap(caps, "weekly_attempts", base.weekly_attempt_cap),
        daily_connected_cap=_cap(caps, "daily_connected", base.daily_connected_cap),
        weekly_connected_cap=_cap(caps, "weekly_connected", base.weekly_connected_cap),
        cap_scope=scope,
        requires_consent=bool(raw.get("requires_consent", purpose is Purpose.MARKETING)),
        national_dnc=bool(raw.get("national_dnc", purpose is Purpose.MARKETING)),
        internal_dnc_from=sources,
        honour_customer_do_not_call=bool(raw.get("honour_customer_do_not_call", True)),
    )


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def rules_from_mapping(raw: Mapping[str, Any]) -> GateRules:
    """Build GateRules from the parsed YAML shape (``defaults`` merged into each purpose)."""
    defaults = raw.get("defaults") or {}
    purposes_raw = raw.get("purposes") or {}
    unknown = set(purposes_raw) - {p.value for p in Purpose}
    if unknown:
        raise ValueError(f"purposes: unknown purposes {sorted(unknown)}")
    purposes = {
        p: _purpose_rules(_merge(defaults, purposes_raw.get(p.value) or {}), p, f"purposes.{p}")
        for p in Purpose
    }
    weekend = raw.get("weekend_days", ["sat", "sun"])
    extra = {
        date.fromisoformat(str(k)): str(v) for k, v in (raw.get("extra_holidays") or {}).items()
    }
    return GateRules(
        jurisdiction=str(raw["jurisdiction"]),
        regions=tuple(str(r).upper() for r in raw.get("regions", [])),
        default_timezone=str(raw["default_timezone"]),
        holiday_country=raw.get("holiday_country"),
        holiday_subdivision=raw.get("holiday_subdivision"),
        weekend_days=frozenset(WEEKDAYS.index(str(d).lower()[:3]) for d in weekend),
        extra_holidays=extra,
        purposes=purposes,
        notes=tuple(str(n) for n in raw.get("notes", [])),
    )


def load_rules(path: Path) -> GateRules:
    """Load one jurisdiction's rules file; a malformed file raises GateRulesInvalid naming it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, Mapping):
            raise ValueError("expected a mapping at the top level")
        return rules_from_mapping(raw)
    except (OSError, yaml.YAMLError, KeyError, ValueError, TypeError) as exc:
        raise GateRulesInvalid(str(exc), file=str(path)) from exc


def load_rulebook(directory: Path | None = None) -> RuleBook:
    """Load every ``*.yaml`` in ``directory`` (the shipped rules by default)."""
    folder = directory or RULES_DIR
    loaded = [load_rules(p) for p in sorted(folder.glob("*.yaml"))]
    return RuleBook({r.jurisdiction: r for r in loaded})
