from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from fincall.auth.service import Principal
from fincall.contacts import service
from fincall.contacts.schemas import (
    ContactCreate,
    ContactEnd,
    ContactRead,
    ContactUpdate,
    UtteranceCreate,
    UtteranceRead,
)
from fincall.core.validation import Channel
from fincall.web.deps import require, unit_of_work

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.get("", response_model=list[ContactRead])
def list_contacts(
    request: Request,
    customer_id: str | None = Query(default=None, max_length=40),
    agent_id: str | None = Query(default=None, max_length=40),
    channel: Channel | None = None,
    status: str | None = Query(default=None, max_length=16),
    since: AwareDatetime | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    principal: Principal = Depends(require("contacts.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        rows = service.list_(
            session=session,
            principal=principal,
            customer_id=customer_id,
            agent_id=agent_id,
            channel=channel,
            status=status,
            since=since if isinstance(since, datetime) else None,
            limit=limit,
            offset=offset,
        )
        return [service.contact_view(c, with_utterances=False) for c in rows]


@router.post("", response_model=ContactRead, status_code=201)
def create_contact(
    body: ContactCreate, request: Request, principal: Principal = Depends(require("contacts.write"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = service.create(session=session, data=body, actor=principal.actor)
        session.refresh(contact)
        return service.contact_view(contact, role=principal.role)


@router.get("/{contact_id}", response_model=ContactRead)
def get_contact(
    contact_id: str, request: Request, principal: Principal = Depends(require("contacts.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = service.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        return service.contact_view(contact, role=principal.role)


@router.patch("/{contact_id}", response_model=ContactRead)
def update_contact(
    contact_id: str,
    body: ContactUpdate,
    request: Request,
    principal: Principal = Depends(require("contacts.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = service.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        service.update(session=session, contact=contact, data=body, actor=principal.actor)
        return service.contact_view(contact, role=principal.role)


@router.post("/{contact_id}/utterances", response_model=UtteranceRead, status_code=201)
def add_utterance(
    contact_id: str,
    body: UtteranceCreate,
    request: Request,
    principal: Principal = Depends(require("contacts.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = service.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        utt = service.add_utterance(session=session, contact=contact, data=body)
        return {
            "seq": utt.seq,
            "speaker": utt.speaker,
            "text": utt.text,
            "start": utt.start,
            "end": utt.end,
        }


@router.post("/{contact_id}/end", response_model=ContactRead)
def end_contact(
    contact_id: str,
    body: ContactEnd,
    request: Request,
    principal: Principal = Depends(require("contacts.write")),
) -> dict[str, Any]:
    """End the contact with a wrap-up code; quality inspection follows in the background."""
    with unit_of_work(request) as session:
        contact = service.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        service.end(session=session, contact=contact, data=body, actor=principal.actor)
        return service.contact_view(contact, role=principal.role)


@router.delete("/{contact_id}", status_code=204)
def delete_contact(
    contact_id: str, request: Request, principal: Principal = Depends(require("contacts.delete"))
) -> None:
    with unit_of_work(request) as session:
        contact = service.access_contact(
            session=session, principal=principal, contact_id=contact_id
        )
        service.delete(session=session, contact=contact, actor=principal.actor)
