"""Calendars the gate consults: public holidays per region and a customer's time zones."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as holidays_pkg
import phonenumbers
from phonenumbers import timezone as phone_timezone

from fincall.outbound.gate_types import GateCustomer
from fincall.outbound.localtime import zone
from fincall.outbound.rules import GateRules

MAX_PHONE_ZONES = 8  # more candidate zones than this: use the jurisdiction default instead


def holidays_for(rules: GateRules, year: int) -> dict[date, str]:
    """Public holidays of the rules' region in ``year`` (cached per rules object and year)."""
    cache = rules.__dict__.get("_holiday_years")
    if cache is not None:
        found = cache.get(year)
        if found is not None:
            return found
    else:
        cache = {}
        object.__setattr__(rules, "_holiday_years", cache)
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
