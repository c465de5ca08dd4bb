"""Calls from sipp (a real SIP peer) into the endpoint: IVR with DTMF, cancel, hang-up, hold."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fincall.channels.voice.call import Call, CallEvent
from fincall.channels.voice.demo import DemoHandler
from fincall.channels.voice.recording import digest_of
from fincall.channels.voice.sipp import (
    run_sipp,
    scenario_copy,
    start_probe,
    wait_for,
    write_dtmf_pcap,
)

pytestmark = [pytest.mark.sip, pytest.mark.usefixtures("sipp_available")]


class Tone:
    """A synthesizer stand-in producing a real audible WAV (a 440 Hz tone) for each prompt."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def render(self, text: str, *, language: str = "en") -> Path:
        import numpy as np

        from fincall.speech.audio import write_wav

        path = self.tmp / f"prompt{abs(hash(text))}.wav"
        t = np.arange(int(0.6 * 8000)) / 8000
        write_wav(path, (np.sin(2 * np.pi * 440 * t) * 9000).astype("int16"), 8000)
        return path


def test_ivr_call_plays_prompt_collects_rfc4733_digit_and_hangs_up(
    tmp_path: Path, voice: Any
) -> None:
    events: list[CallEvent] = []
    handler = DemoHandler(tts=Tone(tmp_path), digit_timeout=8)

    async def main() -> tuple[int, str, int, set[int], int]:
        endpoint = await voice.start_endpoint(handler, tmp_path, events)
        probe_transport, probe = await start_probe()
        write_dtmf_pcap(tmp_path / "dtmf.pcap", "2")
        scenario = scenario_copy(
            voice.scenarios / "uac_ivr_dtmf.xml",
            tmp_path,
            PROBE_PORT=str(probe.port),
            DTMF_DELAY_MS="900",
        )
        code, out = await run_sipp(scenario, tmp_path, remote_port=endpoint.port)
        await wait_for(lambda: any(e.kind == "ended" for e in events))
        probe_transport.close()
        await endpoint.stop()
        return code, out, len(probe.arrivals), probe.payload_types, probe.loud_packets

    code, out, packets, pts, loud = asyncio.run(main())
    assert code == 0, out
    assert [e.kind for e in events] == ["started", "answered", "ended"]
    assert handler.digits and next(iter(handler.digits.values())) == "2"
    assert pts == {0} and packets >= 50 and loud >= 40  # two 0.6 s prompts in PCMU
    ended = events[-1]
    assert ended.end_reason == "ivr-complete" and ended.attributes["menu_choice"] == "2"
    assert ended.recording_path and ended.recording_sha256
    check = digest_of(ended.recording_path, master_key=voice.master_key)
    assert check.sha256 == ended.recording_sha256
    assert 1.0 < check.duration_s < 10


class Ringer:
    """Rings and waits (never answers) until the caller gives up."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    async def on_incoming(self, call: Call) -> None:
        self.calls.append(call)
        await call.ring()
        await call.wait_ended(30)


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_cancel_while_ringing_gets_487_and_ends_call(
    tmp_path: Path, voice: Any, transport: str
) -> None:
    events: list[CallEvent] = []
    handler = Ringer()

    async def main() -> tuple[int, str, int]:
        endpoint = await voice.start_endpoint(handler, tmp_path, events)
        scenario = scenario_copy(voice.scenarios / "uac_cancel.xml", tmp_path)
        code, out = await run_sipp(
            scenario, tmp_path, remote_port=endpoint.port, extra=("-t", transport)
        )
        await wait_for(lambda: any(e.kind == "ended" for e in events))
        await endpoint.stop()
        return code, out, endpoint.stats["tcp_connections"]

    code, out, tcp_connections = asyncio.run(main())
    assert code == 0, out
    assert tcp_connections == (1 if transport == "t1" else 0)
    assert [e.kind for e in events] == ["started", "ended"]
    assert events[-1].end_reason == "cancelled" and events[-1].recording_path is None


class LongPrompt:
    """Answers and plays a long prompt; records whether the caller's hold was seen."""

    def __init__(self) -> None:
        self.hold_seen = False
        self.ended_during_prompt = False

    async def on_incoming(self, call: Call) -> None:
        await call.answer()
        play = asyncio.ensure_future(call.play(bytes(8000 * 2 * 20)))
        await wait_for(lambda: call.on_hold or call.ended, 10)
        self.hold_seen = call.on_hold
        try:
            await play
        finally:
            self.ended_during_prompt = call.ended


def test_caller_holds_then_hangs_up_mid_prompt(tmp_path: Path, voice: Any) -> None:
    events: list[CallEvent] = []
    handler = LongPrompt()

    async def main() -> tuple[int, str]:
        endpoint = await voice.start_endpoint(handler, tmp_path, events)
        scenario = scenario_copy(voice.scenarios / "uac_hangup_mid_ivr.xml", tmp_path)
        code, out = await run_sipp(scenario, tmp_path, remote_port=endpoint.port)
        await wait_for(lambda: any(e.kind == "ended" for e in events))
        await endpoint.stop()
        return code, out

    code, out = asyncio.run(main())
    assert code == 0, out
    assert handler.hold_seen and handler.ended_during_prompt
    assert events[-1].end_reason == "remote-bye"
    assert events[-1].recording_sha256 is not None
