"""G.711 µ-law and A-law codecs (ITU-T G.711) with numpy lookup tables."""

from __future__ import annotations

import numpy as np


def _ulaw_decode_one(byte: int) -> int:
    u = ~byte & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


def _alaw_decode_one(byte: int) -> int:
    a = byte ^ 0x55
    sign, exponent, mantissa = a & 0x80, (a >> 4) & 0x07, a & 0x0F
    if exponent == 0:
        sample = (mantissa << 4) + 8
    else:
        sample = ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if sign else -sample


_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for i, end in enumerate(ends):
        if value <= end:
            return i
    return len(ends)


def _ulaw_encode_one(sample: int) -> int:
    value = sample >> 2
    mask = 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, 8159) + 33
    seg = _segment(value, _SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((value >> (seg + 1)) & 0x0F)) ^ mask


def _alaw_encode_one(sample: int) -> int:
    value = sample >> 3
    mask = 0xD5
    if value < 0:
        value, mask = -value - 1, 0x55
    seg = _segment(value, _SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    shift = 1 if seg < 2 else seg
    return ((seg << 4) | ((value >> shift) & 0x0F)) ^ mask


ULAW_DECODE = np.array([_ulaw_decode_one(b) for b in range(256)], dtype=np.int16)
ALAW_DECODE = np.array([_alaw_decode_one(b) for b in range(256)], dtype=np.int16)
_RANGE = np.arange(-32768, 32768)
ULAW_ENCODE = np.array([_ulaw_encode_one(int(s)) for s in _RANGE], dtype=np.uint8)
ALAW_ENCODE = np.array([_alaw_encode_one(int(s)) for s in _RANGE], dtype=np.uint8)
ULAW_SILENCE = bytes([0xFF])
ALAW_SILENCE = bytes([0xD5])


def encode(pcm: bytes, payload_type: int) -> bytes:
    """16-bit little-endian linear PCM → G.711 bytes (0 = µ-law, 8 = A-law)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32) + 32768
    table = ULAW_ENCODE if payload_type == 0 else ALAW_ENCODE
    return table[samples].tobytes()


def decode(data: bytes, payload_type: int) -> bytes:
    """G.711 bytes → 16-bit little-endian linear PCM."""
    table = ULAW_DECODE if payload_type == 0 else ALAW_DECODE
    return table[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()
