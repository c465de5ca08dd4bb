"""Paraphrase layer: a small linear classifier for prohibited promises no phrase list catches.

Features are binary and L2-normalised (Chinese: character 1–3-grams plus jieba words;
English: word 1–2-grams plus character 3-grams), so the trained logistic regression is
replayed at inference with a dictionary lookup per feature — microseconds per utterance.
Trained on ``data/promise_train.jsonl`` at first use and kept in memory.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from fincall.compliance.textnorm import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_FILE = DATA_DIR / "promise_train.jsonl"

# Cheap gate: only utterances with one of these (normalised) terms reach the classifier.
CUE_TERMS: dict[str, tuple[str, ...]] = {
    "zh": (
        "本金",
        "亏",
        "赔",
        "风险",
        "收益",
        "稳",
        "保证",
        "保障",
        "放心",
        "安全",
        "赚",
        "回报",
        "利息",
        "少不了",
        "跌",
        "损失",
        "兜底",
        "承诺",
        "肯定",
        "绝对",
        "包",
        "一分",
        "不少",
        "存钱",
        "涨",
        "钱",
        "蚀",
        "蝕",
    ),
    "en": (
        "lose",
        "loss",
        "losing",
        "risk",
        "return",
        "guarantee",
        "safe",
        "principal",
        "money back",
        "capital",
        "can't go wrong",
        "sure",
        "promise",
        "certain",
        "profit",
        "worry",
        "protected",
        "down",
        "gain",
        "earn",
        "your money",
        "goes up",
        "go up",
        "grow",
        "double",
        "penny",
        "cent",
    ),
}

_WORD = re.compile(r"[a-z0-9']+")
_lock = threading.Lock()


def _jieba_cut(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut(text, HMM=False)


def features(norm: str, group: str) -> set[str]:
    """Feature set of an already normalised utterance."""
    feats: set[str] = set()
    if group == "zh":
        s = "".join(ch for ch in norm if not ch.isspace())
        for n in (1, 2, 3):
            for i in range(len(s) - n + 1):
                feats.add(f"c{n}:{s[i : i + n]}")
        for w in _jieba_cut(s):
            if len(w) > 1:
                feats.add(f"w:{w}")
    else:
        words = _WORD.findall(norm)
        feats.update(f"w:{w}" for w in words)
        feats.update(f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
        s = f" {' '.join(words)} "
        feats.update(f"c3:{s[i : i + 3]}" for i in range(len(s) - 2))
    return feats


@dataclass(frozen=True)
class LinearModel:
    """Logistic regression over binary L2-normalised features."""

    weights: dict[str, float]
    bias: float

    def probability(self, norm: str, group: str) -> float:
        """Probability that the normalised utterance makes a prohibited promise."""
        total = 0.0
        k = 0
        w = self.weights
        for f in features(norm, group):
            v = w.get(f)
            if v is not None:
                total += v
                k += 1
        z = self.bias + (total / math.sqrt(k) if k else 0.0)
        return 1.0 / (1.0 + math.exp(-z))


def load_examples(path: Path = TRAIN_FILE) -> list[dict[str, object]]:
    """Labelled examples: {"text", "lang": "zh"|"en", "label": 0|1}."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def train(rows: list[dict[str, object]], group: str, *, c: float = 4.0) -> LinearModel:
    """Fit one language group's model on labelled rows."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize as l2

    sel = [r for r in rows if r["lang"] == group]
    feats = [dict.fromkeys(features(normalize(str(r["text"])), group), 1.0) for r in sel]
    y = np.array([int(r["label"]) for r in sel])  # type: ignore[call-overload]
    vec = DictVectorizer()
    x = l2(vec.fit_transform(feats))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    names = vec.get_feature_names_out()
    weights = {str(n): float(wt) for n, wt in zip(names, clf.coef_[0], strict=True)}
    return LinearModel(weights=weights, bias=float(clf.intercept_[0]))


_MODELS: dict[str, LinearModel] = {}


def get_model(group: str) -> LinearModel:
    """The trained model for a language group, trained once per process."""
    model = _MODELS.get(group)
    if model is None:
        with _lock:
            model = _MODELS.get(group)
            if model is None:
                model = train(load_examples(), group)
                _MODELS[group] = model
    return model
