from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from fincall.nlu.corpus import Example, TrainingSet
from fincall.nlu.intents import NEIGHBOURS_FILE, IntentClassifier, train_classifier
from fincall.nlu.neighbours import NeighbourVote, fit_vote


class HashingEncoder:
    """Stands in for MiniLM: bag-of-words hashed into 384 dims, repeated for the 6 layers."""

    dim = 384

    def encode_layers(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim * 7), dtype=np.float32)
        for row, text in enumerate(texts):
            vec = np.zeros(self.dim, dtype=np.float32)
            for word in text.lower().split():
                vec[zlib.crc32(word.encode()) % self.dim] += 1.0
            vec /= max(float(np.linalg.norm(vec)), 1e-12)
            out[row] = np.tile(vec, 7)
        if progress is not None:
            progress(len(texts))
        return out


def _vote(k: int = 3) -> NeighbourVote:
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.2, 0.8]], dtype=np.float32)
    return fit_vote(["a", "b"], vectors, np.array([0, 0, 1, 1, 1]), k=k, sharpness=10.0)


def test_the_nearest_sentences_decide_the_vote() -> None:
    vote = _vote()
    p = vote.proba(np.array([1.0, 0.05], dtype=np.float32) / np.hypot(1.0, 0.05))
    assert p.sum() == pytest.approx(1.0)
    assert p[0] > 0.9


def test_leave_one_out_ignores_the_query_itself() -> None:
    vote = _vote(k=1)
    rows = vote.vectors.astype(np.float32)
    with_self = vote.proba_many(rows)
    without = vote.proba_many(rows, exclude_self=True)
    assert np.array_equal(with_self.argmax(axis=1), vote.targets)
    # Alone, row 0's nearest other row is row 1 (same label); row 2's is row 4.
    assert without.argmax(axis=1).tolist() == [0, 0, 1, 1, 1]
    assert np.allclose(without.max(axis=1), 1.0)


def test_vote_round_trips_through_a_file(tmp_path: Path) -> None:
    vote = _vote()
    vote.save(tmp_path / "votes.npz")
    again = NeighbourVote.load(tmp_path / "votes.npz", labels=["a", "b"], k=3, sharpness=10.0)
    query = np.array([0.6, 0.8], dtype=np.float32)
    assert np.allclose(vote.proba(query), again.proba(query))


def _training_set() -> TrainingSet:
    english = [
        Example(f"{prefix} {topic}", intent)
        for intent, topic in (
            ("lost_or_stolen_card", "card lost stolen missing"),
            ("exchange_rate", "exchange rate euro dollar"),
            ("greeting", "hello good morning hi"),
        )
        for prefix in ("please", "help", "my", "the", "about", "now", "quick", "so")
    ]
    return TrainingSet(english=english, chinese=[])


def test_classifier_with_a_neighbour_vote_saves_and_loads_it(tmp_path: Path) -> None:
    encoder = HashingEncoder()
    classifier = train_classifier(_training_set(), encoder=encoder)
    assert classifier.neighbours is not None
    classifier.save(tmp_path)
    assert (tmp_path / NEIGHBOURS_FILE).exists()
    again = IntentClassifier.load(tmp_path, encoder=encoder)
    assert again.neighbours is not None
    assert again.neighbour_weight == classifier.neighbour_weight
    for text in ("my card was stolen", "euro exchange rate", "good morning"):
        _, p1 = classifier.probabilities(text)
        _, p2 = again.probabilities(text)
        assert np.allclose(p1, p2, atol=1e-3)
    assert again.classify("stolen card").intent == "lost_or_stolen_card"
