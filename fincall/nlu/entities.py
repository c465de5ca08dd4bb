"""Entity extraction (English and Chinese): amounts, dates, card last-4, accounts, products, phones.

Pure functions: text (and a reference date, a product catalogue) in, typed entities with spans out.
Extraction never raises on any input string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import phonenumbers

from fincall.nlu.dates import find_dates
from fincall.nlu.numbers import SUFFIX_MULTIPLIERS, ZH_NUMERAL_CHARS, parse_number

EntityKind = Literal["amount", "date", "card_last4", "account", "product", "phone"]


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: its kind, the span [start, end) in the text, and the normalised value."""

    kind: EntityKind
    start: int
    end: int
    text: str
    value: str
    amount: Decimal | None = None
    currency: str | None = None
    day: date | None = None


@dataclass(frozen=True, slots=True)
class CatalogueProduct:
    """A product the extractor should recognise by code, name or alias."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


_CURRENCY_WORDS: dict[str, str] = {
    "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港幣": "HKD", "港元": "HKD", "港纸": "HKD",
    "us$": "USD", "usd": "USD", "美元": "USD", "美金": "USD", "dollars": "USD", "dollar": "USD",
    "bucks": "USD", "s$": "SGD", "sgd": "SGD", "新币": "SGD", "新幣": "SGD", "新加坡元": "SGD",
    "rmb": "CNY", "cny": "CNY", "cnh": "CNH", "人民币": "CNY", "人民幣": "CNY", "元": "CNY",
    "块钱": "CNY", "块": "CNY", "塊錢": "CNY", "塊": "CNY", "yuan": "CNY", "¥": "CNY", "￥": "CNY",
    "eur": "EUR", "€": "EUR", "euros": "EUR", "euro": "EUR", "欧元": "EUR", "歐元": "EUR",
    "gbp": "GBP", "£": "GBP", "pounds": "GBP", "pound": "GBP", "英镑": "GBP", "英鎊": "GBP",
    "jpy": "JPY", "日元": "JPY", "日圆": "JPY", "yen": "JPY", "aud": "AUD", "澳元": "AUD",
    "a$": "AUD", "cad": "CAD", "加元": "CAD", "chf": "CHF", "$": "USD",
}  # fmt: skip
_SORTED_CUR = sorted(_CURRENCY_WORDS, key=len, reverse=True)
_CUR_ALT = "|".join(re.escape(c) for c in _SORTED_CUR)
_NUM = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?"
    rf"|[{ZH_NUMERAL_CHARS}]+(?:[点點][{ZH_NUMERAL_CHARS}]+)?"
)
_MAG = r"(?:\s?(?:thousand|million|billion|bn|mn)\b|[kKmM](?![A-Za-z])|[万萬千百亿億]+)"
_NUMBER = rf"(?P<num>(?:{_NUM})(?:[万萬千百亿億]\d*)*)(?P<mag>{_MAG})?"
_AMOUNT_PREFIX = re.compile(rf"(?P<cur>{_CUR_ALT})\s?{_NUMBER}", re.IGNORECASE)
_AMOUNT_SUFFIX = re.compile(rf"{_NUMBER}\s?(?P<cur>{_CUR_ALT})", re.IGNORECASE)

_CARD_LAST4 = re.compile(
    r"(?:(?:card|account)\s+)?(?:ending|ends)\s+(?:in|with)?\s*(?P<d>\d{4})\b"
    r"|last\s+(?:four|4)(?:\s+digits?)?\s+(?:of\s+my\s+card\s+)?(?:is|are|:)?\s*(?P<d2>\d{4})\b"
    r"|(?:尾号|尾號|末四位|后四位|後四位|最后四位|最後四位)(?:是|为|為|:|：)?\s*(?P<d3>\d{4})(?!\d)",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"(?:account|acct|a/c)\.?\s*(?:number|no\.?|num|#)?\s*(?:is|:)?\s*(?P<d>\d[\d\- ]{5,22}\d)"
    r"|(?:账号|帳號|账户|帳戶|户口|戶口)(?:号码|號碼|号|號)?(?:是|为|為|:|：)?"
    r"\s*(?P<d2>\d[\d\- ]{5,22}\d)",
    re.IGNORECASE,
)


def _amount_value(num: str, mag: str | None) -> Decimal | None:
    value = parse_number(num)
    if value is None:
        return None
    if mag:
        key = mag.strip()
        multiplier = SUFFIX_MULTIPLIERS.get(key) or SUFFIX_MULTIPLIERS.get(key.lower())
        if multiplier is None:
            extra = parse_number("1" + key)
            if extra is None:
                return None
            multiplier = int(extra)
        value *= multiplier
    return value


def _plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def _find_amounts(text: str, default_currency: str) -> list[Entity]:
    found: list[Entity] = []
    for pattern in (_AMOUNT_PREFIX, _AMOUNT_SUFFIX):
        for m in pattern.finditer(text):
            cur_raw = m.group("cur")
            currency = _CURRENCY_WORDS.get(cur_raw.lower(), default_currency)
            if cur_raw == "$" and m.start() > 0 and text[m.start() - 1].isalpha():
                continue
            value = _amount_value(m.group("num"), m.group("mag"))
            if value is None:
                continue
            value = Decimal(_plain(value))
            start, end = m.start(), m.end()
            if pattern is _AMOUNT_SUFFIX and cur_raw.isalpha() and cur_raw.isascii():
                if end < len(text) and text[end].isalpha():
                    continue
            found.append(
                Entity(
                    "amount",
                    start,
                    end,
                    text[start:end],
                    f"{_plain(value)} {currency}",
                    value,
                    currency,
                )
            )
    return found


def _find_cards(text: str) -> list[Entity]:
    out = []
    for m in _CARD_LAST4.finditer(text):
        digits = m.group("d") or m.group("d2") or m.group("d3")
        out.append(Entity("card_last4", m.start(), m.end(), m.group(0), digits))
    return out


def _find_accounts(text: str) -> list[Entity]:
    out = []
    for m in _ACCOUNT.finditer(text):
        raw = m.group("d") or m.group("d2")
        digits = re.sub(r"\D", "", raw)
        if 6 <= len(digits) <= 20:
            out.append(Entity("account", m.start(), m.end(), m.group(0), digits))
    return out


def _find_products(text: str, catalogue: Sequence[CatalogueProduct]) -> list[Entity]:
    out = []
    lowered = text.lower()
    for product in catalogue:
        for name in (product.code, product.name, *product.aliases):
            needle = name.strip().lower()
            if not needle:
                continue
            start = lowered.find(needle)
            while start != -1:
                end = start + len(needle)
                before = lowered[start - 1] if start > 0 else " "
                after = lowered[end] if end < len(lowered) else " "
                ascii_name = needle.isascii()
                bounded = not ascii_name or (not before.isalnum() and not after.isalnum())
                if bounded:
                    out.append(Entity("product", start, end, text[start:end], product.code))
                start = lowered.find(needle, start + 1)
    return out


def _find_phones(text: str, regions: Sequence[str]) -> list[Entity]:
    out: list[Entity] = []
    for region in regions:
        try:
            matcher = phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID
            )
            for match in matcher:
                e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                out.append(Entity("phone", match.start, match.end, match.raw_string, e164))
        except Exception:  # noqa: S112 - a malformed candidate must not stop extraction
            continue
    return out


_PRIORITY = {"card_last4": 0, "account": 1, "phone": 2, "product": 3, "date": 4, "amount": 5}


def _resolve_overlaps(entities: list[Entity]) -> list[Entity]:
    ranked = sorted(entities, key=lambda e: (_PRIORITY[e.kind], -(e.end - e.start), e.start))
    kept: list[Entity] = []
    for entity in ranked:
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


def extract_entities(
    text: str,
    *,
    today: date,
    catalogue: Sequence[CatalogueProduct] = (),
    default_currency: str = "CNY",
    phone_regions: Sequence[str] = ("CN", "HK"),
    dayfirst: bool = True,
) -> list[Entity]:
    """All entities found in ``text``, without overlaps, ordered by position."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = text[:2000]
    found: list[Entity] = []
    found += _find_cards(text)
    found += _find_accounts(text)
    found += _find_phones(text, phone_regions)
    found += _find_products(text, catalogue)
    for start, end, day in find_dates(text, today=today, dayfirst=dayfirst):
        found.append(Entity("date", start, end, text[start:end], day.isoformat(), day=day))
    found += _find_amounts(text, default_currency)
    return _resolve_overlaps(found)
