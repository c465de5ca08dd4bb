"""Agent softphones (sipp): digest registration, and a caller bridged to a registered agent."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fincall.channels.voice.call import Call, CallEvent
from fincall.channels.voice.demo import QueueToAgentHandler
from fincall.channels.voice.recording import decrypt_stream
from fincall.channels.voice.server import SipEndpoint
from fincall.channels.voice.sipp import (
    free_udp_port,
    run_sipp,
    scenario_copy,
    start_probe,
    wait_for,
    write_tone_pcap,
)

pytestmark = [pytest.mark.sip, pytest.mark.usefixtures("sipp_available")]
PASSWORDS = {"agent1": "pw-agent1"}


class Idle:
    async def on_incoming(self, call: Call) -> None:
        await call.hangup("not-used")


async def _register(
    voice: Any, tmp: Path, port: int, *, user: str, password: str, expect: int, contact_port: int
) -> tuple[int, str]:
    scenario = scenario_copy(
        voice.scenarios / "register_auth.xml",
        tmp,
        USER=user,
        PASSWORD=password,
        EXPECT=str(expect),
        CONTACT_PORT=str(contact_port),
    )
    return await run_sipp(scenario, tmp, remote_port=port, timeout=15)


@pytest.mark.parametrize(
    ("user", "password", "expect"),
    [("agent1", "wrong", 403), ("nobody", "pw-agent1", 403), ("agent1", "pw-agent1", 200)],
)
def test_registration_digest(
    tmp_path: Path, voice: Any, user: str, password: str, expect: int
) -> None:
    async def main() -> tuple[int, str, object]:
        endpoint = await voice.start_endpoint(Idle(), tmp_path, [], credentials=PASSWORDS.get)
        code, out = await _register(
            voice,
            tmp_path,
            endpoint.port,
            user=user,
            password=password,
            expect=expect,
            contact_port=40123,
        )
        binding = endpoint.registrar.lookup(user)
        await endpoint.stop()
        return code, out, binding

    code, out, binding = asyncio.run(main())
    assert code == 0, out
    if expect == 200:
        assert binding is not None and binding.contact == "sip:agent1@127.0.0.1:40123"
    else:
        assert binding is None


class BridgeToAgent:
    """Answers, dials the registered agent, bridges until someone hangs up."""

    def __init__(self) -> None:
        self.endpoint: SipEndpoint | None = None
        self.agent_calls: list[Call] = []

    async def on_incoming(self, call: Call) -> None:
        assert self.endpoint is not None
        await call.answer()
        agent = await self.endpoint.dial("agent1", caller=call.caller, timeout=10)
        self.agent_calls.append(agent)
        await call.bridge(agent)


def test_caller_bridged_to_registered_agent(tmp_path: Path, voice: Any) -> None:
    events: list[CallEvent] = []
    handler = BridgeToAgent()
    write_tone_pcap(tmp_path / "tone.pcap", seconds=1.5)

    async def main() -> tuple[int, str, int, str, int]:
        endpoint = await voice.start_endpoint(handler, tmp_path, events, credentials=PASSWORDS.get)
        handler.endpoint = endpoint
        agent_port = free_udp_port()
        code, out = await _register(
            voice,
            tmp_path,
            endpoint.port,
            user="agent1",
            password="pw-agent1",
            expect=200,
            contact_port=agent_port,
        )
        assert code == 0, out
        probe_transport, probe = await start_probe()
        uas = scenario_copy(voice.scenarios / "uas_agent.xml", tmp_path, PROBE_PORT=str(probe.port))
        agent_task = asyncio.ensure_future(
            run_sipp(uas, tmp_path, local_port=agent_port, timeout=30)
        )
        caller = scenario_copy(voice.scenarios / "uac_bridge.xml", tmp_path, HOLD_MS="2500")
        caller_code, caller_out = await run_sipp(
            caller, tmp_path, remote_port=endpoint.port, timeout=30
        )
        agent_code, agent_out = await agent_task
        await wait_for(lambda: sum(e.kind == "ended" for e in events) == 2)
        probe_transport.close()
        await endpoint.stop()
        return caller_code, caller_out, agent_code, agent_out, probe.loud_packets

    caller_code, caller_out, agent_code, agent_out, loud = asyncio.run(main())
    assert caller_code == 0, caller_out
    assert agent_code == 0, agent_out
    assert loud >= 40  # the caller's tone reached the agent's phone through the bridge
    by_dir = {(e.direction, e.kind) for e in events}
    assert by_dir == {
        (d, k) for d in ("inbound", "outbound") for k in ("started", "answered", "ended")
    }
    inbound_end = next(e for e in events if e.kind == "ended" and e.direction == "inbound")
    assert inbound_end.end_reason == "remote-bye"
    plain = b"".join(decrypt_stream(inbound_end.recording_path or "", master_key=voice.master_key))
    stereo = np.frombuffer(plain[44:], dtype="<i2").reshape(-1, 2)
    assert np.abs(stereo[:, 0]).max() > 3000  # the caller's voice is on the left channel


def test_caller_hangs_up_while_queued_for_an_agent(tmp_path: Path, voice: Any) -> None:
    events: list[CallEvent] = []
    endpoint_box: list[SipEndpoint] = []

    async def dial(*args: Any, **kwargs: Any) -> Call:
        return await endpoint_box[0].dial(*args, **kwargs)

    handler = QueueToAgentHandler(dial=dial, agent="agent1", digit_timeout=0.2, agent_timeout=1.5)
    write_tone_pcap(tmp_path / "tone.pcap", seconds=0.5)

    async def main() -> tuple[int, str, int]:
        endpoint = await voice.start_endpoint(handler, tmp_path, events, credentials=PASSWORDS.get)
        endpoint_box.append(endpoint)
        silent_phone = free_udp_port()  # registered, but the phone never answers
        code, out = await _register(
            voice,
            tmp_path,
            endpoint.port,
            user="agent1",
            password="pw-agent1",
            expect=200,
            contact_port=silent_phone,
        )
        assert code == 0, out
        probe_transport, probe = await start_probe()
        caller = scenario_copy(voice.scenarios / "uac_bridge.xml", tmp_path, HOLD_MS="2500")
        code, out = await run_sipp(caller, tmp_path, remote_port=endpoint.port, timeout=20)
        await wait_for(lambda: sum(e.kind == "ended" for e in events) == 2, 10)
        probe_transport.close()
        await endpoint.stop()
        return code, out, probe.loud_packets

    code, out, _ = asyncio.run(main())
    assert code == 0, out
    ended = {e.direction: e for e in events if e.kind == "ended"}
    assert ended["inbound"].end_reason == "remote-bye"
    assert ended["inbound"].attributes.get("agent") is None
    assert ended["outbound"].end_reason == "cancelled"  # the unanswered agent leg was cancelled
    assert not any(e.kind == "answered" and e.direction == "outbound" for e in events)
