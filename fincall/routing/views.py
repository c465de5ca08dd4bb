"""HTTP and WebSocket routes of the agent desktop, the supervisor wall and queue setup."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from fincall.agents import service as agents
from fincall.auth import service as auth
from fincall.auth.errors import NotAuthenticated
from fincall.auth.permissions import allowed
from fincall.auth.service import Principal
from fincall.channels.chat import service as chat
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import ContactStatus
from fincall.contacts.models import Contact
from fincall.contacts.schemas import ContactEnd
from fincall.core.clock import utcnow
from fincall.core.errors import Conflict, DomainError, Forbidden, Invalid
from fincall.routing import service as routing
from fincall.routing import wall
from fincall.routing.models import Queue
from fincall.routing.schemas import (
    DeskMessage,
    DraftCheck,
    MoveContact,
    QueueIn,
    QueueRead,
    StateChange,
    WrapUp,
)
from fincall.web.deps import SESSION_COOKIE, require, unit_of_work
from fincall.web.hub import Connection, Hub

router = APIRouter(tags=["routing"])


class NotLinkedToAgent(Conflict):
    code = "not-linked-to-agent"


class ComplianceBlocked(DomainError):
    code = "compliance-blocked"
    kind = "invalid"


def _my_agent(principal: Principal) -> str:
    if not principal.agent_id:
        raise NotLinkedToAgent("this login is not linked to an agent record")
    return principal.agent_id


# ---------------------------------------------------------------- queues


@router.get("/api/queues", response_model=list[QueueRead])
def list_queues(request: Request, principal: Principal = Depends(require("queues.read"))) -> Any:
    with unit_of_work(request) as session:
        return [QueueRead.model_validate(q) for q in routing.list_queues(session=session)]


@router.put("/api/queues/{queue_id}", response_model=QueueRead)
def put_queue(
    queue_id: str,
    body: QueueIn,
    request: Request,
    principal: Principal = Depends(require("queues.write")),
) -> Any:
    if body.id != queue_id:
        raise Invalid("the body's id must match the path", field="id")
    with unit_of_work(request) as session:
        known = {q.id for q in routing.list_queues(session=session)} | {queue_id}
        for rule in body.overflow:
            if rule.target_queue and rule.target_queue not in known:
                raise Invalid("overflow target queue does not exist", field="overflow")
        q = session.get(Queue, queue_id) or Queue(id=queue_id)
        for key, value in body.model_dump().items():
            setattr(q, key, value)
        routing.queue_spec(q)  # validates overflow ordering and targets
        session.add(q)
        from fincall.auth import audit

        audit.record(
            session=session,
            actor=principal.actor,
            action="queue.put",
            entity_type="queue",
            entity_id=queue_id,
            after=body.model_dump(),
        )
        return QueueRead.model_validate(q)


# ---------------------------------------------------------------- agent desktop


@router.post("/api/desk/state")
def set_my_state(
    body: StateChange, request: Request, principal: Principal = Depends(require("desk.use"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        agent = agents.get(session=session, agent_id=_my_agent(principal))
        routing.set_agent_state(
            session=session, agent=agent, state=body.state, actor=principal.actor
        )
        return {"agent_id": agent.id, "state": agent.state}


@router.get("/api/desk")
def desk_state(request: Request, principal: Principal = Depends(require("desk.use"))) -> dict:
    """The agent's state, open offers and open conversations (what the desktop shows)."""
    agent_id = _my_agent(principal)
    with unit_of_work(request) as session:
        agent = agents.get(session=session, agent_id=agent_id)
        offers = routing.open_offers(session=session, agent_id=agent_id)
        mine = session.execute(
            select(Contact)
            .where(
                Contact.agent_id == agent_id,
                Contact.status.in_([ContactStatus.ACTIVE, ContactStatus.WRAP_UP]),
            )
            .order_by(Contact.started_at)
        ).scalars()
        return {
            "agent": {"id": agent.id, "name": agent.name, "state": agent.state},
            "offers": [
                {
                    "id": o.id,
                    "contact_id": o.contact_id,
                    "queue_id": o.queue_id,
                    "expires_at": o.expires_at.isoformat(),
                }
                for o in offers
            ],
            "contacts": [
                {
                    **contacts.contact_view(c, with_utterances=False),
                    "messages": chat.history(session=session, contact_id=c.id),
                }
                for c in mine
            ],
        }


@router.post("/api/desk/offers/{offer_id}/accept")
def accept_offer(
    offer_id: str, request: Request, principal: Principal = Depends(require("desk.use"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = routing.accept(
            session=session, offer_id=offer_id, agent_id=principal.agent_id, actor=principal.actor
        )
        return contacts.contact_view(contact)


@router.post("/api/desk/offers/{offer_id}/reject", status_code=204)
def reject_offer(
    offer_id: str, request: Request, principal: Principal = Depends(require("desk.use"))
) -> None:
    with unit_of_work(request) as session:
        routing.reject(
            session=session, offer_id=offer_id, agent_id=principal.agent_id, actor=principal.actor
        )


def _own_open_contact(session: Any, principal: Principal, contact_id: str) -> Contact:
    contact = contacts.access_contact(session=session, principal=principal, contact_id=contact_id)
    if contact.agent_id != principal.agent_id:
        raise Forbidden("this conversation is another agent's")
    return contact


def live_findings(request: Request, text: str, language: str | None) -> list[dict[str, Any]]:
    check = getattr(request.app.state, "live_check", None)
    return [] if check is None else check(text=text, language=language or "en", speaker="agent")


@router.post("/api/desk/contacts/{contact_id}/check")
def check_draft(
    contact_id: str,
    body: DraftCheck,
    request: Request,
    principal: Principal = Depends(require("desk.use")),
) -> dict[str, Any]:
    """Compliance findings for a draft reply, before it is sent."""
    with unit_of_work(request) as session:
        contact = _own_open_contact(session, principal, contact_id)
        language = contact.language
    findings = live_findings(request, body.text, language)
    return {"findings": findings, "blocked": any(f["block"] for f in findings)}


@router.post("/api/desk/contacts/{contact_id}/messages", status_code=201)
def send_message(
    contact_id: str,
    body: DeskMessage,
    request: Request,
    principal: Principal = Depends(require("desk.use")),
) -> dict[str, Any]:
    """Send a reply to the customer; a prohibited promise is refused, other findings warned."""
    with unit_of_work(request) as session:
        contact = _own_open_contact(session, principal, contact_id)
        if contact.status != ContactStatus.ACTIVE:
            raise Conflict("the conversation is not active", status=contact.status)
        findings = live_findings(request, body.text, contact.language)
        if any(f["block"] for f in findings):
            raise ComplianceBlocked(
                "this reply breaks a compliance rule and was not sent", findings=findings
            )
        utt, _ = chat.post(
            session=session,
            contact_id=contact.id,
            speaker="agent",
            text=body.text,
            client_msg_id=body.client_msg_id,
        )
        return {"seq": utt.seq, "warnings": findings}


@router.post("/api/desk/contacts/{contact_id}/wrap-up")
def wrap_up(
    contact_id: str,
    body: WrapUp,
    request: Request,
    principal: Principal = Depends(require("desk.use")),
) -> dict[str, Any]:
    """Close the conversation with a wrap-up code (the customer sees it end)."""
    with unit_of_work(request) as session:
        contact = _own_open_contact(session, principal, contact_id)
        contacts.end(
            session=session,
            contact=contact,
            data=ContactEnd(disposition=body.disposition, notes=body.notes),
            actor=principal.actor,
        )
        routing.after_contact_closed(session=session, agent_id=contact.agent_id, now=utcnow())
        return contacts.contact_view(contact, with_utterances=False)


# ---------------------------------------------------------------- supervisor wall


@router.get("/api/wall")
def wall_snapshot(request: Request, principal: Principal = Depends(require("wall.view"))) -> dict:
    with unit_of_work(request) as session:
        return wall.snapshot(session=session)


@router.post("/api/wall/contacts/{contact_id}/move")
def move_contact(
    contact_id: str,
    body: MoveContact,
    request: Request,
    principal: Principal = Depends(require("wall.control")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        routing.move(
            session=session, contact=contact, queue_id=body.queue_id, actor=principal.actor
        )
        return {"contact_id": contact.id, "queue_id": contact.queue, "status": contact.status}


@router.post("/api/wall/agents/{agent_id}/state")
def force_state(
    agent_id: str,
    body: StateChange,
    request: Request,
    principal: Principal = Depends(require("wall.control")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        agent = agents.get(session=session, agent_id=agent_id)
        routing.set_agent_state(
            session=session, agent=agent, state=body.state, actor=principal.actor, forced=True
        )
        return {"agent_id": agent.id, "state": agent.state}


@router.get("/api/routing/contacts/{contact_id}/decisions")
def routing_decisions(
    contact_id: str, request: Request, principal: Principal = Depends(require("routing.read"))
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        contacts.get(session=session, contact_id=contact_id)
        return routing.decisions_for(session=session, contact_id=contact_id)


# ---------------------------------------------------------------- live pushes


def _ws_principal(ws: WebSocket) -> Principal:
    rt = ws.app.state.runtime
    header = ws.headers.get("authorization", "")
    with rt.transaction() as session:
        if header.lower().startswith("bearer "):
            return auth.resolve_token(session=session, token=header[7:].strip(), kind="api")
        token = ws.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthenticated("log in first")
        return auth.resolve_token(session=session, token=token, kind="cookie")


async def _serve_pushes(ws: WebSocket, permission: str, register: str) -> None:
    try:
        principal = await asyncio.to_thread(_ws_principal, ws)
    except NotAuthenticated:
        await ws.close(code=4401)
        return
    if not allowed(principal.role, permission) or (register == "agent" and not principal.agent_id):
        await ws.close(code=4403)
        return
    await ws.accept()
    hub: Hub = ws.app.state.hub
    conn = Connection(ws)
    conn.start()
    if register == "agent":
        hub.add(hub.agents, principal.agent_id, conn)
    else:
        hub.add(hub.walls, None, conn)
    conn.push({"type": "hello", "role": principal.role, "agent_id": principal.agent_id})
    try:
        while True:
            await ws.receive_text()  # pings; the desk acts through the HTTP API
    except WebSocketDisconnect:
        pass
    finally:
        if register == "agent":
            hub.remove(hub.agents, principal.agent_id, conn)
        else:
            hub.remove(hub.walls, None, conn)
        with contextlib.suppress(Exception):
            await conn.close()


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    await _serve_pushes(ws, "desk.use", "agent")


@router.websocket("/ws/wall")
async def wall_socket(ws: WebSocket) -> None:
    await _serve_pushes(ws, "wall.view", "wall")
