"""baresip (a real softphone, headless) as an agent phone: digest registration and a call."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fincall.channels.voice.call import Call, CallEvent
from fincall.channels.voice.demo import DemoHandler
from fincall.channels.voice.sipp import free_udp_port, wait_for

pytestmark = [
    pytest.mark.sip,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed"),
]
MODULES = Path("/usr/lib/baresip/modules")


def _config(
    cfg: Path, *, sip_port: int, registrar_port: int, password: str, extra: str = ""
) -> None:
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config").write_text(
        "poll_method epoll\n"
        f"sip_listen 127.0.0.1:{sip_port}\n"
        f"audio_player aufile,{cfg / 'heard.wav'}\n"
        "audio_source ausine,440\n"
        "audio_alert aufile,/dev/null\n"
        "ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 2\nauplay_channels 2\n"
        f"module_path {MODULES}\n"
        "module g711.so\nmodule ausine.so\nmodule aufile.so\n"
        "module_app account.so\nmodule_app menu.so\n" + extra
    )
    (cfg / "accounts").write_text(
        f"<sip:agent7@127.0.0.1:{registrar_port}>;auth_pass={password};answermode=auto;"
        "regint=60;audio_codecs=PCMU\n"
    )


async def _baresip(cfg: Path, *commands: str) -> asyncio.subprocess.Process:
    args = ["baresip", "-f", str(cfg), "-t", "20"]
    for command in commands:
        args += ["-e", command]
    return await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


class Idle:
    async def on_incoming(self, call: Call) -> None:
        await call.hangup()


@pytest.mark.skipif(not MODULES.is_dir(), reason="baresip modules not found")
def test_baresip_registers_with_digest_and_answers_fincall_call(tmp_path: Path, voice: Any) -> None:
    events: list[CallEvent] = []

    async def main() -> tuple[bool, bool, int, float, str | None]:
        endpoint = await voice.start_endpoint(
            Idle(), tmp_path, events, credentials={"agent7": "pw7"}.get
        )
        wrong = tmp_path / "wrong"
        _config(wrong, sip_port=free_udp_port(), registrar_port=endpoint.port, password="bad")
        bad_proc = await _baresip(wrong)
        refused = not await wait_for(lambda: endpoint.registrar.lookup("agent7") is not None, 3)
        bad_proc.kill()
        await bad_proc.wait()
        right = tmp_path / "right"
        _config(right, sip_port=free_udp_port(), registrar_port=endpoint.port, password="pw7")
        proc = await _baresip(right)
        registered = await wait_for(lambda: endpoint.registrar.lookup("agent7") is not None, 8)
        loudness: list[float] = []
        packets, reason = 0, None
        if registered:
            call = await endpoint.dial("agent7", timeout=8)
            call.rtp.frame_taps.append(
                lambda rx, tx: loudness.append(float(np.abs(np.frombuffer(rx, "<i2")).mean()))
            )
            await asyncio.sleep(1.5)
            packets = call.rtp.stats.packets
            await call.hangup("agent-test-done")
            reason = call.end_reason
        proc.kill()
        await proc.wait()
        await endpoint.stop()
        return refused, registered, packets, max(loudness, default=0.0), reason

    refused, registered, packets, loudest, reason = asyncio.run(main())
    assert refused, "a wrong password must not register"
    assert registered
    assert packets >= 40  # baresip's tone arrives as paced PCMU
    assert loudest > 1000
    assert reason == "agent-test-done"


@pytest.mark.skipif(not MODULES.is_dir(), reason="baresip modules not found")
def test_baresip_calls_the_ivr(tmp_path: Path, voice: Any) -> None:
    events: list[CallEvent] = []
    handler = DemoHandler(tts=None, digit_timeout=1.0)

    async def main() -> None:
        endpoint = await voice.start_endpoint(
            handler, tmp_path, events, credentials={"agent7": "pw7"}.get
        )
        cfg = tmp_path / "caller"
        _config(cfg, sip_port=free_udp_port(), registrar_port=endpoint.port, password="pw7")
        await asyncio.sleep(0)
        proc = await _baresip(cfg, f"/dial sip:ivr@127.0.0.1:{endpoint.port}")
        await wait_for(lambda: any(e.kind == "ended" for e in events), 15)
        proc.kill()
        await proc.wait()
        await endpoint.stop()

    asyncio.run(main())
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["started", "answered", "ended"], kinds
    assert events[2].end_reason == "ivr-complete" and events[2].recording_sha256
