"""Parsing of numbers written with digits, Chinese numerals and magnitude suffixes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZH_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3,
    "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7,
    "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
ZH_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
ZH_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
ZH_NUMERAL_CHARS = "".join(ZH_DIGITS) + "".join(ZH_SMALL_UNITS) + "".join(ZH_BIG_UNITS) + "点點"
SUFFIX_MULTIPLIERS = {
    "k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000,
    "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
    "万": 10_000, "萬": 10_000, "千": 1_000, "百": 100, "亿": 100_000_000, "億": 100_000_000,
}  # fmt: skip


def parse_digits(text: str) -> Decimal | None:
    """A Decimal from '5,000.50' style digits, or None."""
    cleaned = text.replace(",", "").replace("，", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _small_section(text: str) -> int | None:
    """Value of a numeral below 10,000 such as 三千五百二十 or 三千五 (colloquial)."""
    total = 0
    digit: int | None = None
    last_unit = 10_000
    zero = False
    for ch in text:
        if ch in ZH_DIGITS:
            value = ZH_DIGITS[ch]
            if value == 0:
                zero = True
                continue
            if digit is not None:
                return None
            digit = value
        elif ch in ZH_SMALL_UNITS:
            unit = ZH_SMALL_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (digit if digit is not None else 1) * unit
            digit = None
            zero = False
            last_unit = unit
        else:
            return None
    if digit is not None:
        # 三千五 means 3500, 一百零五 means 105.
        total += digit if zero or last_unit in (10, 10_000) else digit * (last_unit // 10)
    return total


def parse_chinese_numeral(text: str) -> Decimal | None:
    """Value of a Chinese numeral (一万五千, 两百, 3万5千, 一万五, 三点五), or None."""
    if not text:
        return None
    if any(c in "点點" for c in text):
        head, _, tail = text.replace("點", "点").partition("点")
        whole = parse_chinese_numeral(head) if head else Decimal(0)
        if whole is None or not tail or any(c not in ZH_DIGITS and not c.isdigit() for c in tail):
            return None
        frac = "".join(str(ZH_DIGITS[c]) if c in ZH_DIGITS else c for c in tail)
        return whole + Decimal("0." + frac)
    total = 0
    rest = text
    for char, unit in (("亿", 100_000_000), ("億", 100_000_000), ("万", 10_000), ("萬", 10_000)):
        if char in rest:
            head, _, rest = rest.partition(char)
            value = _section_value(head)
            if value is None:
                return None
            total += (value if head else 1) * unit
            if rest and len(rest) == 1 and rest in ZH_DIGITS:
                # 一万五 means 15,000.
                return Decimal(total + ZH_DIGITS[rest] * unit // 10)
    value = _section_value(rest) if rest else 0
    if value is None:
        return None
    return Decimal(total + value)


def _section_value(text: str) -> int | None:
    if not text:
        return 0
    if text.isascii() and text.replace(",", "").isdigit():
        return int(text.replace(",", ""))
    if all(c in ZH_DIGITS for c in text) and len(text) > 1:
        # Digit by digit (二零二六) reads as a plain number.
        return int("".join(str(ZH_DIGITS[c]) for c in text))
    return _small_section(text)


def parse_number(text: str) -> Decimal | None:
    """Digits, Chinese numerals or a mix such as 3万5千; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    direct = parse_digits(text)
    if direct is not None:
        return direct
    # Digits with Chinese units: 3万5千, 1.5万
    if any(c.isdigit() for c in text):
        for char in ("亿", "億", "万", "萬", "千", "百"):
            if char in text:
                head, _, tail = text.partition(char)
                base = parse_number(head)
                if base is None:
                    return None
                rest = parse_number(tail) if tail else Decimal(0)
                if rest is None:
                    return None
                return base * SUFFIX_MULTIPLIERS[char] + rest
        return None
    return parse_chinese_numeral(text)
