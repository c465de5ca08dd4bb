"""Nearest-neighbour vote over sentence embeddings of the training examples.

Each of the ``k`` most similar training sentences (cosine) votes for its intent with weight
``exp(similarity * sharpness)``; the votes are normalised into a distribution over the labels.
The intent classifier mixes it with the linear head's probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class NeighbourVote:
    """Stored training embeddings (L2-normalised rows) and their label indices."""

    labels: list[str]
    vectors: np.ndarray  # (n_examples, dim) float32; float16 on disk
    targets: np.ndarray  # (n_examples,) index into labels
    k: int = 10
    sharpness: float = 20.0

    def proba_many(self, queries: np.ndarray, *, exclude_self: bool = False) -> np.ndarray:
        """Vote distributions for normalised query rows, shape (n_queries, n_labels).

        ``exclude_self`` drops each query's own row (queries are the stored rows themselves),
        for leave-one-out estimates on the training data.
        """
        out = np.zeros((len(queries), len(self.labels)), dtype=np.float64)
        for start in range(0, len(queries), 512):
            sims = queries[start : start + 512].astype(np.float32) @ self.vectors.T
            if exclude_self:
                rows = np.arange(start, min(start + 512, len(queries)))
                sims[rows - start, rows] = -np.inf
            out[start : start + len(sims)] = self._votes(sims)
        return out

    def proba(self, query: np.ndarray) -> np.ndarray:
        """Vote distribution for one normalised embedding.

        The similarities are computed by ``einsum`` on the calling thread: a multi-threaded BLAS
        product on a busy machine took ~24 ms at the median instead of ~1 ms.
        """
        sims = np.einsum("nd,d->n", self.vectors, query.astype(np.float32))
        return self._votes(sims[None, :])[0]

    def _votes(self, sims: np.ndarray) -> np.ndarray:
        top = np.argpartition(-sims, self.k, axis=1)[:, : self.k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        weights = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) * self.sharpness)
        out = np.zeros((len(sims), len(self.labels)), dtype=np.float64)
        np.add.at(out, (np.arange(len(top))[:, None], self.targets[top]), weights)
        return out / out.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """Write the vectors and targets as ``.npz`` (labels and settings go in the model JSON)."""
        np.savez(path, vectors=self.vectors.astype(np.float16), targets=self.targets)

    @classmethod
    def load(cls, path: Path, *, labels: list[str], k: int, sharpness: float) -> NeighbourVote:
        """Read what ``save`` wrote."""
        with np.load(path, allow_pickle=False) as arrays:
            vectors = arrays["vectors"].astype(np.float32)
            return cls(labels, vectors, arrays["targets"].astype(np.int64), k, sharpness)


def fit_vote(
    labels: list[str], vectors: np.ndarray, targets: np.ndarray, **settings: float
) -> NeighbourVote:
    """A vote over ``vectors`` (rows are normalised here)."""
    norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return NeighbourVote(
        labels,
        (vectors / norms).astype(np.float16).astype(np.float32),
        targets.astype(np.int64),
        int(settings.get("k", 10)),
        float(settings.get("sharpness", 20.0)),
    )
