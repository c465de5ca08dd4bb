"""Validators shared by the API shapes: phone numbers, timezones, languages, regions."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from zoneinfo import available_timezones

import phonenumbers

Language = Literal["zh-CN", "zh-HK", "en"]
Region = Literal["CN", "HK", "SG", "UK", "US"]
Segment = Literal["mass", "affluent", "hnw", "private"]
Channel = Literal["voice", "chat", "email", "message"]
Direction = Literal["inbound", "outbound"]
Speaker = Literal["agent", "customer", "bot"]
ProductType = Literal[
    "deposit", "fund", "wealth", "insurance", "loan", "installment", "credit_card"
]

# fincall says UK; the phone-number plan and ISO 3166 say GB.
PHONE_REGION = {"UK": "GB"}


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. Asia/Shanghai, Europe/London)")
    return value


def normalize_phone(value: str, region: str | None = None) -> str:
    """A valid number in E.164 (``+8613812345678``); national forms use ``region`` as a hint."""
    hint = PHONE_REGION.get(region or "", region) if region else None
    try:
        number = phonenumbers.parse(value, hint)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number (use E.164, e.g. +8613812345678)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
