"""Offline text-to-speech with espeak-ng, rendered as 8 kHz mono WAV and cached on disk."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess  # noqa: S404 - runs the espeak-ng binary with fixed arguments
from pathlib import Path
from typing import Protocol

from fincall.speech.audio import read_wav, resample, write_wav
from fincall.speech.errors import SpeechFailed, SpeechUnavailable

VOICES = {"en": "en-us+m1", "zh-CN": "cmn", "zh-HK": "yue", "zh": "cmn", "cmn": "cmn"}
RATE = 8000


class Synthesizer(Protocol):
    """Turns text into an 8 kHz mono 16-bit WAV file."""

    def render(self, text: str, *, language: str = "en") -> Path:
        """Path of a WAV with ``text`` spoken in ``language``."""
        ...


class EspeakSynthesizer:
    """espeak-ng via its command line; results cached by hash of (text, voice, speed)."""

    def __init__(self, *, cache_dir: Path, binary: str = "espeak-ng", speed: int = 130) -> None:
        self.cache_dir = Path(cache_dir)
        self.binary = binary
        self.speed = speed

    def voice_for(self, language: str) -> str:
        """The espeak-ng voice name for a fincall language code (or a voice name)."""
        return VOICES.get(language, language)

    def cache_path(self, text: str, voice: str) -> Path:
        """Where the rendering of (text, voice) lives."""
        key = hashlib.sha256(f"{voice}\0{self.speed}\0{text}".encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.wav"

    def render(self, text: str, *, language: str = "en") -> Path:
        """Render (or reuse) the prompt; raises SpeechUnavailable without espeak-ng."""
        voice = self.voice_for(language)
        path = self.cache_path(text, voice)
        if path.exists():
            return path
        exe = shutil.which(self.binary)
        if exe is None:
            raise SpeechUnavailable("espeak-ng is not installed (Debian package espeak-ng)")
        proc = subprocess.run(  # noqa: S603 - fixed binary, text passed on stdin
            [exe, "-v", voice, "-s", str(self.speed), "--stdout"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0 or not proc.stdout.startswith(b"RIFF"):
            msg = proc.stderr.decode("utf-8", "replace").strip()[:200]
            raise SpeechFailed(f"espeak-ng failed: {msg}", voice=voice)
        samples, rate = read_wav(_fix_stream_wav(proc.stdout))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, resample(samples, rate, RATE), RATE)
        return path


def _fix_stream_wav(data: bytes) -> bytes:
    """espeak-ng writes unknown sizes (0xFFFFFFFF) to stdout: patch them to the real ones."""

    idx = data.find(b"data")
    if idx < 0:
        return data
    fixed = bytearray(data)
    struct.pack_into("<I", fixed, 4, len(data) - 8)
    struct.pack_into("<I", fixed, idx + 4, len(data) - idx - 8)
    return bytes(fixed)
