"""RTP sessions (RFC 3550) driven by one shared 20 ms media clock, with RFC 4733 DTMF."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fincall.channels.voice import g711

log = logging.getLogger(__name__)

FRAME_SAMPLES = 160  # 20 ms at 8 kHz
FRAME_BYTES = FRAME_SAMPLES * 2  # 16-bit linear PCM
PTIME_S = 0.020
SILENCE = bytes(FRAME_BYTES)
DTMF_EVENTS = "0123456789*#ABCD"
_RTP_HEADER = struct.Struct("!BBHII")


@dataclass
class RtpPacket:
    """A parsed RTP packet."""

    payload_type: int
    marker: bool
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_rtp(data: bytes) -> RtpPacket | None:
    """Parse an RTP packet (None if it is not RTP version 2)."""
    if len(data) < 12:
        return None
    b0, b1, seq, ts, ssrc = _RTP_HEADER.unpack_from(data)
    if b0 >> 6 != 2:
        return None
    offset = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension
        if len(data) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
    end = len(data)
    if b0 & 0x20 and end > offset:  # padding
        end -= data[-1]
    if end < offset:
        return None
    return RtpPacket(b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, data[offset:end])


def build_rtp(
    *, payload_type: int, seq: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False
) -> bytes:
    """Serialise an RTP packet with a 12-byte header."""
    b1 = (0x80 if marker else 0) | (payload_type & 0x7F)
    return _RTP_HEADER.pack(0x80, b1, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def dtmf_payload(event: str, *, end: bool, duration: int, volume: int = 10) -> bytes:
    """An RFC 4733 telephone-event payload."""
    return struct.pack(
        "!BBH", DTMF_EVENTS.index(event), (0x80 if end else 0) | volume, duration & 0xFFFF
    )


@dataclass
class JitterStats:
    """Receive statistics: RFC 3550 interarrival jitter and a sample of transit deltas."""

    packets: int = 0
    lost: int = 0
    jitter_s: float = 0.0
    deltas_ms: deque[float] = field(default_factory=lambda: deque(maxlen=5000))
    _last_arrival: float | None = None
    _last_ts: int | None = None
    _last_seq: int | None = None

    def update(self, arrival: float, timestamp: int, seq: int) -> None:
        """Account one received media packet."""
        self.packets += 1
        if self._last_seq is not None:
            gap = (seq - self._last_seq) & 0xFFFF
            if 1 < gap < 1000:
                self.lost += gap - 1
        if self._last_arrival is not None and self._last_ts is not None:
            ts_delta = ((timestamp - self._last_ts) & 0xFFFFFFFF) / 8000.0
            if ts_delta < 10:
                d = (arrival - self._last_arrival) - ts_delta
                self.jitter_s += (abs(d) - self.jitter_s) / 16.0
                self.deltas_ms.append(abs(d) * 1000.0)
        self._last_arrival, self._last_ts, self._last_seq = arrival, timestamp, seq

    def p99_ms(self) -> float:
        """99th percentile of |transit delta| in milliseconds (0 if no data)."""
        if not self.deltas_ms:
            return 0.0
        return float(np.percentile(np.fromiter(self.deltas_ms, float), 99))


class PortAllocator:
    """Hands out even UDP ports from a range (0 means an ephemeral port per session)."""

    def __init__(self, start: int = 0, end: int = 0) -> None:
        self.start, self.end = start, end
        self._cursor = start

    async def bind(
        self, loop: asyncio.AbstractEventLoop, host: str, factory: Callable[[], RtpSession]
    ) -> tuple[asyncio.DatagramTransport, RtpSession]:
        """Bind a datagram endpoint on the next free port of the range."""
        if not self.start:
            return await loop.create_datagram_endpoint(factory, local_addr=(host, 0))  # type: ignore[return-value]
        span = max(2, self.end - self.start)
        for _ in range(span // 2):
            port = self._cursor
            self._cursor = self.start + ((self._cursor - self.start + 2) % span)
            with contextlib.suppress(OSError):
                return await loop.create_datagram_endpoint(factory, local_addr=(host, port))  # type: ignore[return-value]
        raise OSError(f"no free RTP port in {self.start}-{self.end}")


class RtpSession(asyncio.DatagramProtocol):
    """One call leg's media: sends a frame per clock tick, receives into a small buffer."""

    def __init__(self, *, on_dtmf: Callable[[str], None] | None = None) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.local_port = 0
        self.remote: tuple[str, int] | None = None
        self.payload_type = 0
        self.dtmf_pt: int | None = 101
        self.sending = True
        self.on_dtmf = on_dtmf
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._first = True
        self.rx_buffer: deque[bytes] = deque(maxlen=8)
        self.current_rx = SILENCE
        self.play_buffer = bytearray()
        self._play_done: asyncio.Future[None] | None = None
        self.peer: RtpSession | None = None
        self.frame_taps: list[Callable[[bytes, bytes], None]] = []  # (received, sent) per tick
        self.stats = JitterStats()
        self.tx_packets = 0
        self._dtmf_seen: set[int] = set()
        self._dtmf_out: deque[bytes] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = transport  # type: ignore[assignment]
        self.local_port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        packet = parse_rtp(data)
        if packet is None:
            return
        if packet.payload_type == self.dtmf_pt and self.dtmf_pt is not None:
            self._dtmf(packet)
            return
        if packet.payload_type not in (0, 8):
            return
        self.stats.update(time.monotonic(), packet.timestamp, packet.seq)
        pcm = g711.decode(packet.payload, packet.payload_type)
        for start in range(0, len(pcm), FRAME_BYTES):
            frame = pcm[start : start + FRAME_BYTES]
            self.rx_buffer.append(frame.ljust(FRAME_BYTES, b"\0"))

    def _dtmf(self, packet: RtpPacket) -> None:
        if len(packet.payload) < 4:
            return
        event, flags = packet.payload[0], packet.payload[1]
        if flags & 0x80 and packet.timestamp not in self._dtmf_seen and event < len(DTMF_EVENTS):
            self._dtmf_seen.add(packet.timestamp)
            if len(self._dtmf_seen) > 64:
                self._dtmf_seen = {packet.timestamp}
            if self.on_dtmf:
                self.on_dtmf(DTMF_EVENTS[event])

    def error_received(self, exc: Exception) -> None:  # noqa: D102
        log.debug("rtp socket error: %s", exc)

    # -- media clock -------------------------------------------------------------------------
    def pull_rx(self) -> None:
        """Take this tick's received frame (silence when nothing arrived in time)."""
        self.current_rx = self.rx_buffer.popleft() if self.rx_buffer else SILENCE

    def next_tx(self) -> bytes:
        """The frame this leg sends on this tick: bridged peer audio, prompt audio or silence."""
        if self.peer is not None:
            return self.peer.current_rx
        if self.play_buffer:
            frame = bytes(self.play_buffer[:FRAME_BYTES]).ljust(FRAME_BYTES, b"\0")
            del self.play_buffer[:FRAME_BYTES]
            if not self.play_buffer:
                self._finish_play()
            return frame
        return SILENCE

    def tick(self, frames: int = 1) -> None:
        """Send ``frames`` frames (more than one only when the clock caught up after a stall)."""
        for _ in range(frames):
            frame = self.next_tx()
            for tap in self.frame_taps:
                tap(self.current_rx, frame)
            if self._dtmf_out:
                self._send(self._dtmf_out.popleft(), self.dtmf_pt or 101, marker=False)
            elif self.sending and self.remote is not None:
                self._send(g711.encode(frame, self.payload_type), self.payload_type)
            self._ts += FRAME_SAMPLES

    def _send(self, payload: bytes, pt: int, *, marker: bool = False) -> None:
        if self.transport is None or self.remote is None or self.transport.is_closing():
            return
        packet = build_rtp(
            payload_type=pt,
            seq=self._seq,
            timestamp=self._ts,
            ssrc=self.ssrc,
            payload=payload,
            marker=marker or self._first,
        )
        self._first = False
        self._seq = (self._seq + 1) & 0xFFFF
        self.transport.sendto(packet, self.remote)
        self.tx_packets += 1

    # -- media API ---------------------------------------------------------------------------
    def play(self, pcm: bytes) -> asyncio.Future[None]:
        """Queue 8 kHz 16-bit mono PCM; the future resolves when the last frame was sent."""
        self._finish_play()
        self.play_buffer = bytearray(pcm)
        self._play_done = asyncio.get_running_loop().create_future()
        if not pcm:
            self._finish_play(done := self._play_done)
            return done
        return self._play_done

    def stop_playing(self) -> None:
        """Stop the current prompt (barge-in)."""
        self.play_buffer = bytearray()
        self._finish_play()

    def _finish_play(self, fut: asyncio.Future[None] | None = None) -> None:
        fut = fut or self._play_done
        if fut is not None and not fut.done():
            fut.set_result(None)
        if fut is self._play_done:
            self._play_done = None

    def send_dtmf(self, digit: str) -> None:
        """Send one RFC 4733 event (about 100 ms, end packet sent three times)."""
        for i in range(1, 6):
            self._dtmf_out.append(dtmf_payload(digit, end=False, duration=i * FRAME_SAMPLES))
        for _ in range(3):
            self._dtmf_out.append(dtmf_payload(digit, end=True, duration=6 * FRAME_SAMPLES))

    def close(self) -> None:
        """Close the socket and release a pending play."""
        self.stop_playing()
        self.peer = None
        if self.transport is not None:
            self.transport.close()


class MediaClock:
    """One task that ticks every active session on an absolute 20 ms monotonic schedule."""

    def __init__(self, *, max_catch_up: int = 5) -> None:
        # insertion-ordered, so each stream keeps its place in the per-tick send burst
        self.sessions: dict[RtpSession, None] = {}
        self.max_catch_up = max_catch_up
        self.late_ticks = 0
        self.lateness_ms: deque[float] = deque(maxlen=5000)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="media-clock")

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def add(self, session: RtpSession) -> None:
        """Start clocking a session."""
        self.sessions[session] = None

    def remove(self, session: RtpSession) -> None:
        """Stop clocking a session."""
        self.sessions.pop(session, None)

    async def _run(self) -> None:
        start = time.monotonic()
        done = 0
        while True:
            target = start + (done + 1) * PTIME_S
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            due = int((now - start) / PTIME_S) - done
            if due < 1:
                continue
            self.lateness_ms.append((now - target) * 1000.0)
            if due > self.max_catch_up:  # a long stall: drop the backlog, keep timestamps honest
                self.late_ticks += due - self.max_catch_up
                done += due - self.max_catch_up
                due = self.max_catch_up
            done += due
            sessions = list(self.sessions)
            for _ in range(due):
                for session in sessions:
                    session.pull_rx()
                for session in sessions:
                    try:
                        session.tick()
                    except Exception:  # one broken leg must not stop everyone's audio
                        log.exception("rtp tick failed")
                        self.sessions.pop(session, None)


def random_session_id() -> int:
    """A random SDP session id."""
    return int.from_bytes(os.urandom(4), "big")
