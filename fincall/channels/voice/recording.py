"""Encrypted two-channel call recordings (AES-256-GCM in chunks, per-recording wrapped data key).

File layout::

    header  = MAGIC(8) | nonce_prefix(8) | wrap_nonce(12) | wrapped_key(48)
    record  = counter(4) | flag(1) | length(4) | AES-GCM(ciphertext + tag)

Data records (flag 0) hold interleaved stereo PCM; the final record (flag 1, fixed size) holds
the 44-byte WAV header, so a reader can stream a valid WAV (header first) without buffering.
Every record's nonce is ``nonce_prefix + counter`` and its associated data binds the file
header, counter and flag, so reordering, truncation, key swapping or any flipped byte is detected.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fincall.channels.voice.errors import RecordingError

MAGIC = b"FCREC\x01\x00\x00"
HEADER_SIZE = 8 + 8 + 12 + 48
_RECORD = struct.Struct("!IBI")
WAV_HEADER_SIZE = 44
FINAL_SIZE = _RECORD.size + WAV_HEADER_SIZE + 16
SAMPLE_RATE = 8000
CHANNELS = 2
FRAME_BYTES = 160 * 2 * CHANNELS
DEFAULT_CHUNK_FRAMES = 50  # one second of audio per encrypted chunk


def derive_kek(master_key: bytes | str) -> bytes:
    """The 256-bit key-encryption key derived from the configured master key (HKDF-SHA256)."""
    raw = master_key.encode() if isinstance(master_key, str) else master_key
    if not raw:
        raise RecordingError("recording master key is empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fincall-recording-kek")
    return hkdf.derive(raw)


def wav_header(data_bytes: int, *, channels: int = CHANNELS, rate: int = SAMPLE_RATE) -> bytes:
    """A canonical 16-bit PCM WAV header for ``data_bytes`` of samples."""
    block = channels * 2
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        rate,
        rate * block,
        block,
        16,
        b"data",
        data_bytes,
    )


@dataclass(frozen=True)
class RecordingResult:
    """What a finished recording yields for the contact record."""

    path: Path
    sha256: str
    duration_s: float
    bytes_plain: int


def _aad(header: bytes, counter: int, flag: int) -> bytes:
    return header + struct.pack("!IB", counter, flag)


class RecordingWriter:
    """Writes stereo 20 ms frames (left caller, right agent/IVR) into an encrypted file."""

    def __init__(
        self, path: Path, *, master_key: bytes | str, chunk_frames: int = DEFAULT_CHUNK_FRAMES
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data_key = AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(data_key)
        wrap_nonce = os.urandom(12)
        wrapped = AESGCM(derive_kek(master_key)).encrypt(wrap_nonce, data_key, MAGIC)
        self._prefix = os.urandom(8)
        self._header = MAGIC + self._prefix + wrap_nonce + wrapped
        self._file = open(self.path, "xb")  # noqa: SIM115 - closed in close()
        self._file.write(self._header)
        self._file.flush()
        self._pending = bytearray()
        self._chunk_bytes = chunk_frames * FRAME_BYTES
        self._counter = 0
        self.data_bytes = 0
        self.paused = False
        self.closed = False

    def write_frame(self, left: bytes, right: bytes) -> None:
        """Append one frame of each channel (16-bit mono PCM, same length); silence when paused."""
        if self.closed:
            return
        n = min(len(left), len(right)) // 2
        if self.paused:
            self._pending += bytes(n * 4)
        else:
            stereo = bytearray(n * 4)
            stereo[0::4], stereo[1::4] = left[0 : n * 2 : 2], left[1 : n * 2 : 2]
            stereo[2::4], stereo[3::4] = right[0 : n * 2 : 2], right[1 : n * 2 : 2]
            self._pending += stereo
        self.data_bytes += n * 4
        if len(self._pending) >= self._chunk_bytes:
            self._flush()

    def pause(self) -> None:
        """Mask audio (written as silence) until resume(), e.g. while card details are given."""
        self.paused = True

    def resume(self) -> None:
        """Record audio again after pause()."""
        self.paused = False

    def _write_record(self, plain: bytes, flag: int) -> None:
        nonce = self._prefix + struct.pack("!I", self._counter)
        sealed = self._aead.encrypt(nonce, plain, _aad(self._header, self._counter, flag))
        self._file.write(_RECORD.pack(self._counter, flag, len(sealed)) + sealed)
        self._file.flush()
        self._counter += 1

    def _flush(self) -> None:
        if self._pending:
            self._write_record(bytes(self._pending), 0)
            self._pending = bytearray()

    def close(self) -> int:
        """Flush, write the final WAV-header record and close; returns the PCM byte count."""
        if not self.closed:
            self._flush()
            self._write_record(wav_header(self.data_bytes), 1)
            self._file.close()
            self.closed = True
        return self.data_bytes


def _open(path: Path, master_key: bytes | str) -> tuple[bytes, AESGCM, bytes]:
    with open(path, "rb") as fh:
        header = fh.read(HEADER_SIZE)
    if len(header) != HEADER_SIZE or header[:8] != MAGIC:
        raise RecordingError("not a fincall recording", path=str(path))
    wrap_nonce, wrapped = header[16:28], header[28:]
    try:
        data_key = AESGCM(derive_kek(master_key)).decrypt(wrap_nonce, wrapped, MAGIC)
    except InvalidTag as exc:
        raise RecordingError(
            "recording key does not match (wrong master key or tampered header)", path=str(path)
        ) from exc
    return header, AESGCM(data_key), header[8:16]


def _open_record(
    aead: AESGCM, header: bytes, prefix: bytes, raw: bytes, path: Path
) -> tuple[int, int, bytes]:
    counter, flag, length = _RECORD.unpack_from(raw)
    sealed = raw[_RECORD.size :]
    if len(sealed) != length:
        raise RecordingError("recording is truncated", path=str(path))
    try:
        plain = aead.decrypt(
            prefix + struct.pack("!I", counter), sealed, _aad(header, counter, flag)
        )
    except InvalidTag as exc:
        raise RecordingError(
            "recording has been tampered with (authentication failed)",
            path=str(path),
            record=counter,
        ) from exc
    return counter, flag, plain


def decrypt_stream(path: Path | str, *, master_key: bytes | str) -> Iterator[bytes]:
    """Yield the plaintext WAV (header first, then audio chunks), verifying every record."""
    path = Path(path)
    header, aead, prefix = _open(path, master_key)
    size = path.stat().st_size
    if size < HEADER_SIZE + FINAL_SIZE:
        raise RecordingError("recording is truncated (no final record)", path=str(path))
    with open(path, "rb") as fh:
        fh.seek(size - FINAL_SIZE)
        final_counter, flag, wav = _open_record(aead, header, prefix, fh.read(FINAL_SIZE), path)
        if flag != 1:
            raise RecordingError("recording is truncated (no final record)", path=str(path))
        yield wav
        fh.seek(HEADER_SIZE)
        expected, total, end = 0, 0, size - FINAL_SIZE
        while fh.tell() < end:
            head = fh.read(_RECORD.size)
            if len(head) < _RECORD.size:
                raise RecordingError("recording is truncated", path=str(path))
            length = _RECORD.unpack(head)[2]
            if fh.tell() + length > end:
                raise RecordingError(
                    "recording has been tampered with (bad record length)", path=str(path)
                )
            counter, flag, plain = _open_record(aead, header, prefix, head + fh.read(length), path)
            if counter != expected or flag != 0:
                raise RecordingError("recording records are out of order", path=str(path))
            expected += 1
            total += len(plain)
            yield plain
    declared = struct.unpack_from("<I", wav, 40)[0]
    if final_counter != expected or declared != total:
        raise RecordingError("recording length does not match its header", path=str(path))


def digest_of(path: Path | str, *, master_key: bytes | str) -> RecordingResult:
    """Verify a recording end to end; its SHA-256 digest of the plaintext WAV and duration."""
    h = hashlib.sha256()
    total = 0
    for i, chunk in enumerate(decrypt_stream(path, master_key=master_key)):
        h.update(chunk)
        total += len(chunk) if i else 0
    return RecordingResult(Path(path), h.hexdigest(), total / (SAMPLE_RATE * CHANNELS * 2), total)


def decrypt_to_file(src: Path | str, dst: Path | str, *, master_key: bytes | str) -> None:
    """Write the decrypted WAV to ``dst`` (only after the whole file verified)."""
    tmp = Path(str(dst) + ".part")
    try:
        with open(tmp, "wb") as out:
            for chunk in decrypt_stream(src, master_key=master_key):
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(dst)
