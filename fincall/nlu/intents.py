"""Intent classification: an English head (n-grams + MiniLM features) and a Chinese head."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from fincall.nlu.corpus import TrainingSet
from fincall.nlu.langid import identify
from fincall.nlu.linear import LinearHead, train_head
from fincall.nlu.neighbours import NeighbourVote, fit_vote
from fincall.nlu.store import load_heads, save_heads

MODEL_NAME = "intent_model"
NEIGHBOURS_FILE = "intent_neighbours.npz"
MODEL_VERSION = 2
EN_ANALYZERS = ("en_words", "en_chars")
ZH_ANALYZERS = ("zh_tokens",)
# Features taken from the encoder output: the normalised sentence embedding plus the
# mean-pooled outputs of layers 4 and 6 (mean norms 6.7 and 5.4), each scaled; chosen by 5-fold
# cross-validation on the English training data like the neighbour vote below.
DENSE_SEGMENTS: tuple[tuple[int, float], ...] = ((0, 2.0), (4, 0.3), (6, 0.37))
# English probabilities: (1 - weight) * linear head + weight * vote of the k nearest training
# sentences (chosen by 5-fold cross-validation on the English training data).
NEIGHBOUR_VOTE: dict[str, float] = {"k": 5, "sharpness": 30.0}
NEIGHBOUR_WEIGHT = 0.4

Decision = Literal["answer", "clarify", "handoff"]


class Encoder(Protocol):
    def encode_layers(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray: ...


def dense_features(
    layers: np.ndarray, segments: Sequence[tuple[int, float]] = DENSE_SEGMENTS
) -> np.ndarray:
    """Select and scale the encoder segments used as classifier features."""
    dim = 384
    parts = [layers[..., i * dim : (i + 1) * dim] * scale for i, scale in segments]
    return np.concatenate(parts, axis=-1).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Alternative:
    """A candidate intent and its probability."""

    intent: str
    confidence: float


@dataclass(frozen=True, slots=True)
class IntentResult:
    """The most likely intent, its calibrated confidence and the top-3 candidates."""

    text: str
    language: str
    intent: str
    confidence: float
    alternatives: tuple[Alternative, ...]

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by ``fincall nlu classify``."""
        return {
            "text": self.text,
            "language": self.language,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "alternatives": [
                {"intent": a.intent, "confidence": round(a.confidence, 4)}
                for a in self.alternatives
            ],
        }


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Confidence levels for the bot: answer at or above ``answer``, hand off below ``handoff``."""

    answer: float = 0.55
    handoff: float = 0.25


def decide(result: IntentResult, thresholds: Thresholds = Thresholds()) -> Decision:  # noqa: B008
    """Answer, ask a clarifying question, or hand off to a person."""
    if result.intent == "speak_to_agent" and result.confidence >= thresholds.handoff:
        return "handoff"
    if result.confidence >= thresholds.answer:
        return "answer"
    if result.confidence >= thresholds.handoff:
        return "clarify"
    return "handoff"


class IntentClassifier:
    """Classifies one utterance (English, Chinese in either script, or mixed)."""

    def __init__(
        self,
        *,
        english: LinearHead,
        chinese: LinearHead | None,
        encoder: Encoder | None,
        segments: Sequence[tuple[int, float]] = DENSE_SEGMENTS,
        neighbours: NeighbourVote | None = None,
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
        meta: dict[str, object] | None = None,
    ) -> None:
        self.english = english
        self.chinese = chinese
        self.encoder = encoder
        self.neighbours = neighbours
        self.neighbour_weight = neighbour_weight
        self.segments = tuple((int(i), float(s)) for i, s in segments)
        self.meta = meta or {}
        self.labels = sorted(set(english.labels) | set(chinese.labels if chinese else []))
        self._index = {label: i for i, label in enumerate(self.labels)}

    def _spread(self, head: LinearHead, proba: np.ndarray) -> np.ndarray:
        full = np.zeros(len(self.labels), dtype=np.float64)
        full[[self._index[label] for label in head.labels]] = proba
        return full

    def _english_proba(self, text: str) -> np.ndarray:
        if self.encoder is None or not (self.english.dense_dim or self.neighbours):
            return self._spread(self.english, self.english.proba(text))
        layers = self.encoder.encode_layers([text])[0]
        dense = dense_features(layers, self.segments) if self.english.dense_dim else None
        proba = self.english.proba(text, dense)
        if self.neighbours is not None:
            votes = self.neighbours.proba(layers[:384])
            proba = (1 - self.neighbour_weight) * proba + self.neighbour_weight * votes
        return self._spread(self.english, proba)

    def probabilities(self, text: str) -> tuple[str, np.ndarray]:
        """Language tag and the probability of every label for ``text``."""
        guess = identify(text)
        use_zh = self.chinese is not None and guess.language in ("zh", "mixed")
        if not use_zh:
            return guess.tag if guess.language != "unknown" else "en", self._english_proba(text)
        assert self.chinese is not None
        zh = self._spread(self.chinese, self.chinese.proba(text))
        if guess.language == "zh":
            return guess.tag, zh
        weight = min(max(guess.han_ratio, 0.3), 0.8)
        return guess.tag, weight * zh + (1 - weight) * self._english_proba(text)

    def classify(self, text: str) -> IntentResult:
        """The intent of one utterance, with a calibrated confidence and top-3 alternatives."""
        text = text.strip()
        language, proba = self.probabilities(text)
        top = np.argsort(-proba)[:3]
        alternatives = tuple(Alternative(self.labels[i], float(proba[i])) for i in top)
        return IntentResult(
            text=text,
            language=language,
            intent=alternatives[0].intent,
            confidence=alternatives[0].confidence,
            alternatives=alternatives,
        )

    def save(self, directory: Path) -> None:
        """Write the model files into ``directory``."""
        heads = {"en": self.english}
        if self.chinese is not None:
            heads["zh"] = self.chinese
        extra = {
            **self.meta,
            "version": MODEL_VERSION,
            "segments": [list(s) for s in self.segments],
        }
        if self.neighbours is not None:
            self.neighbours.save(directory / NEIGHBOURS_FILE)
            extra["neighbours"] = {
                "k": self.neighbours.k,
                "sharpness": self.neighbours.sharpness,
                "weight": self.neighbour_weight,
            }
        save_heads(directory, MODEL_NAME, heads, extra)

    @classmethod
    def load(cls, directory: Path, *, encoder: Encoder | None) -> IntentClassifier:
        """Read a model written by ``save``."""
        heads, meta = load_heads(directory, MODEL_NAME)
        segments = [(int(i), float(s)) for i, s in meta.pop("segments", DENSE_SEGMENTS)]
        vote = meta.pop("neighbours", None)
        neighbours = None
        if vote is not None:
            neighbours = NeighbourVote.load(
                directory / NEIGHBOURS_FILE,
                labels=heads["en"].labels,
                k=int(vote["k"]),
                sharpness=float(vote["sharpness"]),
            )
        return cls(
            english=heads["en"],
            chinese=heads.get("zh"),
            encoder=encoder,
            segments=segments,
            neighbours=neighbours,
            neighbour_weight=float(vote["weight"]) if vote else NEIGHBOUR_WEIGHT,
            meta=meta,
        )


def train_classifier(
    data: TrainingSet,
    *,
    encoder: Encoder | None,
    step: Callable[[str, float], None] | None = None,
    segments: Sequence[tuple[int, float]] = DENSE_SEGMENTS,
) -> IntentClassifier:
    """Train both heads; ``step(label, fraction_of_work)`` reports progress."""

    def report(label: str, amount: float) -> None:
        if step:
            step(label, amount)

    en_texts = [e.text for e in data.english]
    en_labels = [e.intent for e in data.english]
    dense = None
    neighbours = None
    if encoder is not None:
        total = len(en_texts)
        layers = encoder.encode_layers(
            en_texts, progress=lambda n: report("embedding English examples", 0.55 * n / total)
        )
        dense = dense_features(layers, segments)
        names = sorted(set(en_labels))
        targets = np.array([names.index(label) for label in en_labels])
        neighbours = fit_vote(names, layers[:, :384], targets, **NEIGHBOUR_VOTE)
    english = train_head(
        en_texts,
        en_labels,
        analyzers=EN_ANALYZERS,
        dense=dense,
        c=0.5,
        step=lambda label: report(f"English {label}", 0.15),
    )
    chinese = None
    if data.chinese:
        chinese = train_head(
            [e.text for e in data.chinese],
            [e.intent for e in data.chinese],
            analyzers=ZH_ANALYZERS,
            c=2.0,
            step=lambda label: report(f"Chinese {label}", 0.05),
        )
    meta: dict[str, object] = {
        "trained_on": {"english": len(en_texts), "chinese": len(data.chinese)}
    }
    return IntentClassifier(
        english=english,
        chinese=chinese,
        encoder=encoder,
        segments=segments,
        neighbours=neighbours,
        meta=meta,
    )
