"""The voice channel end to end with real SIP peers (sipp): IVR → queue → agent → transcript."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from fincall.agents.models import Agent
from fincall.auth.models import AuditEvent, User
from fincall.channels.voice.g711 import encode
from fincall.channels.voice.models import VoiceCall, VoiceSipCredential
from fincall.channels.voice.rtp import dtmf_payload
from fincall.channels.voice.sipp import (
    free_udp_port,
    run_sipp,
    scenario_copy,
    start_probe,
    write_rtp_pcap,
)
from fincall.contacts.models import Contact
from fincall.core.db import Base
from fincall.customers import identity
from fincall.customers.models import Customer, IdentityVerification

pytestmark = [pytest.mark.sip, pytest.mark.usefixtures("sipp_available")]
PASSWORD = "agent-phone-pw"


@pytest.fixture
def vw(world, tmp_path: Path):
    Base.metadata.create_all(
        world.runtime.engine, tables=[VoiceCall.__table__, VoiceSipCredential.__table__]
    )
    write_keys_pcap(tmp_path / "keys.pcap", "13")
    return world


def write_keys_pcap(
    path: Path, digits: str, *, gap_s: float = 2.0, gaps: dict | None = None
) -> None:
    """One pcap: each DTMF digit (RFC 4733), ``gap_s`` of silence after it, then 2 s of tone.

    Silence advances the RTP timestamp, so each key is a distinct event for the receiver.
    """
    silence = encode(bytes(320), 0)
    t = np.arange(16000) / 8000
    tone = encode((np.sin(2 * np.pi * 440 * t) * 9000).astype("<i2").tobytes(), 0)
    packets: list[tuple[int, bool, bytes]] = []
    for n, digit in enumerate(digits):
        packets += [(101, False, dtmf_payload(digit, end=False, duration=160 * i)) for i in (1, 2)]
        packets += [(101, True, dtmf_payload(digit, end=True, duration=800))] * 3
        packets += [(0, False, silence)] * int((gaps or {}).get(n, gap_s) * 50)
    packets += [(0, False, tone[i : i + 160]) for i in range(0, len(tone), 160)]
    write_rtp_pcap(path, packets)


def _demo_agent_available(world) -> Agent:
    with world.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "agent")).scalars().first()
        for a in session.execute(select(Agent)).scalars():
            a.state = "offline"
        agent = session.get(Agent, user.agent_id)
        agent.languages, agent.shifts = ["en"], []
    h = world.headers("agent")
    assert world.client.post("/api/desk/state", json={"state": "available"}, headers=h).is_success
    r = world.client.put(
        f"/api/voice/agents/{agent.id}/sip-credentials",
        json={"password": PASSWORD},
        headers=world.headers("admin"),
    )
    assert r.status_code == 204, r.text
    return agent


def _voice_contacts(world) -> list[tuple[str, str]]:
    with world.runtime.transaction() as session:
        rows = session.execute(
            select(Contact).join(VoiceCall, VoiceCall.contact_id == Contact.id)
        ).scalars()
        return [(c.id, c.status) for c in rows]


def _call_row(world, contact_id: str) -> VoiceCall:
    with world.runtime.transaction() as session:
        return session.execute(
            select(VoiceCall).where(VoiceCall.contact_id == contact_id)
        ).scalar_one()


async def _poll(fn: Any, timeout: float) -> Any:
    """Poll a database condition from a worker thread until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await asyncio.to_thread(fn)
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def _start(world, tmp_path: Path, **options: Any):
    voice = world.client.app.state.voice
    endpoint = await voice.start(host="127.0.0.1", port=0, **options)
    handler = voice.handler
    await asyncio.to_thread(
        lambda: [handler.tts.render(t, language=lang) for t, lang in handler.prompts()]
    )
    return voice, endpoint


@pytest.mark.parametrize("answer_on", ["desktop", "phone"])
def test_ivr_queue_agent_accepts_and_is_bridged(vw, tmp_path: Path, voice, answer_on: str) -> None:
    """Desktop: accepting the offer dials the agent's phone. Phone: the offer rings the phone
    at once and answering it accepts the offer."""
    world = vw
    agent = _demo_agent_available(world)
    agent_h = world.headers("agent")

    async def main() -> dict[str, Any]:
        voice_ch, endpoint = await _start(world, tmp_path, ring_on_offer=answer_on == "phone")
        agent_port = free_udp_port()
        reg = scenario_copy(
            voice.scenarios / "register_auth.xml",
            tmp_path,
            USER=agent.sip_username,
            PASSWORD=PASSWORD,
            EXPECT="200",
            CONTACT_PORT=str(agent_port),
        )
        code, out = await run_sipp(reg, tmp_path, remote_port=endpoint.port, timeout=15)
        assert code == 0, out
        probe_transport, probe = await start_probe()
        uas = scenario_copy(voice.scenarios / "uas_agent.xml", tmp_path, PROBE_PORT=str(probe.port))
        agent_task = asyncio.ensure_future(
            run_sipp(uas, tmp_path, local_port=agent_port, timeout=60)
        )
        caller = scenario_copy(
            voice.scenarios / "uac_ivr_queue.xml",
            tmp_path,
            KEYS="keys.pcap",
            CALLER="caller",
            HOLD_MS="14000",
        )
        caller_task = asyncio.ensure_future(
            run_sipp(caller, tmp_path, remote_port=endpoint.port, timeout=60)
        )
        queued = await _poll(
            lambda: [c for c in _voice_contacts(world) if c[1] == "queued"], timeout=20
        )
        assert queued, _voice_contacts(world)
        contact_id = queued[0][0]
        with world.runtime.transaction() as session:
            contact = session.get(Contact, contact_id)
            seen = (contact.queue, contact.language, dict(contact.attributes))
        rounds = await asyncio.to_thread(world.client.app.state.dispatcher.run_round)
        desk = await asyncio.to_thread(world.client.get, "/api/desk", headers=agent_h)
        offers = desk.json()["offers"]
        if answer_on == "desktop":
            accepted = await asyncio.to_thread(
                world.client.post, f"/api/desk/offers/{offers[0]['id']}/accept", headers=agent_h
            )
            accepted_code = accepted.status_code
            base = f"/api/voice/contacts/{contact_id}/recording"
            paused = await asyncio.to_thread(world.client.post, f"{base}/pause", headers=agent_h)
            resumed = await asyncio.to_thread(world.client.post, f"{base}/resume", headers=agent_h)
            assert (paused.json()["recording"], resumed.json()["recording"]) == (
                "paused",
                "recording",
            )
        else:
            accepted_code = 200
            connected = await _poll(
                lambda: [c for c in _voice_contacts(world) if c[1] == "active"], timeout=10
            )
            assert connected, _voice_contacts(world)
        caller_code, caller_out = await caller_task
        agent_code, agent_out = await agent_task
        probe_transport.close()
        done = await _poll(
            lambda: _call_row(world, contact_id).transcript_status != "pending", timeout=120
        )
        await voice_ch.stop()
        return {
            "contact_id": contact_id,
            "seen": seen,
            "rounds": rounds,
            "offers": offers,
            "accepted": accepted_code,
            "caller": (caller_code, caller_out),
            "agent": (agent_code, agent_out),
            "loud": probe.loud_packets,
            "done": done,
        }

    out = asyncio.run(main())
    assert out["caller"][0] == 0, out["caller"][1]
    assert out["agent"][0] == 0, out["agent"][1]
    assert out["seen"][0] == "general-en" and out["seen"][1] == "en"
    assert out["seen"][2]["language_source"] == "dtmf" and out["seen"][2]["intent"] == "general"
    assert out["rounds"]["offered"] == 1 and out["offers"][0]["contact_id"] == out["contact_id"]
    assert out["accepted"] == 200
    assert out["loud"] >= 20  # the caller's voice reached the agent's phone through the bridge
    assert out["done"]
    row = _call_row(world, out["contact_id"])
    assert row.recording_sha256 and len(row.recording_sha256) == 64
    assert row.duration_s and row.duration_s > 5
    assert row.transcript_status == "available", row.transcript_reason
    assert row.retention_until is not None
    with world.runtime.transaction() as session:
        contact = session.get(Contact, out["contact_id"])
        assert contact.status == "ended" and contact.agent_id == agent.id
        assert contact.attributes["transcript_status"] == row.transcript_status
        if row.transcript_status == "available":
            assert contact.utterances
            assert {u.speaker for u in contact.utterances} <= {"customer", "agent"}
        assert session.get(Agent, agent.id).state == "available"  # back from the call


def test_caller_hanging_up_in_queue_abandons(vw, tmp_path: Path, voice) -> None:
    world = vw

    async def main() -> tuple[int, str]:
        voice_ch, endpoint = await _start(world, tmp_path)
        caller = scenario_copy(
            voice.scenarios / "uac_ivr_queue.xml",
            tmp_path,
            KEYS="keys.pcap",
            CALLER="caller",
            HOLD_MS="8000",
        )
        code, out = await run_sipp(caller, tmp_path, remote_port=endpoint.port, timeout=40)
        await _poll(lambda: any(s == "abandoned" for _, s in _voice_contacts(world)), 10)
        await voice_ch.stop()
        return code, out

    code, out = asyncio.run(main())
    assert code == 0, out
    [(contact_id, status)] = _voice_contacts(world)
    assert status == "abandoned"
    row = _call_row(world, contact_id)
    assert row.recording_sha256 and row.end_reason == "remote-bye"
    assert row.transcript_status == "unavailable"


def test_background_hook_starts_and_stops_the_endpoint(vw, capsys) -> None:
    from fincall.channels.voice.views import sip_hook

    app = vw.client.app
    settings = vw.runtime.settings

    async def main() -> tuple[object, object]:
        settings.sip_enabled = False
        off = await sip_hook(vw.runtime, app)
        settings.sip_enabled, settings.sip_port = True, 0
        stop = await sip_hook(vw.runtime, app)
        endpoint = app.state.voice.endpoint
        assert endpoint is not None and endpoint.transport is not None
        await stop()
        return off, endpoint

    off, endpoint = asyncio.run(main())
    assert off is None
    assert f"SIP listening on udp/tcp 127.0.0.1:{endpoint.port}" in capsys.readouterr().out
    assert endpoint.transport.is_closing()


def test_caller_id_and_date_of_birth_verify_the_customer(vw, tmp_path: Path, voice) -> None:
    world = vw
    with world.runtime.transaction() as session:
        cus = (
            session.execute(
                select(Customer).where(
                    Customer.phone.is_not(None), Customer.date_of_birth.is_not(None)
                )
            )
            .scalars()
            .first()
        )
    dob = cus.date_of_birth.strftime("%Y%m%d")
    keys = "1" + dob + "#" + "3"
    gaps = {0: 2.0, **dict.fromkeys(range(1, 9), 0.25), 9: 1.0}
    write_keys_pcap(tmp_path / "dob.pcap", keys, gaps=gaps)

    async def main() -> tuple[int, str]:
        voice_ch, endpoint = await _start(world, tmp_path)
        caller = scenario_copy(
            voice.scenarios / "uac_ivr_queue.xml",
            tmp_path,
            KEYS="dob.pcap",
            CALLER=cus.phone,
            HOLD_MS="12000",
        )
        code, out = await run_sipp(caller, tmp_path, remote_port=endpoint.port, timeout=40)
        await _poll(lambda: any(s == "abandoned" for _, s in _voice_contacts(world)), 10)
        await voice_ch.stop()
        return code, out

    code, out = asyncio.run(main())
    assert code == 0, out
    [(contact_id, status)] = _voice_contacts(world)
    with world.runtime.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert contact.customer_id == cus.id and contact.attributes["verified"] is True
        assert contact.language == "en" and contact.queue == "general-en"
        verification = session.execute(
            select(IdentityVerification).where(IdentityVerification.contact_id == contact_id)
        ).scalar_one()
        assert verification.channel == "voice" and verification.customer_id == cus.id
        assert identity.is_verified(session=session, customer_id=cus.id)  # for chat and email
        logged = session.execute(select(AuditEvent)).scalars()
        assert not any(dob in str(e.detail) for e in logged)
