from __future__ import annotations

import pytest

from fincall.nlu.sentiment import SentimentScore, trajectory


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, that was really helpful", "positive"),
        ("This is ridiculous, I've been waiting for an hour!", "negative"),
        ("What time does the branch open?", "neutral"),
        ("太感谢了，问题解决了", "positive"),
        ("你们的服务太差了，我要投诉", "negative"),
        ("請問分行幾點開門？", "neutral"),
    ],
)
def test_labels_on_clear_utterances(nlu, text: str, label: str) -> None:
    result = nlu.sentiment.score(text)
    assert result.label == label
    assert -1.0 <= result.score <= 1.0
    if label == "positive":
        assert result.score > 0
    if label == "negative":
        assert result.score < 0


@pytest.mark.parametrize(
    "text",
    [
        "This is a scam, I'm furious and I'll go to the regulator!",
        "你们这是诈骗，气死我了，我要报警",
    ],
)
def test_angry_customers_are_flagged(nlu, text: str) -> None:
    result = nlu.sentiment.score(text)
    assert result.angry and result.flagged


@pytest.mark.parametrize(
    "text",
    ["Help, I think I've been scammed and lost all my savings", "救命，我的积蓄全没了，我好害怕"],
)
def test_distressed_customers_are_flagged(nlu, text: str) -> None:
    assert nlu.sentiment.score(text).distressed


def test_polite_customer_is_not_flagged(nlu) -> None:
    assert not nlu.sentiment.score("Thanks, that's all, have a nice day").flagged
    assert not nlu.sentiment.score("请问怎么修改密码？").flagged


def _s(label: str, score: float, angry: bool = False, distressed: bool = False) -> SentimentScore:
    return SentimentScore(label, score, 0.9, angry, distressed)  # type: ignore[arg-type]


def test_trajectory_flags_persistent_negativity_and_trend() -> None:
    calm = trajectory([_s("neutral", 0.0), _s("positive", 0.5)])
    assert not calm.flagged and calm.trend > 0
    souring = trajectory([_s("neutral", 0.0), _s("negative", -0.7), _s("negative", -0.9)])
    assert souring.flagged and souring.reason == "persistently-negative" and souring.trend < 0
    angry = trajectory([_s("neutral", 0.0), _s("negative", -0.5, angry=True)])
    assert angry.flagged and angry.reason == "angry"
    recovered = trajectory(
        [
            _s("negative", -0.9, angry=True),
            _s("neutral", 0.0),
            _s("positive", 0.6),
            _s("positive", 0.8),
        ]
    )
    assert not recovered.flagged
    assert trajectory([]).flagged is False
