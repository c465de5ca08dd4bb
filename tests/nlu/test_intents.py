from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fincall.core.settings import load_settings
from fincall.nlu import service
from fincall.nlu.corpus import all_labels, read_jsonl_examples
from fincall.nlu.errors import ModelUnavailable, TrainingDataInvalid
from fincall.nlu.intents import Alternative, IntentClassifier, IntentResult, Thresholds, decide

LABELS = set(all_labels())


def test_label_set_is_banking77_plus_contact_center() -> None:
    assert len(LABELS) == 85
    assert {"speak_to_agent", "complaint", "lost_or_stolen_card", "Refund_not_showing_up"} <= LABELS


@pytest.mark.parametrize(
    "text",
    ["I lost my card yesterday", "what's the exchange rate for euros", "我的卡丢了", "hello", "?!"],
)
def test_classify_returns_valid_label_confidence_and_top3(nlu, text: str) -> None:
    result = nlu.intents.classify(text)
    assert result.intent in LABELS
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.alternatives) == 3
    assert result.alternatives[0].intent == result.intent
    confidences = [a.confidence for a in result.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) <= 1.0 + 1e-6
    assert len({a.intent for a in result.alternatives}) == 3


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I lost my card, please help", "lost_or_stolen_card"),
        ("I want to speak to a real person", "speak_to_agent"),
        ("Good morning", "greeting"),
        ("How do I change my PIN?", "change_pin"),
    ],
)
def test_clear_english_examples(nlu, text: str, intent: str) -> None:
    assert nlu.intents.classify(text).intent == intent


@pytest.mark.parametrize(
    ("simplified", "traditional", "intent"),
    [
        ("我的银行卡丢了", "我的銀行卡丟了", "lost_or_stolen_card"),
        ("我要转人工服务", "我要轉人工服務", "speak_to_agent"),
        ("你好", "你好", "greeting"),
        ("我要投诉你们的服务", "我要投訴你們的服務", "complaint"),
    ],
)
def test_simplified_and_traditional_map_to_the_same_intent(
    nlu, simplified, traditional, intent
) -> None:
    a = nlu.intents.classify(simplified)
    b = nlu.intents.classify(traditional)
    assert a.intent == b.intent == intent
    assert a.language == "zh-Hans"
    assert b.language in ("zh-Hant", "zh-Hans")  # 你好 is written the same in both scripts


def test_saved_model_loads_with_identical_probabilities(nlu, nlu_data_dir: Path) -> None:
    again = IntentClassifier.load(
        service.model_dir(load_settings(data_dir=nlu_data_dir)), encoder=None
    )
    for text in ("card has not arrived", "我的卡還沒收到"):
        _, p1 = nlu.intents.probabilities(text)
        _, p2 = again.probabilities(text)
        assert np.allclose(p1, p2, atol=1e-3)


def _result(intent: str, confidence: float) -> IntentResult:
    alts = (Alternative(intent, confidence), Alternative("x", 0.0), Alternative("y", 0.0))
    return IntentResult("t", "en", intent, confidence, alts)


def test_decide_uses_thresholds() -> None:
    thresholds = Thresholds(answer=0.6, handoff=0.3)
    assert decide(_result("change_pin", 0.9), thresholds) == "answer"
    assert decide(_result("change_pin", 0.45), thresholds) == "clarify"
    assert decide(_result("change_pin", 0.1), thresholds) == "handoff"
    assert decide(_result("speak_to_agent", 0.5), thresholds) == "handoff"


def test_to_dict_has_the_cli_shape(nlu) -> None:
    data = nlu.intents.classify("I lost my card").to_dict()
    assert set(data) == {"text", "language", "intent", "confidence", "alternatives"}
    json.dumps(data)


def test_loading_an_untrained_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="fincall nlu train"):
        service.load(settings=load_settings(data_dir=tmp_path))


def test_bad_training_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "hi", "intent": "greeting"}\n{"text": "x", "intent": "nope"}\n')
    with pytest.raises(TrainingDataInvalid, match=r"bad.jsonl:2"):
        read_jsonl_examples(path, known=LABELS)


def test_chinese_data_files_use_known_labels_and_keep_test_apart() -> None:
    from fincall.nlu.corpus import DATA_DIR

    train = read_jsonl_examples(DATA_DIR / "intents_zh_train.jsonl", known=LABELS)
    test = read_jsonl_examples(DATA_DIR / "intents_zh_test.jsonl", known=LABELS)
    assert train and test
    assert not {e.text for e in train} & {e.text for e in test}
    en_train = read_jsonl_examples(DATA_DIR / "intents_en_extra_train.jsonl", known=LABELS)
    en_test = read_jsonl_examples(DATA_DIR / "intents_en_extra_test.jsonl", known=LABELS)
    assert not {e.text for e in en_train} & {e.text for e in en_test}
