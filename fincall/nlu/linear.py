"""Linear text classifiers over TF-IDF blocks and dense features, with temperature calibration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fincall.nlu.features import ANALYZERS, TfidfBlock, fit_block_from_grams, transform_grams


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class LinearHead:
    """One linear classifier: features from TF-IDF blocks plus scaled dense features."""

    labels: list[str]
    blocks: list[TfidfBlock]
    coef: np.ndarray  # (n_sparse + n_dense, n_classes)
    intercept: np.ndarray
    dense_dim: int = 0
    dense_scale: float = 1.0
    temperature: float = 1.0
    _offsets: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._offsets = []
        offset = 0
        for block in self.blocks:
            self._offsets.append(offset)
            offset += block.size
        self._dense_offset = offset

    def decision(self, text: str, dense: np.ndarray | None = None) -> np.ndarray:
        """Raw decision values for one text."""
        out = self.intercept.astype(np.float32).copy()
        for block, offset in zip(self.blocks, self._offsets, strict=True):
            idx, values = block.indices(text)
            if len(idx):
                out += values @ self.coef[idx + offset]
        if self.dense_dim and dense is not None:
            # On the calling thread: one query's product is too small to gain from BLAS threads,
            # and those threads stall when the cores are busy.
            out += np.einsum("d,dc->c", dense * self.dense_scale, self.coef[self._dense_offset :])
        return out

    def proba(self, text: str, dense: np.ndarray | None = None) -> np.ndarray:
        """Calibrated class probabilities for one text."""
        return softmax(self.decision(text, dense) * self.temperature)


def _design(blocks: Sequence[TfidfBlock], grams, dense: np.ndarray | None, scale: float):  # noqa: ANN001, ANN202
    import scipy.sparse as sp  # type: ignore[import-untyped]

    sparse = transform_grams(blocks, grams)
    if dense is None:
        return sparse
    return sp.hstack([sparse, sp.csr_matrix(dense * scale)]).tocsr()


def _fit_svm(x, y: np.ndarray, c: float):  # noqa: ANN001, ANN202
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    return LinearSVC(C=c, max_iter=5000).fit(x, y)


def fit_temperature(decisions: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises held-out log loss (grid search)."""
    best, best_t = np.inf, 1.0
    for t in np.geomspace(0.5, 60.0, 60):
        p = softmax(decisions * t)
        nll = -np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)))
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def _calibration_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        if len(idx) >= 4:
            held.extend(idx[: max(1, int(len(idx) * fraction))])
    held_arr = np.array(sorted(held), dtype=np.int64)
    mask = np.ones(len(y), dtype=bool)
    mask[held_arr] = False
    return np.flatnonzero(mask), held_arr


def train_head(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    analyzers: Sequence[str],
    dense: np.ndarray | None = None,
    dense_scale: float = 1.0,
    c: float = 0.5,
    calibrate: bool = True,
    min_df: int = 1,
    step: Callable[[str], None] | None = None,
) -> LinearHead:
    """Fit TF-IDF blocks and a linear SVM; calibrate its temperature on a held-out tenth."""
    names = sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    y = np.array([index[name] for name in labels])
    grams = [[ANALYZERS[a](t) for t in texts] for a in analyzers]
    blocks = [
        fit_block_from_grams(a, g, min_df=min_df) for a, g in zip(analyzers, grams, strict=True)
    ]
    x = _design(blocks, grams, dense, dense_scale)
    temperature = 1.0
    if calibrate and len(texts) >= 40:
        # The vocabulary is shared with the held-out tenth; only the weights are refitted.
        fit_idx, held_idx = _calibration_split(y, 0.1, seed=13)
        if len(held_idx) and len(np.unique(y[fit_idx])) == len(names):
            model = _fit_svm(x[fit_idx], y[fit_idx], c)
            held = model.decision_function(x[held_idx])
            if held.ndim == 1:
                held = np.stack([-held / 2, held / 2], axis=1)
            temperature = fit_temperature(held, y[held_idx])
        if step:
            step("calibrated")
    model = _fit_svm(x, y, c)
    coef = model.coef_.T.astype(np.float32)
    intercept = model.intercept_.astype(np.float32)
    if len(names) == 2:
        coef = np.concatenate([-coef / 2, coef / 2], axis=1)
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    if step:
        step("fitted")
    return LinearHead(
        labels=names,
        blocks=blocks,
        coef=np.ascontiguousarray(coef),
        intercept=intercept,
        dense_dim=0 if dense is None else dense.shape[1],
        dense_scale=dense_scale,
        temperature=temperature,
    )
