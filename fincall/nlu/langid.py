"""Language identification for short texts: zh, en or mixed, and zh-Hans vs zh-Hant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from fincall.nlu.script import simplified_score, traditional_score

Language = Literal["zh", "en", "mixed", "unknown"]
Script = Literal["hans", "hant"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Latin tokens that are normal inside Chinese sentences and do not make them mixed.
_CODES = re.compile(r"^(?:[A-Z]{2,5}|[A-Za-z]{1,3}\d+\w*|app|APP|App|ok|OK|Ok)$")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The detected language, its BCP-47-style tag and the Han share of the letters."""

    language: Language
    tag: str
    han_ratio: float
    script: Script | None = None


def detect_script(text: str) -> Script:
    """zh-Hans or zh-Hant for a Chinese text (ties go to Simplified)."""
    return "hant" if traditional_score(text) > simplified_score(text) else "hans"


def identify(text: str) -> LanguageGuess:
    """Guess zh / en / mixed from script ratios and tokens (works on one-word texts)."""
    han = len(_HAN.findall(text))
    latin_words = _LATIN_WORD.findall(text)
    plain_words = [w for w in latin_words if not _CODES.match(w)]
    latin_letters = sum(len(w) for w in plain_words)
    if han == 0:
        if re.search(r"[A-Za-z]", text):
            return LanguageGuess("en", "en", 0.0)
        return LanguageGuess("unknown", "und", 0.0)
    # A Han character carries roughly as much as a 3-letter English word piece.
    weighted_han = han * 2.5
    ratio = weighted_han / (weighted_han + latin_letters)
    script = detect_script(text)
    tag = "zh-Hant" if script == "hant" else "zh-Hans"
    if len(plain_words) == 0 or ratio >= 0.85:
        return LanguageGuess("zh", tag, ratio, script)
    if ratio < 0.05:
        return LanguageGuess("en", "en", ratio, script)
    return LanguageGuess("mixed", f"mixed-{tag}", ratio, script)
