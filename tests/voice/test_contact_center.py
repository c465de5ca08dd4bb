"""Voice in the contact center without SIP peers: contacts from calls, credentials, recordings
API (playback, legal hold, pause guard), retention sweep and its CLI."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fincall.agents.models import Agent
from fincall.auth.models import AuditEvent, User
from fincall.channels.voice import credentials, store
from fincall.channels.voice.cli import app as voice_cli
from fincall.channels.voice.ivr.flow import FlowInvalid, load_flow, parse_flow, queue_for
from fincall.channels.voice.models import VoiceCall, VoiceSipCredential
from fincall.channels.voice.recording import RecordingWriter, digest_of
from fincall.channels.voice.retention import policy_from_env, retention_until, sweep
from fincall.contacts.models import Contact
from fincall.core.clock import utcnow
from fincall.core.db import Base
from fincall.customers.models import Customer, IdentityVerification


@pytest.fixture
def vw(world):
    Base.metadata.create_all(
        world.runtime.engine, tables=[VoiceCall.__table__, VoiceSipCredential.__table__]
    )
    return world


def _customer(world) -> Customer:
    with world.runtime.transaction() as session:
        return (
            session.execute(
                select(Customer).where(Customer.region == "HK", Customer.phone.is_not(None))
            )
            .scalars()
            .first()
        )


def test_call_creates_voice_contact_matched_by_caller_id(vw) -> None:
    cus = _customer(vw)
    cc = store.start_contact(vw.runtime, caller=cus.phone.lstrip("+"), sip_call_id="abc@host")
    assert cc.customer_id == cus.id and cc.region == "HK"
    with vw.runtime.transaction() as session:
        contact = session.get(Contact, cc.contact_id)
        row = session.execute(select(VoiceCall).where(VoiceCall.contact_id == cc.contact_id))
        row = row.scalar_one()
        assert (contact.channel, contact.direction, contact.status) == ("voice", "inbound", "new")
        assert contact.language == cus.language
        assert row.sip_call_id == "abc@host"
    unknown = store.start_contact(vw.runtime, caller="anonymous", sip_call_id="x@y")
    assert unknown.customer_id is None and unknown.language == "en" and not unknown.can_verify


def test_date_of_birth_check_records_verification_across_channels(vw) -> None:
    cus = _customer(vw)
    cc = store.start_contact(vw.runtime, caller=cus.phone, sip_call_id="dob@host")
    assert cc.can_verify
    assert not store.verify_date_of_birth(vw.runtime, contact_id=cc.contact_id, digits="19000101")
    assert not store.verify_date_of_birth(vw.runtime, contact_id=cc.contact_id, digits="12")
    right = cus.date_of_birth.strftime("%Y%m%d")
    assert store.verify_date_of_birth(vw.runtime, contact_id=cc.contact_id, digits=right)
    with vw.runtime.transaction() as session:
        rows = session.execute(
            select(IdentityVerification).where(IdentityVerification.customer_id == cus.id)
        ).scalars()
        assert [(r.channel, r.contact_id) for r in rows] == [("voice", cc.contact_id)]
        events = session.execute(
            select(AuditEvent).where(
                AuditEvent.action.in_(["identity.failed", "identity.verified"])
            )
        ).scalars()
        details = [str(e.detail) for e in events]
        assert len(details) == 3 and not any(right in d for d in details)
        assert session.get(Contact, cc.contact_id).attributes["verified"] is True


def test_caller_leaving_before_an_agent_abandons_the_contact(vw) -> None:
    from fincall.channels.voice.call import CallEvent

    cc = store.start_contact(vw.runtime, caller="+10000000000", sip_call_id="gone@host")
    store.enqueue(vw.runtime, contact_id=cc.contact_id, queue_id="general-en")
    event = CallEvent(
        kind="ended",
        call_id="call_x",
        direction="inbound",
        caller="x",
        called="ivr",
        at=utcnow(),
        sip_call_id="gone@host",
        end_reason="remote-bye",
        recording_path="/nonexistent.fcrec",
        recording_sha256="ab" * 32,
        recording_duration_s=3.5,
    )
    assert store.call_ended(vw.runtime, event=event) is None
    with vw.runtime.transaction() as session:
        assert session.get(Contact, cc.contact_id).status == "abandoned"
        row = session.execute(select(VoiceCall)).scalars().one()
        assert row.recording_sha256 == "ab" * 32 and row.duration_s == 3.5
        assert row.transcript_status == "unavailable" and row.transcript_reason
        assert row.retention_until.year == utcnow().year + 7  # no region: the default


def test_retention_policy_per_region_and_override() -> None:
    now = utcnow().replace(month=3, day=1)
    assert retention_until(now, "HK").year == now.year + 7
    assert retention_until(now, "CN").year == now.year + 5
    policy = policy_from_env({"FINCALL_VOICE_RETENTION_YEARS": "CN=10, sg=3"})
    assert retention_until(now, "CN", policy).year == now.year + 10
    assert retention_until(now, "SG", policy).year == now.year + 3


def test_sip_credentials_api_encrypts_and_registrar_reads_them(vw) -> None:
    with vw.runtime.transaction() as session:
        agent = session.execute(select(Agent)).scalars().first()
    url = f"/api/voice/agents/{agent.id}/sip-credentials"
    r = vw.client.put(url, json={"password": "s3cret-pass"}, headers=vw.headers("agent"))
    assert r.status_code == 403
    r = vw.client.put(url, json={"password": "s3cret-pass"}, headers=vw.headers("admin"))
    assert r.status_code == 204, r.text
    with vw.runtime.transaction() as session:
        row = session.get(VoiceSipCredential, agent.id)
        assert b"s3cret-pass" not in row.ciphertext
    lookup = credentials.provider(vw.runtime.sessions, vw.runtime.settings.recording_master_key)
    assert lookup(agent.sip_username) == "s3cret-pass"
    assert lookup("nobody") is None
    wrong = credentials.provider(vw.runtime.sessions, "another key")
    assert wrong(agent.sip_username) is None
    r = vw.client.put(
        "/api/voice/agents/agt_missing/sip-credentials",
        json={"password": "s3cret-pass"},
        headers=vw.headers("admin"),
    )
    assert r.status_code == 404


def _recorded_call(world, tmp_path: Path, *, seconds: float, name: str, days_left: int) -> str:
    key = world.runtime.settings.recording_master_key
    path = tmp_path / f"{name}.fcrec"
    writer = RecordingWriter(path, master_key=key)
    tone = (np.sin(np.arange(160) / 3) * 5000).astype("<i2").tobytes()
    for _ in range(int(seconds * 50)):
        writer.write_frame(tone, bytes(320))
    writer.close()
    result = digest_of(path, master_key=key)
    cc = store.start_contact(world.runtime, caller="+19990000000", sip_call_id=f"{name}@h")
    with world.runtime.transaction() as session:
        row = session.execute(select(VoiceCall).where(VoiceCall.contact_id == cc.contact_id))
        row = row.scalar_one()
        row.recording_path, row.recording_sha256 = str(path), result.sha256
        row.duration_s = result.duration_s
        row.retention_until = utcnow() + timedelta(days=days_left)
    return cc.contact_id


def test_playback_streams_wav_for_compliance_and_is_audited(vw, tmp_path: Path) -> None:
    contact_id = _recorded_call(vw, tmp_path, seconds=2.0, name="play", days_left=30)
    url = f"/api/voice/contacts/{contact_id}/recording"
    assert vw.client.get(url, headers=vw.headers("agent")).status_code == 403
    r = vw.client.get(url, headers=vw.headers("compliance_officer"))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    body = r.content
    assert body[:4] == b"RIFF"
    channels, rate = struct.unpack_from("<H", body, 22)[0], struct.unpack_from("<I", body, 24)[0]
    duration = (len(body) - 44) / (rate * channels * 2)
    assert channels == 2 and rate == 8000 and abs(duration - 2.0) < 0.05
    with vw.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "compliance_officer")).scalar_one()
        played = session.execute(
            select(AuditEvent).where(AuditEvent.action == "recording.play")
        ).scalars()
        assert [(e.actor_id, e.entity_id) for e in played] == [(user.id, contact_id)]
    missing = vw.client.get(
        "/api/voice/contacts/con_nope/recording", headers=vw.headers("compliance_officer")
    )
    assert missing.status_code == 404


def test_retention_sweep_deletes_expired_keeps_legal_hold(vw, tmp_path: Path) -> None:
    expired = _recorded_call(vw, tmp_path, seconds=0.5, name="old", days_left=-1)
    held = _recorded_call(vw, tmp_path, seconds=0.5, name="held", days_left=-1)
    fresh = _recorded_call(vw, tmp_path, seconds=0.5, name="new", days_left=10)
    url = f"/api/voice/contacts/{held}/legal-hold"
    body = {"hold": True, "reason": "litigation 42"}
    assert vw.client.post(url, json=body, headers=vw.headers("supervisor")).status_code == 403
    r = vw.client.post(url, json=body, headers=vw.headers("compliance_officer"))
    assert r.status_code == 200 and r.json()["legal_hold"] is True
    with vw.runtime.transaction() as session:
        assert sweep(session=session) == [expired]
    assert not (tmp_path / "old.fcrec").exists()
    assert (tmp_path / "held.fcrec").exists() and (tmp_path / "new.fcrec").exists()
    with vw.runtime.transaction() as session:
        deletions = session.execute(
            select(AuditEvent).where(AuditEvent.action == "recording.delete")
        ).scalars()
        assert [e.entity_id for e in deletions] == [expired]
        assert sweep(session=session) == []  # idempotent
    r = vw.client.get(
        f"/api/voice/contacts/{expired}/recording", headers=vw.headers("compliance_officer")
    )
    assert r.status_code == 404
    assert fresh


def test_sweep_retention_cli(vw, tmp_path: Path, monkeypatch) -> None:
    expired = _recorded_call(vw, tmp_path, seconds=0.5, name="cli", days_left=-2)
    settings = vw.runtime.settings
    monkeypatch.setenv("FINCALL_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("FINCALL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FINCALL_SECRET_KEY", settings.secret)
    runner = CliRunner()
    dry = runner.invoke(voice_cli, ["sweep-retention", "--dry-run"])
    assert dry.exit_code == 0 and "would delete 1" in dry.output and expired in dry.output
    assert (tmp_path / "cli.fcrec").exists()
    done = runner.invoke(voice_cli, ["sweep-retention"])
    assert done.exit_code == 0 and "deleted 1" in done.output
    assert not (tmp_path / "cli.fcrec").exists()


def test_pause_requires_own_active_call(vw) -> None:
    cc = store.start_contact(vw.runtime, caller="+10000000001", sip_call_id="p@h")
    r = vw.client.post(
        f"/api/voice/contacts/{cc.contact_id}/recording/pause", headers=vw.headers("agent")
    )
    assert r.status_code == 409 and "not your active call" in r.text
    r = vw.client.post(
        f"/api/voice/contacts/{cc.contact_id}/recording/pause", headers=vw.headers("qa_analyst")
    )
    assert r.status_code == 403


def test_ivr_flow_file_is_valid_and_checked() -> None:
    flow = load_flow()
    assert flow.start == "language" and flow.steps["queue"].kind == "queue"
    assert queue_for("general-{language}", "zh-HK") == "general-zh-HK"
    with pytest.raises(FlowInvalid):
        parse_flow({"start": "a", "steps": {"a": {"kind": "menu", "options": {"1": {}}}}})
    with pytest.raises(FlowInvalid):
        parse_flow({"start": "a", "steps": {"a": {"kind": "queue", "next": "zz"}}})


def test_transcript_unavailable_without_a_chinese_model_still_ends_the_contact(
    vw, tmp_path: Path
) -> None:
    from fincall.core.events import Event
    from fincall.speech.asr import LanguageRouter

    contact_id = _recorded_call(vw, tmp_path, seconds=1.5, name="zh", days_left=30)
    with vw.runtime.transaction() as session:
        contact = session.get(Contact, contact_id)
        contact.status, contact.language = "active", "zh-HK"
    ended: list[Event] = []
    vw.runtime.bus.subscribe("contact.ended", ended.append)
    status = store.transcribe_and_end(
        vw.runtime,
        contact_id=contact_id,
        recognizer=LanguageRouter(model_dirs={}),
        master_key=vw.runtime.settings.recording_master_key,
    )
    assert status == "unavailable"
    with vw.runtime.transaction() as session:
        row = session.execute(select(VoiceCall).where(VoiceCall.contact_id == contact_id))
        row = row.scalar_one()
        assert row.transcript_status == "unavailable" and "zh" in row.transcript_reason
        contact = session.get(Contact, contact_id)
        assert contact.status == "ended" and contact.utterances == []
        assert contact.attributes["transcript_status"] == "unavailable"
    assert [e.payload["contact_id"] for e in ended] == [contact_id]
    r = vw.client.get(f"/api/voice/contacts/{contact_id}", headers=vw.headers("supervisor"))
    assert r.status_code == 200 and r.json()["transcript_status"] == "unavailable"


def test_queue_position_counts_callers_ahead(vw) -> None:
    first = store.start_contact(vw.runtime, caller="+10000000011", sip_call_id="q1@h")
    second = store.start_contact(vw.runtime, caller="+10000000012", sip_call_id="q2@h")
    for cc in (first, second):
        store.enqueue(vw.runtime, contact_id=cc.contact_id, queue_id="general-en")
    assert store.queue_position(vw.runtime, contact_id=first.contact_id) == 1
    assert store.queue_position(vw.runtime, contact_id=second.contact_id) == 2
    new = store.start_contact(vw.runtime, caller="+10000000013", sip_call_id="q3@h")
    assert store.queue_position(vw.runtime, contact_id=new.contact_id) is None
