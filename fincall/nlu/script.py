"""Simplified/Traditional Chinese: conversion to one script and script scoring."""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC  # type: ignore[import-untyped]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> OpenCC:
    return OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Text with Traditional characters replaced by their Simplified forms."""
    if not _HAN.search(text):
        return text
    return _t2s().convert(text)


def to_traditional(text: str) -> str:
    """Text with Simplified characters replaced by their Traditional forms."""
    if not _HAN.search(text):
        return text
    return _s2t().convert(text)


def traditional_score(text: str) -> int:
    """Number of characters that exist only in Traditional writing."""
    simplified = to_simplified(text)
    return sum(1 for a, b in zip(text, simplified, strict=False) if a != b)


def simplified_score(text: str) -> int:
    """Number of characters that exist only in Simplified writing."""
    traditional = to_traditional(text)
    return sum(1 for a, b in zip(text, traditional, strict=False) if a != b)


# Hong Kong Cantonese function words and banking terms, mapped to their Mandarin equivalents
# (applied after conversion to Simplified), so that both map to the same features.
_CANTONESE = (
    ("唔该", "谢谢"), ("多谢晒", "谢谢"), ("唔系", "不是"), ("唔可以", "不可以"), ("点样", "怎样"),
    ("点解", "为什么"), ("点算", "怎么办"), ("几时", "什么时候"), ("边度", "哪里"), ("边个", "谁"),
    ("咩嘢", "什么"), ("乜嘢", "什么"), ("嘅", "的"), ("咗", "了"), ("喺", "在"),
    ("冇", "没有"), ("唔", "不"), ("佢", "他"), ("嘢", "东西"), ("畀", "给"), ("俾", "给"),
    ("睇", "看"), ("谂", "想"), ("咩", "什么"), ("乜", "什么"), ("咁", "这样"), ("啲", "些"),
    ("嚟", "来"), ("攞", "拿"), ("搵", "找"), ("揾", "找"), ("啱", "对"), ("噉", "这样"),
    ("嗰", "那"), ("呢个", "这个"), ("帮手", "帮忙"), ("增值", "充值"), ("户口", "账户"),
    ("过数", "转账"), ("入数", "存款"), ("柜员机", "ATM"), ("提款机", "ATM"), ("埋单", "结账"),
    ("张卡", "这张卡"), ("部手机", "手机"), ("收唔到", "收不到"), ("用唔到", "用不了"),
)  # fmt: skip


_CANTONESE_IS = re.compile(r"(?<![關关聯联體体維维派])係")


def normalize_chinese(text: str) -> str:
    """Simplified text with common Cantonese words replaced by Mandarin ones."""
    # 係 (is) would become 系, which Simplified also uses for 系统, so it is mapped first.
    simple = to_simplified(_CANTONESE_IS.sub("是", text))
    for cantonese, mandarin in _CANTONESE:
        if cantonese in simple:
            simple = simple.replace(cantonese, mandarin)
    return simple
