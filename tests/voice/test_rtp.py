"""RTP media: pacing on the shared clock, G.711 transport, RFC 4733 DTMF, packet parsing."""

from __future__ import annotations

import asyncio
import time

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fincall.channels.voice.rtp import MediaClock, PortAllocator, RtpSession, build_rtp, parse_rtp
from fincall.channels.voice.sipp import free_udp_port


@given(
    st.integers(0, 127), st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1), st.binary(max_size=200)
)
def test_rtp_packet_round_trip(pt: int, seq: int, ts: int, payload: bytes) -> None:
    packet = parse_rtp(build_rtp(payload_type=pt, seq=seq, timestamp=ts, ssrc=7, payload=payload))
    assert packet is not None
    assert (packet.payload_type, packet.seq, packet.timestamp, packet.payload) == (
        pt,
        seq,
        ts,
        payload,
    )


@given(st.binary(max_size=64))
def test_rtp_parser_never_raises(data: bytes) -> None:
    parse_rtp(data)


def test_paced_tone_and_dtmf_between_two_sessions() -> None:
    async def main() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        ports = PortAllocator()
        _, a = await ports.bind(loop, "127.0.0.1", RtpSession)
        _, b = await ports.bind(loop, "127.0.0.1", RtpSession)
        a.remote, b.remote = ("127.0.0.1", b.local_port), ("127.0.0.1", a.local_port)
        b.sending = False
        digits: list[str] = []
        b.on_dtmf = digits.append
        timestamps: list[int] = []
        original = b.datagram_received

        def spy(data: bytes, addr: tuple[str, int]) -> None:
            packet = parse_rtp(data)
            if packet is not None and packet.payload_type == 0:
                timestamps.append(packet.timestamp)
            original(data, addr)

        b.datagram_received = spy  # type: ignore[method-assign]
        clock = MediaClock()
        clock.add(a)
        clock.add(b)
        started = time.monotonic()
        clock.start()
        t = np.arange(8000) / 8000
        await a.play((np.sin(2 * np.pi * 500 * t) * 8000).astype("<i2").tobytes())  # 1 s
        a.send_dtmf("9")
        while not digits:
            await asyncio.sleep(0.02)
        await clock.stop()
        elapsed = time.monotonic() - started
        a.close()
        b.close()
        steps = np.diff(np.array(timestamps, dtype=np.int64)) % 2**32
        return {
            "digit": float(digits == ["9"]),
            "received": b.stats.packets,
            "lost": b.stats.lost,
            "due": elapsed / 0.020,
            "sent": a.tx_packets + clock.late_ticks,
            "steps_ok": float(bool(len(steps)) and bool((steps == 160).all())),
        }

    r = asyncio.run(main())
    assert r["digit"] == 1.0
    assert r["received"] >= 48 and r["lost"] == 0
    assert r["steps_ok"] == 1.0  # one 20 ms frame per packet, timestamps +160 each
    # the schedule is absolute: frames sent track elapsed time / 20 ms (no accumulated drift)
    assert abs(r["sent"] - r["due"]) <= 3, r


def test_port_range_allocation_uses_even_ports_in_range() -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        base = free_udp_port(even=True)
        ports = PortAllocator(base, base + 100)
        sessions = [(await ports.bind(loop, "127.0.0.1", RtpSession))[1] for _ in range(3)]
        out = [s.local_port - base for s in sessions]
        for s in sessions:
            s.close()
        return out

    got = asyncio.run(main())
    assert all(0 <= p < 100 and p % 2 == 0 for p in got) and len(set(got)) == 3
