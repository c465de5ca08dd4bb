"""Driving sipp against the endpoint: scenario files, a DTMF pcap writer, an RTP probe."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fincall.channels.voice import g711
from fincall.channels.voice.rtp import build_rtp, dtmf_payload, parse_rtp


def free_udp_port(*, even: bool = False) -> int:
    """A currently free UDP port on 127.0.0.1 (for programs that cannot bind port 0)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if not even or (port % 2 == 0 and port < 65000):
            return port
    raise OSError("no free UDP port found")


def sipp_binary() -> str:
    """The sipp executable (Debian package sip-tester)."""
    path = shutil.which("sipp")
    if path is None:
        raise FileNotFoundError("sipp is not installed (Debian package sip-tester)")
    return path


def write_rtp_pcap(
    path: Path, packets: list[tuple[int, bool, bytes]], *, ssrc: int = 0x1234
) -> None:
    """A pcap (Ethernet/IPv4/UDP) of RTP packets sent 20 ms apart, for sipp's play_pcap_audio.

    Each packet is (payload type, end-of-DTMF-event flag, payload); DTMF packets of one
    event share a timestamp, audio packets advance it by 160.
    """
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    timestamp = 8000
    for i, (payload_type, _end, payload) in enumerate(packets):
        rtp = build_rtp(
            payload_type=payload_type,
            seq=100 + i,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=payload,
            marker=i == 0,
        )
        if payload_type in (0, 8):
            timestamp += 160
        udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
        addr = bytes([127, 0, 0, 1])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, addr, addr)
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp
        usec = 20_000 * i
        out += struct.pack(
            "<IIII", 1_700_000_000 + usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)
        )
        out += frame
    path.write_bytes(bytes(out))


def write_dtmf_pcap(path: Path, digit: str, *, payload_type: int = 101) -> None:
    """A pcap of one RFC 4733 event (about 100 ms, end packet three times)."""
    packets = [
        (payload_type, False, dtmf_payload(digit, end=False, duration=160 * i)) for i in range(1, 6)
    ]
    packets += [(payload_type, True, dtmf_payload(digit, end=True, duration=960))] * 3
    write_rtp_pcap(path, packets)


def write_tone_pcap(
    path: Path, *, seconds: float, freq: float = 440.0, payload_type: int = 0
) -> None:
    """A pcap of a G.711 sine tone (audio the far end can recognise as not silence)."""
    t = np.arange(int(seconds * 8000)) / 8000
    pcm = (np.sin(2 * np.pi * freq * t) * 9000).astype("<i2").tobytes()
    coded = g711.encode(pcm, payload_type)
    write_rtp_pcap(
        path, [(payload_type, False, coded[i : i + 160]) for i in range(0, len(coded), 160)]
    )


@dataclass
class RtpProbe(asyncio.DatagramProtocol):
    """Counts RTP packets from the endpoint and remembers their arrival times and payloads."""

    arrivals: list[float] = field(default_factory=list)
    payload_types: set[int] = field(default_factory=set)
    loud_packets: int = 0
    port: int = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.port = transport.get_extra_info("sockname")[1]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        packet = parse_rtp(data)
        if packet is None:
            return
        self.arrivals.append(time.monotonic())
        self.payload_types.add(packet.payload_type)
        if packet.payload_type == 0 and any(b not in (0xFF, 0x7F, 0xFE) for b in packet.payload):
            self.loud_packets += 1


async def start_probe() -> tuple[asyncio.DatagramTransport, RtpProbe]:
    """Bind an RTP probe on an ephemeral port."""
    loop = asyncio.get_running_loop()
    return await loop.create_datagram_endpoint(RtpProbe, local_addr=("127.0.0.1", 0))  # type: ignore[return-value]


async def run_sipp(
    scenario: Path,
    cwd: Path,
    *,
    remote_port: int | None = None,
    local_port: int | None = None,
    calls: int = 1,
    extra: tuple[str, ...] = (),
    timeout: float = 40,
) -> tuple[int, str]:
    """Run sipp (UAC towards 127.0.0.1:remote_port, or UAS without it); (exit code, output)."""
    args = [sipp_binary()]
    if remote_port is not None:
        args.append(f"127.0.0.1:{remote_port}")
    args += ["-sf", str(scenario), "-m", str(calls), "-i", "127.0.0.1"]
    args += ["-p", str(local_port or free_udp_port()), "-mp", str(free_udp_port(even=True))]
    args += ["-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_err"]
    args += ["-error_file", str(cwd / f"{scenario.stem}_errors.log"), *extra]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=str(cwd), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
    text = out.decode("utf-8", "replace")
    errors = cwd / f"{scenario.stem}_errors.log"
    if errors.exists():
        text += errors.read_text("utf-8", "replace")
    return proc.returncode or 0, text


def scenario_copy(source: Path, dest: Path, **values: str) -> Path:
    """Copy a scenario into ``dest`` substituting @NAME@ placeholders."""
    text = source.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    path = dest / source.name
    path.write_text(text)
    return path


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a condition driven by the event loop (network events), up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
