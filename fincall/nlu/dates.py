"""Absolute and relative dates in English and Chinese, resolved against a reference day."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fincall.nlu.numbers import ZH_NUMERAL_CHARS, parse_number

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip
_WEEKDAYS_EN = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
    "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_RELATIVE_EN = {"today": 0, "tomorrow": 1, "yesterday": -1, "tonight": 0}
_RELATIVE_ZH = {
    "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "後天": 2, "大后天": 3, "大後天": 3,
    "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WD_ALT = "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True))
_SMALL_N = r"\d{1,3}|a|one|two|three|four|five|six|seven"
_ZN = rf"(?:\d{{1,4}}|[{ZH_NUMERAL_CHARS}]{{1,4}})"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")),
    ("dmy", re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})(?![\d/])")),
    (
        "zh_ymd",
        re.compile(
            rf"(?:(?P<y>\d{{4}}|[{ZH_NUMERAL_CHARS}]{{4}})年)?(?P<m>{_ZN})月(?P<d>{_ZN})[日号號]"
        ),
    ),
    (
        "zh_next_month_day",
        re.compile(rf"(?P<rel>下个月|下個月|下月|这个月|這個月|本月|上个月|上個月)(?P<d>{_ZN})[日号號]"),
    ),
    (
        "zh_week",
        re.compile(
            r"(?P<rel>下下|下|上|这|這|本)?(?:个|個)?(?:周|週|星期|礼拜|禮拜)"
            r"(?P<wd>[一二三四五六日天末])"
        ),
    ),
    (
        "zh_in_days",
        re.compile(rf"(?P<n>{_ZN})(?:天|日)(?P<dir>后|後|以后|以後|之后|之後|前|以前|之前)"),
    ),
    ("zh_rel", re.compile("|".join(sorted(_RELATIVE_ZH, key=len, reverse=True)))),
    (
        "en_day_month",
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH_ALT})\.?"
            rf"(?:,?\s+(?P<y>\d{{4}}))?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "en_month_day",
        re.compile(
            rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
            rf"(?:,?\s+(?P<y>\d{{4}}))?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "en_week",
        re.compile(
            rf"\b(?:(?P<rel>next|this|last|coming|on)\s+)?(?P<wd>{_WD_ALT})\b", re.IGNORECASE
        ),
    ),
    (
        "en_in_days",
        re.compile(rf"\bin\s+(?P<n>{_SMALL_N})\s+(?P<u>days?|weeks?)\b", re.IGNORECASE),
    ),
    (
        "en_days_ago",
        re.compile(rf"\b(?P<n>{_SMALL_N})\s+(?P<u>days?|weeks?)\s+ago\b", re.IGNORECASE),
    ),
    (
        "en_rel",
        re.compile(
            r"\b(?:the\s+)?day\s+after\s+tomorrow\b|\b(?:today|tomorrow|yesterday|tonight)\b",
            re.IGNORECASE,
        ),
    ),
]  # fmt: skip
_EN_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def _num(text: str | None) -> int | None:
    if text is None:
        return None
    if text.lower() in _EN_SMALL:
        return _EN_SMALL[text.lower()]
    value = parse_number(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _year(raw: str | None, today: date) -> int | None:
    if raw is None:
        return today.year
    value = _num(raw)
    if value is None:
        return None
    return value + 2000 if value < 100 else value


def _weekday(today: date, weekday: int, rel: str | None) -> date:
    rel = (rel or "").lower()
    start_of_week = today - timedelta(days=today.weekday())
    if rel in ("next", "下"):
        return start_of_week + timedelta(days=7 + weekday)
    if rel == "下下":
        return start_of_week + timedelta(days=14 + weekday)
    if rel in ("last", "上"):
        return start_of_week + timedelta(days=weekday - 7)
    if rel in ("this", "这", "這", "本"):
        return start_of_week + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead)


def _resolve(kind: str, m: re.Match[str], today: date, dayfirst: bool) -> date | None:
    g = m.groupdict()
    if kind == "iso":
        y, mo, d = _num(g["y"]), _num(g["m"]), _num(g["d"])
        return _safe_date(y, mo, d) if y and mo and d else None
    if kind == "dmy":
        a, b, y = _num(g["a"]), _num(g["b"]), _year(g["y"], today)
        if a is None or b is None or y is None:
            return None
        return _safe_date(y, b, a) if dayfirst else _safe_date(y, a, b)
    if kind in ("zh_ymd", "en_day_month", "en_month_day"):
        mo = _MONTHS.get(g["mon"].lower().rstrip(".")) if "mon" in g else _num(g["m"])
        d, y = _num(g["d"]), _year(g.get("y"), today)
        return _safe_date(y, mo, d) if y and mo and d else None
    if kind == "zh_next_month_day":
        d = _num(g["d"])
        shift = {"下": 1, "上": -1}.get(g["rel"][0], 0)
        month_index = today.year * 12 + today.month - 1 + shift
        return _safe_date(month_index // 12, month_index % 12 + 1, d) if d else None
    if kind == "zh_week":
        return _weekday(today, _WEEKDAYS_ZH[g["wd"]], g["rel"])
    if kind == "en_week":
        rel = g["rel"] if g["rel"] and g["rel"].lower() in ("next", "this", "last") else None
        return _weekday(today, _WEEKDAYS_EN[g["wd"].lower()], rel)
    if kind in ("zh_in_days", "en_in_days", "en_days_ago"):
        n = _num(g["n"])
        if n is None or n > 3650:
            return None
        days = n * (7 if (g.get("u") or "").lower().startswith("week") else 1)
        back = kind == "en_days_ago" or (g.get("dir") or "").endswith("前")
        return today - timedelta(days=days) if back else today + timedelta(days=days)
    if kind == "zh_rel":
        return today + timedelta(days=_RELATIVE_ZH[m.group(0)])
    if kind == "en_rel":
        word = m.group(0).lower()
        if "after" in word:
            return today + timedelta(days=2)
        return today + timedelta(days=_RELATIVE_EN[word])
    return None


def find_dates(text: str, *, today: date, dayfirst: bool = True) -> list[tuple[int, int, date]]:
    """Spans and resolved days of the dates in ``text`` (first pattern wins on overlaps)."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, int, date]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            try:
                day = _resolve(kind, m, today, dayfirst)
            except (ValueError, OverflowError, KeyError, ArithmeticError):
                day = None
            if day is not None:
                taken.append((m.start(), m.end()))
                out.append((m.start(), m.end(), day))
    return sorted(out)
