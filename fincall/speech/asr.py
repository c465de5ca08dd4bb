"""Offline speech recognition behind one small interface.

* ``PocketsphinxRecognizer``: English, using the model shipped inside the pocketsphinx wheel;
  menus pass their expected vocabulary or phrases, which become a JSGF grammar.
* ``ModelDirRecognizer``: an operator-provided model directory per language (Vosk or
  sherpa-onnx). Configure it as ``{"zh": Path("/srv/models/vosk-model-cn-0.22")}``; the engine's
  Python package must be installed (``pip install vosk`` or ``pip install sherpa-onnx``). Without a
  model for a language it raises ``SpeechUnavailable`` ("no model configured for zh"), so a
  contact records that its transcript is unavailable instead of storing an empty one.

Vosk directories are recognised by ``am/final.mdl`` (or ``conf/model.conf``); sherpa-onnx
directories by ``tokens.txt`` with a ``model.onnx`` / ``model.int8.onnx`` (paraformer) file.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fincall.speech.audio import resample
from fincall.speech.errors import SpeechFailed, SpeechUnavailable


@dataclass(frozen=True)
class Word:
    """A recognised word with its time span in seconds from the start of the audio."""

    word: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Transcript:
    """A recogniser's result for one piece of audio."""

    text: str
    language: str
    engine: str
    words: list[Word] = field(default_factory=list)
    audio_s: float = 0.0
    elapsed_s: float = 0.0

    @property
    def real_time_factor(self) -> float:
        """Processing time divided by audio duration."""
        return self.elapsed_s / self.audio_s if self.audio_s else 0.0


class Recognizer(Protocol):
    """Turns 16-bit mono PCM into text."""

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        rate: int,
        language: str = "en",
        vocabulary: Sequence[str] | None = None,
        phrases: Sequence[str] | None = None,
    ) -> Transcript:
        """Recognise ``samples``; ``vocabulary``/``phrases`` restrict what may be heard."""
        ...


def _words_of(text: str) -> list[str]:
    return [
        w
        for w in "".join(c if c.isalnum() or c in "' " else " " for c in text.lower()).split()
        if w
    ]


class PocketsphinxRecognizer:
    """English ASR with the wheel's en-us model (8 kHz audio is upsampled to 16 kHz)."""

    engine = "pocketsphinx"
    languages = ("en",)

    # Menu phrase grammars are tiny and need wide beams; word loops and dictation are costly
    # and run with tighter pruning (measured: vocabulary recall 0.61 at RTF ~0.2 vs 0.64 at 0.7).
    MENU = {"beam": 1e-30, "wbeam": 1e-20, "pbeam": 1e-30, "maxhmmpf": 5000}
    DICTATION = {"beam": 1e-25, "wbeam": 1e-15, "pbeam": 1e-25, "maxhmmpf": 3000}

    def __init__(
        self,
        *,
        menu_params: Mapping[str, float] | None = None,
        dictation_params: Mapping[str, float] | None = None,
    ) -> None:
        self._params = {
            "menu": dict(menu_params or self.MENU),
            "dictation": dict(dictation_params or self.DICTATION),
        }
        self._decoders: dict[str, Any] = {}
        self._searches: set[tuple[str, str]] = set()
        self._default_search = ""

    def _get_decoder(self, kind: str) -> Any:
        if kind not in self._decoders:
            try:
                pocketsphinx = importlib.import_module("pocketsphinx")
            except ImportError as exc:
                raise SpeechUnavailable(
                    "pocketsphinx is not installed (pip install pocketsphinx)"
                ) from exc
            decoder = pocketsphinx.Decoder(samprate=16000, loglevel="FATAL", **self._params[kind])
            self._default_search = decoder.current_search()
            self._decoders[kind] = decoder
        return self._decoders[kind]

    def _grammar(
        self,
        decoder: Any,
        kind: str,
        vocabulary: Sequence[str] | None,
        phrases: Sequence[str] | None,
    ) -> str | None:
        known = [*(vocabulary or ()), *(w for p in phrases or () for w in _words_of(p))]
        usable = sorted(w for w in {x.lower() for x in known} if decoder.lookup_word(w) is not None)
        if not usable:
            return None
        if phrases:
            alts = [" ".join(_words_of(p)) for p in phrases]
            alts = [a for a in alts if all(w in usable for w in a.split())]
            body = " | ".join(f"( {a} )" for a in alts) or " | ".join(usable)
        else:
            body = "( " + " | ".join(usable) + " )+"
        grammar = f"#JSGF V1.0;\ngrammar menu;\npublic <utt> = {body} ;\n"
        name = "g" + hashlib.sha256(grammar.encode()).hexdigest()[:16]
        if (kind, name) not in self._searches:
            decoder.add_jsgf_string(name, grammar)
            self._searches.add((kind, name))
        return name

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        rate: int,
        language: str = "en",
        vocabulary: Sequence[str] | None = None,
        phrases: Sequence[str] | None = None,
    ) -> Transcript:
        """Recognise English speech (free dictation, or restricted to a vocabulary/phrases)."""
        if not language.lower().startswith("en"):
            raise SpeechUnavailable(f"pocketsphinx has no model for {language}", language=language)
        kind = "menu" if phrases else "dictation"
        decoder = self._get_decoder(kind)
        search = (
            self._grammar(decoder, kind, vocabulary, phrases) if (vocabulary or phrases) else None
        )
        decoder.activate_search(search or self._default_search)
        audio = resample(np.asarray(samples, dtype=np.int16), rate, 16000)
        started = time.perf_counter()
        try:
            decoder.start_utt()
            decoder.process_raw(audio.tobytes(), full_utt=True)
            decoder.end_utt()
        except RuntimeError as exc:
            raise SpeechFailed(f"pocketsphinx failed: {exc}") from exc
        hyp = decoder.hyp()
        words = [
            Word(seg.word.split("(")[0], seg.start_frame / 100.0, seg.end_frame / 100.0)
            for seg in (decoder.seg() or [])
            if seg.word not in ("<s>", "</s>", "<sil>", "[NOISE]") and not seg.word.startswith("++")
        ]
        return Transcript(
            text=hyp.hypstr if hyp else "",
            language="en",
            engine=self.engine,
            words=words,
            audio_s=len(audio) / 16000.0,
            elapsed_s=time.perf_counter() - started,
        )


def detect_model_kind(path: Path) -> str:
    """``vosk`` or ``sherpa-onnx`` from a model directory's layout (SpeechUnavailable otherwise)."""
    if (path / "am" / "final.mdl").exists() or (path / "conf" / "model.conf").exists():
        return "vosk"
    if (path / "tokens.txt").exists() and any(path.glob("*.onnx")):
        return "sherpa-onnx"
    raise SpeechUnavailable(f"{path} is not a Vosk or sherpa-onnx model directory", path=str(path))


class ModelDirRecognizer:
    """Loads operator-provided model directories per language (Vosk or sherpa-onnx)."""

    def __init__(self, model_dirs: Mapping[str, Path | str]) -> None:
        self.model_dirs = {k.lower(): Path(v) for k, v in model_dirs.items()}
        self._engines: dict[str, tuple[str, Any]] = {}
        self.engine = "model-dir"

    def _key(self, language: str) -> str:
        lang = language.lower()
        for candidate in (lang, lang.split("-")[0]):
            if candidate in self.model_dirs:
                return candidate
        raise SpeechUnavailable(f"no model configured for {lang.split('-')[0]}", language=language)

    def _load(self, key: str) -> tuple[str, Any]:
        if key in self._engines:
            return self._engines[key]
        path = self.model_dirs[key]
        if not path.is_dir():
            raise SpeechUnavailable(f"model directory {path} does not exist", language=key)
        kind = detect_model_kind(path)
        module = "vosk" if kind == "vosk" else "sherpa_onnx"
        try:
            lib = importlib.import_module(module)
        except ImportError as exc:
            raise SpeechUnavailable(
                f"{kind} is not installed (pip install {kind})", language=key
            ) from exc
        if kind == "vosk":
            engine: Any = lib.Model(str(path))
        else:
            model = next(p for n in ("model.int8.onnx", "model.onnx") if (p := path / n).exists())
            engine = lib.OfflineRecognizer.from_paraformer(
                tokens=str(path / "tokens.txt"), paraformer=str(model)
            )
        self._engines[key] = (kind, (lib, engine))
        return self._engines[key]

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        rate: int,
        language: str = "zh",
        vocabulary: Sequence[str] | None = None,
        phrases: Sequence[str] | None = None,
    ) -> Transcript:
        """Recognise speech with the language's configured model."""
        key = self._key(language)
        kind, (lib, engine) = self._load(key)
        audio = np.asarray(samples, dtype=np.int16)
        started = time.perf_counter()
        if kind == "vosk":
            rec = lib.KaldiRecognizer(engine, rate)
            rec.SetWords(True)
            rec.AcceptWaveform(audio.tobytes())
            result = json.loads(rec.FinalResult())
            words = [Word(w["word"], w["start"], w["end"]) for w in result.get("result", [])]
            text = result.get("text", "")
        else:
            stream = engine.create_stream()
            stream.accept_waveform(rate, audio.astype(np.float32) / 32768.0)
            engine.decode_stream(stream)
            text, words = stream.result.text, []
        return Transcript(
            text=text,
            language=key,
            engine=kind,
            words=words,
            audio_s=len(audio) / rate,
            elapsed_s=time.perf_counter() - started,
        )


class LanguageRouter:
    """Chooses a recogniser by language: English on pocketsphinx, others on model directories."""

    def __init__(
        self,
        *,
        english: Recognizer | None = None,
        model_dirs: Mapping[str, Path | str] | None = None,
    ) -> None:
        self.english = english or PocketsphinxRecognizer()
        self.others = ModelDirRecognizer(model_dirs or {})

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        rate: int,
        language: str = "en",
        vocabulary: Sequence[str] | None = None,
        phrases: Sequence[str] | None = None,
    ) -> Transcript:
        """Recognise with the right engine; SpeechUnavailable when the language has none."""
        target = self.others if language.lower().split("-")[0] in self.others.model_dirs else None
        if target is None and language.lower().startswith("en"):
            return self.english.transcribe(
                samples, rate=rate, language=language, vocabulary=vocabulary, phrases=phrases
            )
        return self.others.transcribe(
            samples, rate=rate, language=language, vocabulary=vocabulary, phrases=phrases
        )
