"""Post-call transcription: a recording into speaker-labelled, masked utterances."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fincall.speech.asr import Recognizer
from fincall.speech.errors import SpeechUnavailable

FRAME_S = 0.02
_DIGIT_WORDS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"
_CARDLIKE = re.compile(rf"\b{_DIGIT_WORDS}(?:[\s-]+{_DIGIT_WORDS}){{3,}}\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d[\d\s-]{2,}\d")


@dataclass(frozen=True)
class Utterance:
    """One speaker turn, mirroring the foundation's Utterance row."""

    seq: int
    speaker: str  # customer | agent | bot
    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class CallTranscript:
    """The transcript of a call, or why it is unavailable."""

    utterances: list[Utterance]
    available: bool
    reason: str = ""
    audio_s: float = 0.0
    elapsed_s: float = 0.0


def mask_sensitive(text: str) -> str:
    """Mask runs of four or more digits (spoken or written): card numbers, PINs, accounts."""
    text = _CARDLIKE.sub("[redacted]", text)
    return _DIGITS.sub("[redacted]", text)


def speech_segments(
    samples: np.ndarray,
    rate: int,
    *,
    threshold: float = 300.0,
    min_speech_s: float = 0.2,
    max_gap_s: float = 0.5,
) -> list[tuple[int, int]]:
    """Sample ranges holding speech, by frame energy (a simple, deterministic VAD)."""
    frame = int(rate * FRAME_S)
    n = len(samples) // frame
    if n == 0:
        return []
    frames = samples[: n * frame].astype(np.float64).reshape(n, frame)
    active = np.sqrt((frames**2).mean(axis=1)) > threshold
    segments: list[tuple[int, int]] = []
    start: int | None = None
    gap = 0
    max_gap = int(max_gap_s / FRAME_S)
    for i, on in enumerate(active):
        if on:
            start = i if start is None else start
            gap = 0
        elif start is not None:
            gap += 1
            if gap > max_gap:
                segments.append((start, i - gap + 1))
                start, gap = None, 0
    if start is not None:
        segments.append((start, n - gap))
    keep = [(s, e) for s, e in segments if (e - s) * FRAME_S >= min_speech_s]
    pad = int(0.15 / FRAME_S)
    return [(max(0, s - pad) * frame, min(n, e + pad) * frame) for s, e in keep]


def transcribe_channels(
    channels: Iterable[tuple[str, np.ndarray]], *, rate: int, recognizer: Recognizer, language: str
) -> CallTranscript:
    """Transcribe each (speaker, samples) channel and merge the turns by start time."""
    turns: list[tuple[float, float, str, str]] = []
    audio_s = elapsed = 0.0
    for speaker, samples in channels:
        for start, end in speech_segments(samples, rate):
            try:
                result = recognizer.transcribe(samples[start:end], rate=rate, language=language)
            except SpeechUnavailable as exc:
                return CallTranscript([], available=False, reason=exc.message)
            audio_s += result.audio_s
            elapsed += result.elapsed_s
            if result.text.strip():
                turns.append((start / rate, end / rate, speaker, mask_sensitive(result.text)))
    turns.sort()
    utterances = [
        Utterance(i, sp, text, round(s, 2), round(e, 2)) for i, (s, e, sp, text) in enumerate(turns)
    ]
    return CallTranscript(utterances, available=True, audio_s=audio_s, elapsed_s=elapsed)


def transcribe_recording_wav(
    stereo: np.ndarray,
    *,
    rate: int,
    recognizer: Recognizer,
    language: str,
    right_speaker: str = "agent",
) -> CallTranscript:
    """Transcribe a decrypted 2-channel recording (left customer, right agent or bot)."""
    return transcribe_channels(
        [("customer", stereo[:, 0]), (right_speaker, stereo[:, 1])],
        rate=rate,
        recognizer=recognizer,
        language=language,
    )


def transcribe_recording(
    path: Path | str,
    *,
    master_key: bytes | str,
    recognizer: Recognizer,
    language: str,
    right_speaker: str = "agent",
) -> CallTranscript:
    """Decrypt (verifying integrity) and transcribe an encrypted call recording."""
    from fincall.channels.voice.recording import decrypt_stream

    plain = b"".join(decrypt_stream(path, master_key=master_key))
    rate = struct.unpack_from("<I", plain, 24)[0]
    stereo = np.frombuffer(plain[44:], dtype="<i2").reshape(-1, 2)
    return transcribe_recording_wav(
        stereo, rate=rate, recognizer=recognizer, language=language, right_speaker=right_speaker
    )
