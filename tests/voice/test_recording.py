"""Encrypted recordings: duration, digest, tamper detection, PCI pause."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path

import numpy as np
import pytest

from fincall.channels.voice import g711
from fincall.channels.voice.errors import RecordingError
from fincall.channels.voice.recording import RecordingWriter, decrypt_stream, digest_of

KEY = "master-key-for-tests"
FRAME = 320


def _tone(freq: float, frames: int) -> bytes:
    t = np.arange(frames * 160) / 8000
    return (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2").tobytes()


def _record(path: Path, frames: int, *, pause: range | None = None) -> tuple[bytes, bytes]:
    left, right = _tone(440, frames), _tone(1000, frames)
    writer = RecordingWriter(path, master_key=KEY, chunk_frames=7)
    for i in range(frames):
        if pause is not None and i == pause.start:
            writer.pause()
        if pause is not None and i == pause.stop:
            writer.resume()
        writer.write_frame(left[i * FRAME : (i + 1) * FRAME], right[i * FRAME : (i + 1) * FRAME])
    writer.close()
    return left, right


def test_decrypts_to_stereo_wav_with_duration_and_digest(tmp_path: Path) -> None:
    path = tmp_path / "r.fcrec"
    left, right = _record(path, 150)  # 3 s
    plain = b"".join(decrypt_stream(path, master_key=KEY))
    assert b"RIFF" not in path.read_bytes() and left[:64] not in path.read_bytes()
    with wave.open(io.BytesIO(plain)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
        assert wav.getnframes() == 150 * 160
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert samples[0::2].tobytes() == left and samples[1::2].tobytes() == right
    result = digest_of(path, master_key=KEY)
    assert result.duration_s == pytest.approx(3.0)
    assert result.sha256 == hashlib.sha256(plain).hexdigest()


def test_flipped_byte_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "r.fcrec"
    _record(path, 60)
    data = bytearray(path.read_bytes())
    for pos in (100, len(data) // 2, len(data) - 5):
        tampered = bytearray(data)
        tampered[pos] ^= 0x01
        bad = tmp_path / f"bad{pos}.fcrec"
        bad.write_bytes(bytes(tampered))
        with pytest.raises(RecordingError, match="tamper|truncat|order|length"):
            digest_of(bad, master_key=KEY)


def test_wrong_key_and_truncation_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.fcrec"
    _record(path, 60)
    with pytest.raises(RecordingError, match="key does not match"):
        digest_of(path, master_key="other")
    cut = tmp_path / "cut.fcrec"
    cut.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(RecordingError):
        digest_of(cut, master_key=KEY)


def test_pause_masks_the_period_with_silence(tmp_path: Path) -> None:
    path = tmp_path / "r.fcrec"
    _record(path, 100, pause=range(20, 60))
    plain = b"".join(decrypt_stream(path, master_key=KEY))
    samples = np.frombuffer(plain[44:], dtype="<i2").reshape(-1, 2)
    assert not samples[20 * 160 : 60 * 160].any()
    assert samples[: 20 * 160].any() and samples[60 * 160 :].any()
    assert len(samples) == 100 * 160


def test_g711_round_trip_error_is_small() -> None:
    pcm = _tone(300, 50)
    for pt in (0, 8):
        back = np.frombuffer(g711.decode(g711.encode(pcm, pt), pt), dtype="<i2").astype(float)
        ref = np.frombuffer(pcm, dtype="<i2").astype(float)
        snr = 10 * np.log10((ref**2).sum() / ((ref - back) ** 2).sum())
        assert snr > 30
