"""Audio helpers: WAV read/write and resampling of 16-bit PCM (numpy, no I/O beyond files)."""

from __future__ import annotations

import io
import uuid
import wave
from pathlib import Path

import numpy as np


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample int16 mono samples (linear interpolation with a simple anti-alias average)."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.int16)
    data = samples.astype(np.float64)
    if dst_rate < src_rate:
        width = max(1, round(src_rate / dst_rate))
        data = np.convolve(data, np.ones(width) / width, mode="same")
    positions = np.arange(0, len(data) - 1, src_rate / dst_rate)
    out = np.interp(positions, np.arange(len(data)), data)
    return np.clip(out, -32768, 32767).astype(np.int16)


def read_wav(source: Path | str | bytes) -> tuple[np.ndarray, int]:
    """Samples (int16, shape (n,) or (n, channels)) and rate of a 16-bit PCM WAV."""
    handle = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    with wave.open(handle, "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError("only 16-bit PCM WAV is supported")
        channels, rate = wav.getnchannels(), wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        data = data.reshape(-1, channels)
    return data, rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write int16 mono or (n, channels) samples as a PCM WAV (atomically)."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    # a unique temporary name: two threads may render the same cached prompt at once
    tmp = path.with_suffix(f"{path.suffix}.{uuid.uuid4().hex}.part")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    tmp.replace(path)
