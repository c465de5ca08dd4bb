"""HTTP routes of the voice channel and the background hook that runs the SIP endpoint."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from fincall.auth import audit
from fincall.auth.service import Principal
from fincall.channels.voice import credentials
from fincall.channels.voice.errors import NoLiveCall, RecordingNotFound
from fincall.channels.voice.models import VoiceCall
from fincall.channels.voice.recording import decrypt_stream
from fincall.channels.voice.wiring import VoiceChannel
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import ContactStatus
from fincall.core.clock import ensure_utc
from fincall.runtime import Runtime
from fincall.web.deps import require, unit_of_work

log = logging.getLogger(__name__)
router = APIRouter(tags=["voice"])


class SipPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=8, max_length=128)


class LegalHold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hold: bool = True
    reason: str = Field(default="", max_length=300)


def channel(request: Request) -> VoiceChannel:
    """The app's voice channel (created by ``register``)."""
    return request.app.state.voice


def _call_row(session: Any, contact_id: str) -> VoiceCall:
    row = session.execute(
        select(VoiceCall).where(VoiceCall.contact_id == contact_id)
    ).scalar_one_or_none()
    if row is None:
        raise RecordingNotFound("no call recording for that contact", contact_id=contact_id)
    return row


def call_view(row: VoiceCall) -> dict[str, Any]:
    """The public description of a call and its recording."""
    return {
        "contact_id": row.contact_id,
        "sip_call_id": row.sip_call_id,
        "duration_s": row.duration_s,
        "recording_sha256": row.recording_sha256,
        "recording_available": bool(row.recording_path) and row.recording_deleted_at is None,
        "retention_until": ensure_utc(row.retention_until).isoformat()
        if row.retention_until
        else None,
        "legal_hold": row.legal_hold,
        "transcript_status": row.transcript_status,
        "transcript_reason": row.transcript_reason,
    }


@router.put("/api/voice/agents/{agent_id}/sip-credentials", status_code=204)
def set_sip_credentials(
    agent_id: str,
    body: SipPassword,
    request: Request,
    principal: Principal = Depends(require("agents.write")),
) -> None:
    """Set an agent softphone's SIP password (stored encrypted)."""
    with unit_of_work(request) as session:
        credentials.set_password(
            session=session,
            agent_id=agent_id,
            password=body.password,
            master_key=request.app.state.runtime.settings.recording_master_key,
            actor=principal.actor,
        )


@router.get("/api/voice/contacts/{contact_id}")
def get_call(
    contact_id: str, request: Request, principal: Principal = Depends(require("contacts.read"))
) -> dict[str, Any]:
    """The call row of a contact (recording digest, retention, transcript status)."""
    with unit_of_work(request) as session:
        contacts.access_contact(session=session, principal=principal, contact_id=contact_id)
        return call_view(_call_row(session, contact_id))


@router.get("/api/voice/contacts/{contact_id}/recording")
def play_recording(
    contact_id: str, request: Request, principal: Principal = Depends(require("recordings.play"))
) -> StreamingResponse:
    """Stream the decrypted two-channel WAV; every playback is in the audit chain."""
    with unit_of_work(request) as session:
        row = _call_row(session, contact_id)
        if not row.recording_path or row.recording_deleted_at is not None:
            raise RecordingNotFound(
                "the recording was deleted or never made", contact_id=contact_id
            )
        audit.record(
            session=session,
            actor=principal.actor,
            action="recording.play",
            entity_type="contact",
            entity_id=contact_id,
            detail={"sha256": row.recording_sha256},
        )
        path = row.recording_path
    key = request.app.state.runtime.settings.recording_master_key
    chunks = decrypt_stream(path, master_key=key)
    first = next(chunks)  # fails here (422) if the file was tampered with at its start

    def body() -> Iterator[bytes]:
        yield first
        yield from chunks

    return StreamingResponse(
        body(),
        media_type="audio/wav",
        headers={"Content-Disposition": f'inline; filename="{contact_id}.wav"'},
    )


@router.post("/api/voice/contacts/{contact_id}/legal-hold")
def legal_hold(
    contact_id: str,
    body: LegalHold,
    request: Request,
    principal: Principal = Depends(require("recordings.hold")),
) -> dict[str, Any]:
    """Place (or lift) a legal hold: a held recording survives its retention deadline."""
    with unit_of_work(request) as session:
        row = _call_row(session, contact_id)
        before = {"legal_hold": row.legal_hold}
        row.legal_hold, row.legal_hold_reason = body.hold, body.reason
        audit.record(
            session=session,
            actor=principal.actor,
            action="recording.legal_hold",
            entity_type="contact",
            entity_id=contact_id,
            before=before,
            after={"legal_hold": body.hold, "reason": body.reason},
        )
        return call_view(row)


def _own_live_call(request: Request, principal: Principal, contact_id: str) -> None:
    with unit_of_work(request) as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        if contact.agent_id != principal.agent_id or contact.status != ContactStatus.ACTIVE:
            raise NoLiveCall("that is not your active call", contact_id=contact_id)


def _pause_or_resume(request: Request, principal: Principal, contact_id: str, pause: bool) -> dict:
    _own_live_call(request, principal, contact_id)
    action = (lambda c: c.pause_recording()) if pause else (lambda c: c.resume_recording())
    if not channel(request).broker.run_on_call(contact_id, action):
        raise NoLiveCall("the call is not live on this node", contact_id=contact_id)
    with unit_of_work(request) as session:
        audit.record(
            session=session,
            actor=principal.actor,
            action="recording.pause" if pause else "recording.resume",
            entity_type="contact",
            entity_id=contact_id,
        )
    return {"contact_id": contact_id, "recording": "paused" if pause else "recording"}


@router.post("/api/voice/contacts/{contact_id}/recording/pause")
def pause_recording(
    contact_id: str, request: Request, principal: Principal = Depends(require("desk.use"))
) -> dict[str, Any]:
    """Mask the recording from now (the customer is giving card details)."""
    return _pause_or_resume(request, principal, contact_id, True)


@router.post("/api/voice/contacts/{contact_id}/recording/resume")
def resume_recording(
    contact_id: str, request: Request, principal: Principal = Depends(require("desk.use"))
) -> dict[str, Any]:
    """Record audio again after a pause."""
    return _pause_or_resume(request, principal, contact_id, False)


async def sip_hook(runtime: Runtime, app: FastAPI) -> Callable[[], Awaitable[None]] | None:
    """Start the SIP endpoint with the IVR when ``settings.sip_enabled``."""
    voice: VoiceChannel = app.state.voice
    if not runtime.settings.sip_enabled:
        return None
    try:
        endpoint = await voice.start()
    except OSError as exc:  # the port is taken: the web application still serves
        log.error(
            "SIP endpoint not started on %s:%s: %s",
            runtime.settings.sip_host,
            runtime.settings.sip_port,
            exc,
        )
        voice.close()
        return None
    message = f"SIP listening on udp/tcp {endpoint.host}:{endpoint.port}"
    print(message, flush=True)  # noqa: T201 - fincall serve shows where to call
    log.info(message)
    return voice.stop


def register(app: FastAPI) -> None:
    """Mount the routes; the SIP endpoint starts as a background hook."""
    app.state.voice = VoiceChannel(app.state.runtime)
    app.include_router(router)
    app.state.background_hooks.append(sip_hook)
