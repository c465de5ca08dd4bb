from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fincall.nlu.langid import identify
from fincall.nlu.script import to_simplified, to_traditional


@pytest.mark.parametrize(
    ("text", "language", "tag"),
    [
        ("I lost my card", "en", "en"),
        ("Hi", "en", "en"),
        ("我的卡怎么还没收到？", "zh", "zh-Hans"),
        ("我的卡怎麼還沒收到？", "zh", "zh-Hant"),
        ("帮我查一下USD汇率", "zh", "zh-Hans"),
        ("我的APP登录不了", "zh", "zh-Hans"),
        ("我想check一下我的balance", "mixed", "mixed-zh-Hans"),
        ("我想查一下 my account balance please", "mixed", "mixed-zh-Hans"),
        ("Can you help me 轉賬 to my mother's account", "mixed", "mixed-zh-Hant"),
        ("12345", "unknown", "und"),
        ("", "unknown", "und"),
    ],
)
def test_identify(text: str, language: str, tag: str) -> None:
    guess = identify(text)
    assert (guess.language, guess.tag) == (language, tag)


def test_script_conversion_round_trip() -> None:
    assert to_simplified("請幫我查詢帳戶餘額") == "请帮我查询帐户余额"
    assert to_traditional("请帮我查询帐户余额") == "請幫我查詢帳戶餘額"
    assert to_simplified("card") == "card"


@given(st.text(max_size=60))
def test_identify_never_raises(text: str) -> None:
    guess = identify(text)
    assert guess.language in ("zh", "en", "mixed", "unknown")
    assert 0.0 <= guess.han_ratio <= 1.0
