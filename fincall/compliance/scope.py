"""Negation and disclaimer scope: is a phrase match inside a negated clause?"""

from __future__ import annotations

import re

_ZH_BOUNDARY = re.compile(r"[,.;!?、:。，；！？：\n]|但是|但|不过|可是|然而")
_ZH_CUES = ("不", "没", "无", "非", "未", "别", "勿", "莫", "否", "唔", "冇")
_ZH_NOT_NEGATION = (
    "不仅",
    "不但",
    "不用担心",
    "不必担心",
    "不用怕",
    "别担心",
    "不错",
    "非常",
    "无论",
    "不管",
    "毫无疑问",
    "没问题",
    "没错",
    "无忧",
    "不少",
    "莫过于",
    "是否",
    "不得不",
    "唔该",
    "唔該",
    "再不",
    "如果不",
    "要是不",
    "不然",
    "否则",
)
_EN_BOUNDARY = re.compile(r"[,.;!?:\n]|\bbut\b|\bhowever\b|\bthough\b")
_EN_CUES = frozenset(
    {
        "not",
        "no",
        "never",
        "cannot",
        "nobody",
        "none",
        "nothing",
        "neither",
        "nor",
        "without",
        "unable",
        "isn't",
        "aren't",
        "wasn't",
        "don't",
        "doesn't",
        "didn't",
        "can't",
        "won't",
        "couldn't",
        "shouldn't",
        "wouldn't",
        "mustn't",
    }
)
_EN_WORD = re.compile(r"[a-z']+")
_ZH_WINDOW = 10
_EN_WINDOW_CHARS = 48
_EN_WINDOW_WORDS = 5


def is_negated(norm: str, start: int, group: str) -> bool:
    """True when a negation cue precedes ``start`` within the same clause."""
    if group == "zh":
        window = norm[max(0, start - _ZH_WINDOW) : start]
        parts = _ZH_BOUNDARY.split(window)
        window = parts[-1] if parts else ""
        if not window:
            return False
        for ok in _ZH_NOT_NEGATION:
            if ok in window:
                window = window.replace(ok, "")
        return any(c in window for c in _ZH_CUES)
    window = norm[max(0, start - _EN_WINDOW_CHARS) : start]
    parts = _EN_BOUNDARY.split(window)
    window = parts[-1] if parts else ""
    words = _EN_WORD.findall(window)[-_EN_WINDOW_WORDS:]
    for i, w in enumerate(words):
        if w in _EN_CUES or w.endswith("n't"):
            if w == "not" and i + 1 < len(words) and words[i + 1] == "only":
                continue
            if w == "no" and i + 1 < len(words) and words[i + 1] in ("doubt", "worries"):
                continue
            return True
    return False
