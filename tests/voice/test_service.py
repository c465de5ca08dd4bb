"""Wiring: start_voice inside a running loop with settings, events on the bus; the CLI sub-app."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from typer.testing import CliRunner

from fincall.channels.voice.call import Call
from fincall.channels.voice.cli import app
from fincall.channels.voice.service import start_voice
from fincall.channels.voice.sip.message import SipMessage, parse
from fincall.core.events import Event, EventBus
from fincall.core.settings import Settings


class Refuse:
    async def on_incoming(self, call: Call) -> None:
        await call.hangup()


def test_start_voice_binds_from_settings_answers_options_and_stops(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, recording_key="k" * 32, environment="test")
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe("*", seen.append)

    async def main() -> tuple[int | None, int]:
        endpoint = await start_voice(settings, Refuse(), bus=bus, port=0)
        assert endpoint.recordings_dir == tmp_path / "recordings"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(3)
            port = sock.getsockname()[1]
            options = SipMessage(method="OPTIONS", uri="sip:127.0.0.1")
            for name, value in (
                ("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKs1"),
                ("From", "<sip:t@h>;tag=1"),
                ("To", "<sip:f@h>"),
                ("Call-ID", "svc-1"),
                ("CSeq", "1 OPTIONS"),
            ):
                options.add(name, value)
            sock.sendto(options.serialise(), ("127.0.0.1", endpoint.port))
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, sock.recv, 4096)
            invite = SipMessage(method="INVITE", uri="sip:ivr@127.0.0.1")
            for name, value in options.headers:
                invite.add(name, value.replace("1 OPTIONS", "1 INVITE").replace("svc-1", "svc-2"))
            invite.set("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKs2")
            sock.sendto(invite.serialise(), ("127.0.0.1", endpoint.port))
            answers = [parse(await loop.run_in_executor(None, sock.recv, 4096)) for _ in range(2)]
            assert [a.status for a in answers] == [100, 480]
        bound = endpoint.port
        await endpoint.stop()
        return parse(data).status, bound

    status, bound = asyncio.run(main())
    assert status == 200 and bound > 0
    assert [e.topic for e in seen] == ["voice.call.started", "voice.call.ended"]
    assert seen[-1].payload["sip_call_id"] == "svc-2" and seen[-1].payload["direction"] == "inbound"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", bound))  # released on stop


def test_cli_rejects_bad_options_clearly() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--handler", "nope"])
    assert result.exit_code != 0 and "handler must be demo, hold or queue" in result.output
    result = runner.invoke(app, ["serve", "--rtp-ports", "abc"])
    assert result.exit_code != 0 and "START-END" in result.output
    result = runner.invoke(app, ["serve", "--recordings", "/tmp/x"])
    assert result.exit_code != 0 and "--key" in result.output
