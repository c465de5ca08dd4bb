"""Saving and loading linear heads as NumPy arrays plus JSON (no pickle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from fincall.nlu.features import TfidfBlock
from fincall.nlu.linear import LinearHead


def head_to_files(head: LinearHead, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """JSON-able description and arrays of one head."""
    meta = {
        "labels": head.labels,
        "dense_dim": head.dense_dim,
        "dense_scale": head.dense_scale,
        "temperature": head.temperature,
        "blocks": [{"analyzer": b.analyzer, "vocabulary": b.vocabulary} for b in head.blocks],
    }
    arrays = {f"{prefix}.coef": head.coef.astype(np.float16), f"{prefix}.intercept": head.intercept}
    for i, block in enumerate(head.blocks):
        arrays[f"{prefix}.idf{i}"] = block.idf
    return meta, arrays


def head_from_files(meta: dict[str, Any], arrays: Any, prefix: str) -> LinearHead:
    """Rebuild a head saved by ``head_to_files``."""
    blocks = [
        TfidfBlock(
            b["analyzer"],
            {k: int(v) for k, v in b["vocabulary"].items()},
            arrays[f"{prefix}.idf{i}"],
        )
        for i, b in enumerate(meta["blocks"])
    ]
    return LinearHead(
        labels=list(meta["labels"]),
        blocks=blocks,
        coef=np.ascontiguousarray(arrays[f"{prefix}.coef"].astype(np.float32)),
        intercept=arrays[f"{prefix}.intercept"].astype(np.float32),
        dense_dim=int(meta["dense_dim"]),
        dense_scale=float(meta["dense_scale"]),
        temperature=float(meta["temperature"]),
    )


def save_heads(
    directory: Path, name: str, heads: dict[str, LinearHead], extra: dict[str, Any]
) -> None:
    """Write ``name.json`` and ``name.npz`` into ``directory`` (which the caller swaps in)."""
    meta: dict[str, Any] = {"heads": {}, **extra}
    arrays: dict[str, np.ndarray] = {}
    for key, head in heads.items():
        head_meta, head_arrays = head_to_files(head, key)
        meta["heads"][key] = head_meta
        arrays.update(head_arrays)
    np.savez(directory / f"{name}.npz", **arrays)  # type: ignore[arg-type]
    (directory / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def load_heads(directory: Path, name: str) -> tuple[dict[str, LinearHead], dict[str, Any]]:
    """Read heads written by ``save_heads``; returns the heads and the extra metadata."""
    meta = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    with np.load(directory / f"{name}.npz", allow_pickle=False) as arrays:
        data = {k: arrays[k] for k in arrays.files}
    heads = {key: head_from_files(m, data, key) for key, m in meta.pop("heads").items()}
    return heads, meta
