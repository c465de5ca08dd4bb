"""Email on the agent desktop: a contact's emails, attachment download, threaded reply."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fincall.auth import audit
from fincall.auth.masking import visible
from fincall.auth.service import Principal
from fincall.channels.email import service
from fincall.channels.email.errors import RelayUnavailable
from fincall.channels.email.models import EmailAttachment, EmailMessage
from fincall.channels.email.outbound import SmtpRelay, send_reply
from fincall.channels.email.storage import StagedFiles
from fincall.contacts import service as contacts
from fincall.core.errors import NotFound
from fincall.web.deps import require, runtime, unit_of_work


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)


class AttachmentNotFound(NotFound):
    code = "email-attachment-not-found"


def _attachment_view(a: EmailAttachment) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
    }


def _message_view(m: EmailMessage, attachments: list[EmailAttachment], role: str) -> dict[str, Any]:
    return {
        "id": m.id,
        "message_id": m.message_id,
        "in_reply_to": m.in_reply_to,
        "direction": m.direction,
        "status": m.status,
        "from": visible("email", m.from_addr, role),
        "to": [visible("email", a.strip(), role) for a in m.to_addrs.split(",") if a.strip()],
        "subject": m.subject,
        "seq": m.utterance_seq,
        "sent_at": m.sent_at,
        "received_at": m.received_at,
        "attachments": [_attachment_view(a) for a in attachments if a.email_id == m.id],
    }


def build_router(relay: SmtpRelay | None) -> APIRouter:
    """Routes for the desktop; replies go through ``relay``, else ``app.state.email_relay``
    (neither: replies answer 503)."""
    router = APIRouter(prefix="/api/channels/email", tags=["channels"])

    @router.get("/contacts/{contact_id}/messages")
    def list_messages(
        contact_id: str,
        request: Request,
        principal: Principal = Depends(require("contacts.read")),
    ) -> list[dict[str, Any]]:
        with unit_of_work(request) as session:
            contacts.access_contact(session=session, principal=principal, contact_id=contact_id)
            atts = service.list_attachments(session=session, contact_id=contact_id)
            return [
                _message_view(m, atts, principal.role)
                for m in service.list_messages(session=session, contact_id=contact_id)
            ]

    @router.get("/attachments/{attachment_id}", response_class=Response)
    def download(
        attachment_id: str,
        request: Request,
        principal: Principal = Depends(require("contacts.read")),
    ) -> Response:
        with unit_of_work(request) as session:
            att = session.get(EmailAttachment, attachment_id)
            if att is None:
                raise AttachmentNotFound("no such attachment", attachment_id=attachment_id)
            contacts.access_contact(session=session, principal=principal, contact_id=att.contact_id)
            audit.record(
                session=session,
                actor=principal.actor,
                action="email.attachment_download",
                entity_type="contact",
                entity_id=att.contact_id,
                detail={"attachment_id": att.id, "sha256": att.sha256},
            )
            files = StagedFiles.for_settings(runtime(request).settings)
            try:
                content = files.read(att.path)
            except FileNotFoundError:
                raise AttachmentNotFound(
                    "the attachment file is missing", attachment_id=attachment_id
                ) from None
            name, media = att.filename, att.content_type
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(
            content,
            media_type=media,
            headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )

    @router.post("/contacts/{contact_id}/reply", status_code=201)
    def reply(
        contact_id: str,
        body: ReplyCreate,
        request: Request,
        principal: Principal = Depends(require("contacts.write")),
    ) -> dict[str, Any]:
        files = StagedFiles.for_settings(runtime(request).settings)
        try:
            with unit_of_work(request) as session:
                contact = contacts.access_contact(
                    session=session, principal=principal, contact_id=contact_id
                )
                active = relay or getattr(request.app.state, "email_relay", None)
                if active is None:
                    raise RelayUnavailable("no outgoing mail relay is configured")
                row = send_reply(
                    session=session,
                    contact=contact,
                    text=body.text,
                    actor=principal.actor,
                    relay=active,
                    files=files,
                )
                view = _message_view(row, [], principal.role)
        except BaseException:
            files.discard()
            raise
        return view

    return router
