"""Text features for the intent models: analyzers and a TF-IDF block usable without sklearn."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fincall.nlu.script import normalize_chinese

_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!]")
_ZH_CLEAN = re.compile(r"\s+")


def en_words(text: str) -> list[str]:
    """Lower-cased word 1-3 grams."""
    tokens = _EN_TOKEN.findall(text.lower())
    grams = list(tokens)
    grams += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    grams += [f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return grams


def en_chars(text: str) -> list[str]:
    """Character 2-5 grams inside word boundaries (like sklearn's char_wb)."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        size = len(padded)
        for n in (2, 3, 4, 5):
            if size >= n:
                grams.extend([padded[i : i + n] for i in range(size - n + 1)])
            else:
                grams.append(padded)
                break
    return grams


def _jieba_cut(text: str) -> list[str]:
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(60)
    return [w for w in jieba.lcut(text) if w.strip()]


def zh_tokens(text: str) -> list[str]:
    """Jieba words plus character unigrams and bigrams, on the Simplified Mandarin form."""
    simple = _ZH_CLEAN.sub("", normalize_chinese(text).lower())
    grams = [f"w:{w}" for w in _jieba_cut(simple)]
    grams += list(simple)
    grams += [simple[i : i + 2] for i in range(len(simple) - 1)]
    return grams


ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "en_words": en_words,
    "en_chars": en_chars,
    "zh_tokens": zh_tokens,
}


@dataclass
class TfidfBlock:
    """Sublinear TF-IDF with L2 norm over one analyzer, the same maths as sklearn's."""

    analyzer: str
    vocabulary: dict[str, int]
    idf: np.ndarray

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def indices(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and their weights for one text."""
        return self.weights(ANALYZERS[self.analyzer](text))

    def weights(self, grams: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and TF-IDF weights of an analysed text."""
        counts = Counter(g for g in grams if g in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64)
        values = tf * self.idf[idx]
        values /= np.linalg.norm(values)
        return idx, values.astype(np.float32)


def fit_block(analyzer: str, texts: Sequence[str], *, min_df: int = 1) -> TfidfBlock:
    """Learn vocabulary and IDF for one analyzer (sklearn's smooth IDF)."""
    return fit_block_from_grams(analyzer, [ANALYZERS[analyzer](t) for t in texts], min_df=min_df)


def fit_block_from_grams(
    analyzer: str, grams: Sequence[list[str]], *, min_df: int = 1
) -> TfidfBlock:
    """Vocabulary and smooth IDF from already analysed texts."""
    df: Counter[str] = Counter()
    for doc in grams:
        df.update(set(doc))
    terms = sorted(t for t, n in df.items() if n >= min_df)
    vocab = {t: i for i, t in enumerate(terms)}
    n_docs = len(grams)
    idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float64)
    return TfidfBlock(analyzer, vocab, idf)


def transform_grams(blocks: Sequence[TfidfBlock], grams: Sequence[Sequence[list[str]]]):  # noqa: ANN201
    """Sparse matrix of the blocks side by side; ``grams[b][r]`` is block b's analysis of row r."""
    import scipy.sparse as sp  # type: ignore[import-untyped]

    n_rows = len(grams[0]) if grams else 0
    rows, cols, vals = [], [], []
    offset = 0
    for block, block_grams in zip(blocks, grams, strict=True):
        for r, doc in enumerate(block_grams):
            idx, v = block.weights(doc)
            rows.append(np.full(len(idx), r))
            cols.append(idx + offset)
            vals.append(v)
        offset += block.size
    if not rows:
        return sp.csr_matrix((n_rows, offset), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, offset),
        dtype=np.float32,
    )


def transform(blocks: Sequence[TfidfBlock], texts: Sequence[str]):  # noqa: ANN201
    """Sparse matrix of the blocks side by side (for training)."""
    return transform_grams(blocks, [[ANALYZERS[b.analyzer](t) for t in texts] for b in blocks])
