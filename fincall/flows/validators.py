"""Built-in parsers that validate collected values when no entity extractor supplies them."""

from __future__ import annotations

import re
from collections.abc import Callable

from fincall.flows.market import normalise_pair

_ZH_DIGITS = str.maketrans("零〇一二三四五六七八九幺两", "0012345678912")


def _digits_only(text: str) -> str:
    return re.sub(r"[\s\-]", "", text.translate(_ZH_DIGITS))


def card_last4(text: str) -> str | None:
    """Exactly four digits (the last digits of a card), also written in Chinese numerals."""
    runs = re.findall(r"(?<!\d)\d{4}(?!\d)", _digits_only(text))
    return runs[-1] if len(runs) >= 1 else None


def otp_code(text: str) -> str | None:
    """A six-digit one-time code."""
    runs = re.findall(r"(?<!\d)\d{6}(?!\d)", _digits_only(text))
    return runs[0] if runs else None


def transfer_reference(text: str) -> str | None:
    """A transfer reference such as TRF12345678 (the TRF prefix may be omitted)."""
    m = re.search(r"(?i)\bTRF\s*-?\s*(\d{8})\b", text)
    if m:
        return f"TRF{m.group(1)}"
    m = re.search(r"(?<!\d)(\d{8})(?!\d)", _digits_only(text))
    return f"TRF{m.group(1)}" if m else None


def currency_pair(text: str) -> str | None:
    """A currency pair such as USD/HKD, from codes or English/Chinese currency names."""
    try:
        return normalise_pair(text)
    except ValueError:
        return None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "card_last4": card_last4,
    "otp": otp_code,
    "transfer_reference": transfer_reference,
    "currency_pair": currency_pair,
}


def parse_value(kind: str, text: str, pattern: str | None = None) -> str | None:
    """Parse ``text`` as ``kind``; with only a ``pattern``, the stripped text must match it."""
    parser = VALIDATORS.get(kind)
    value = parser(text) if parser else text.strip() or None
    if value is not None and pattern is not None and not re.fullmatch(pattern, value):
        return None
    return value
