"""Per-utterance sentiment (negative/neutral/positive), anger/distress cues, contact trajectory.

The shipped model is trained by ``fincall nlu train`` from utterances written for fincall
(``data/sentiment_*.jsonl``) on top of packaged lexicons: VADER for English, SnowNLP for
Chinese. Research corpora are used only by ``benchmarks/sentiment_eval.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from fincall.nlu.corpus import DATA_DIR
from fincall.nlu.errors import TrainingDataInvalid
from fincall.nlu.langid import identify
from fincall.nlu.linear import LinearHead, train_head
from fincall.nlu.script import to_simplified
from fincall.nlu.store import load_heads, save_heads

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
MODEL_NAME = "sentiment_model"

_ANGER = re.compile(
    r"\b(?:furious|angry|outrageous|ridiculous|unacceptable|disgrace\w*|scam\w*|rip[- ]?off|"
    r"sick of|fed up|had enough|worst|useless|pathetic|lawyer|sue|regulator|ombudsman|"
    r"complain\w*|rude|cheat\w*|liars?|joke)\b"
    r"|气死|氣死|太过分|太過分|离谱|離譜|骗子|騙子|骗局|騙局|诈骗|詐騙|投诉|投訴|监管|監管|报警|報警"
    r"|受够|受夠|垃圾|恶劣|惡劣|无语|無語|忍无可忍|什么破|搞什么",
    re.IGNORECASE,
)
_DISTRESS = re.compile(
    r"\b(?:scared|afraid|worried|desperate|panic\w*|stressed|help me|emergency|hospital|"
    r"can't pay|cannot pay|lost (?:all|everything)|savings)\b|救命|害怕|好怕|急需|着急|著急|"
    r"压力好大|壓力好大|求求|绝望|絕望|医院|醫院|积蓄|積蓄|全没了|全沒了",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SentimentScore:
    """Sentiment of one utterance: label, score in [-1, 1] (positive minus negative), cues."""

    label: Label
    score: float
    confidence: float
    angry: bool
    distressed: bool

    @property
    def flagged(self) -> bool:
        """True for an angry or distressed customer (priority routing, supervisor alert)."""
        return self.angry or self.distressed


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Sentiment over a contact: per-utterance scores, smoothed level, trend and a flag."""

    scores: tuple[float, ...]
    smoothed: float
    trend: float
    flagged: bool
    reason: str | None


def trajectory(utterances: Sequence[SentimentScore], *, alpha: float = 0.5) -> Trajectory:
    """Contact-level trajectory of the customer's utterances, in order."""
    if not utterances:
        return Trajectory((), 0.0, 0.0, False, None)
    scores = tuple(u.score for u in utterances)
    smoothed = scores[0]
    for s in scores[1:]:
        smoothed = alpha * s + (1 - alpha) * smoothed
    half = max(1, len(scores) // 2)
    trend = float(np.mean(scores[-half:]) - np.mean(scores[:half])) if len(scores) > 1 else 0.0
    recent = utterances[-3:]
    reason = None
    if any(u.angry for u in recent):
        reason = "angry"
    elif any(u.distressed for u in recent):
        reason = "distressed"
    elif sum(u.label == "negative" for u in recent) >= 2 and smoothed <= -0.4:
        reason = "persistently-negative"
    return Trajectory(scores, round(smoothed, 4), round(trend, 4), reason is not None, reason)


@lru_cache(maxsize=1)
def _vader():  # noqa: ANN202
    from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
        SentimentIntensityAnalyzer,
    )

    return SentimentIntensityAnalyzer()


def vader_features(text: str) -> np.ndarray:
    """VADER compound, positive, negative and neutral shares."""
    s = _vader().polarity_scores(text)
    return np.array([s["compound"], s["pos"], s["neg"], s["neu"]], dtype=np.float32)


def snownlp_positive(text: str) -> float:
    """SnowNLP's probability that a Chinese text is positive."""
    from snownlp import SnowNLP  # type: ignore[import-untyped]

    simple = to_simplified(text).strip()
    if not simple:
        return 0.5
    return float(SnowNLP(simple).sentiments)


def lexicon_features(text: str, language: str) -> np.ndarray:
    """Lexicon scores plus anger/distress cue counts."""
    cues = [
        len(_ANGER.findall(text)),
        len(_DISTRESS.findall(text)),
        text.count("!") + text.count("！"),
    ]
    if language == "zh":
        lex = [snownlp_positive(text) * 2 - 1, 0.0, 0.0, 0.0]
    else:
        lex = list(vader_features(text))
    return np.array(lex + [min(c, 3) for c in cues], dtype=np.float32)


def _dense(text: str, language: str, encoder) -> np.ndarray:  # noqa: ANN001
    parts = [lexicon_features(text, language) * 2.0]
    if language == "en" and encoder is not None:
        parts.append(encoder.encode_layers([text])[0, :384])
    return np.concatenate(parts)


class SentimentAnalyzer:
    """Scores utterances in English or Chinese."""

    def __init__(self, *, heads: dict[str, LinearHead], encoder) -> None:  # noqa: ANN001
        self.heads = heads
        self.encoder = encoder

    def score(self, text: str) -> SentimentScore:
        """Sentiment of one utterance."""
        guess = identify(text)
        language = "zh" if guess.language in ("zh", "mixed") else "en"
        head = self.heads[language]
        encoder = self.encoder if head.dense_dim > 7 else None
        proba = head.proba(text, _dense(text, language, encoder))
        by_label = dict(zip(head.labels, proba.tolist(), strict=True))
        label: Label = max(LABELS, key=lambda name: by_label.get(name, 0.0))
        score = by_label.get("positive", 0.0) - by_label.get("negative", 0.0)
        angry = bool(_ANGER.search(text)) and label == "negative"
        distressed = bool(_DISTRESS.search(text)) and label != "positive"
        return SentimentScore(label, round(score, 4), round(by_label[label], 4), angry, distressed)

    def save(self, directory: Path) -> None:
        """Write the sentiment heads into ``directory``."""
        save_heads(directory, MODEL_NAME, self.heads, {"version": 1})

    @classmethod
    def load(cls, directory: Path, *, encoder) -> SentimentAnalyzer:  # noqa: ANN001
        """Read heads written by ``save``."""
        heads, _ = load_heads(directory, MODEL_NAME)
        return cls(heads=heads, encoder=encoder)


def read_sentiment_file(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from a JSON-lines file."""
    out = []
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TrainingDataInvalid(
                f"{path}:{line}: not valid JSON", path=str(path), line=line
            ) from exc
        if (
            not isinstance(obj, dict)
            or obj.get("label") not in LABELS
            or not str(obj.get("text", "")).strip()
        ):
            raise TrainingDataInvalid(
                f"{path}:{line}: needs text and a label", path=str(path), line=line
            )
        out.append((str(obj["text"]), str(obj["label"])))
    return out


def train_sentiment_head(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    language: str,
    encoder,  # noqa: ANN001
) -> LinearHead:
    """Fit one language's head on n-grams plus lexicon (and, for English, MiniLM) features."""
    dense = np.stack([_dense(t, language, encoder) for t in texts])
    analyzers = ("zh_tokens",) if language == "zh" else ("en_words", "en_chars")
    return train_head(texts, labels, analyzers=analyzers, dense=dense, c=0.3)


def train_sentiment(
    *,
    encoder,
    data_dir: Path = DATA_DIR,
    step: Callable[[str, float], None] | None = None,  # noqa: ANN001
) -> SentimentAnalyzer:
    """Train the shipped sentiment model from the files written for fincall."""
    heads = {}
    for language in ("en", "zh"):
        pairs = read_sentiment_file(data_dir / f"sentiment_{language}.jsonl")
        heads[language] = train_sentiment_head(
            [t for t, _ in pairs], [lab for _, lab in pairs], language=language, encoder=encoder
        )
        if step:
            step(f"sentiment {language}", 0.025)
    return SentimentAnalyzer(heads=heads, encoder=encoder)
