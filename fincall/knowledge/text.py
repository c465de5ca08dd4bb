"""Tokenisation for bilingual search: jieba for Chinese, light stemming for English."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['’\-][a-z0-9]+)*")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

EN_STOP = frozenset(
    """a an the and or of to in on for with by at from is are was were be been being it its
    this that these those i me my we our you your he she they them their what which who whom
    how when where why can could would should do does did have has had will shall may might
    must not no so if then than there here as about into over under up down out just also
    very get got please want need like know tell help hi hello thanks thank any some much
    many more most other such only own same too s t don doesn didn isn aren wasn i'm it's""".split()
)
ZH_STOP = frozenset(
    "的 了 是 我 你 他 她 它 们 我们 你们 在 和 与 及 或 吗 呢 吧 啊 呀 么 怎么 怎样 什么 如何 "
    "一个 这个 那个 这 那 有 没 没有 就 都 也 还 要 想 请问 请 可以 能 能否 会 把 被 对 给 "
    "让 为 为什么 到 从 用 上 下 里 中 个 些 一下 一些 帮 帮忙 帮我 您 您好 你好 谢谢 哪 哪里 "
    "多少 多久 几 吗？ ， 。 ？ ！".split()
)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    try:
        from opencc import OpenCC
    except ImportError:  # the converter is optional; Simplified text is unaffected
        return None
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters to Simplified (identity when OpenCC is not installed)."""
    conv = _t2s()
    if conv is None or not _HAN.search(text):
        return text
    return str(conv.convert(text))


def is_chinese(text: str) -> bool:
    """True when there are Han characters and they are not swamped by Latin letters."""
    han = len(_HAN.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return han > 0 and han * 4 >= latin


def stem(word: str) -> str:
    """A light English stemmer: plural, -ing, -ed and a few derivational endings."""
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3:
        return w
    for suffix, repl in (
        ("ations", "ate"),
        ("ation", "ate"),
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            w = w[: -len(suffix)] + repl
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # "stopp" -> "stop"
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]  # "arrive" and "arrived" meet at "arriv"
    return w


def tokens(text: str) -> list[str]:
    """Search tokens of mixed Chinese/English text (Traditional is folded to Simplified)."""
    norm = unicodedata.normalize("NFKC", to_simplified(text)).lower()
    out: list[str] = []
    for m in _RUN.finditer(norm):
        run = m.group()
        if _HAN.match(run):
            for w in jieba.lcut_for_search(run):
                w = w.strip()
                if w and w not in ZH_STOP:
                    out.append(w)
        elif run not in EN_STOP:
            out.append(stem(run))
    return out
