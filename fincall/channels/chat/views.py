"""The customer side of web chat: one WebSocket per browser tab, resumable.

Protocol (JSON frames). The browser sends ``hello`` first:
``{"type": "hello", "language": "en", "resume": <token or null>, "last_seq": -1,
"portal_token": <optional>}`` and gets ``welcome`` (with a new ``session`` token when it started
a conversation) followed by every message after ``last_seq``. Then:
``{"type": "message", "client_msg_id": "...", "text": "..."}`` → ``{"type": "ack",
"client_msg_id", "seq"}`` once stored; ``identify`` / ``verify`` for identity; ``close``.
The server pushes ``message`` (any speaker, with ``seq``), ``status`` and ``error`` frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from fincall.channels.chat import service as chat
from fincall.channels.chat.bot import ChatBot
from fincall.contacts.lifecycle import ContactStatus
from fincall.core.clock import utcnow
from fincall.core.errors import DomainError
from fincall.core.events import emit
from fincall.customers.models import Customer
from fincall.runtime import Runtime
from fincall.web.hub import Connection, Hub

log = logging.getLogger(__name__)
router = APIRouter()


def _open(rt: Runtime, hello: dict[str, Any]) -> dict[str, Any]:
    language = str(hello.get("language") or "en")
    with rt.transaction() as session:
        token = hello.get("resume")
        chat_row = None
        if isinstance(token, str) and token:
            try:
                chat_row = chat.resume(session=session, token=token)
            except chat.ChatNotFound:
                chat_row = None
        new_token = None
        if chat_row is None:
            new_token, chat_row = chat.start(session=session, language=language)
            portal = hello.get("portal_token")
            if isinstance(portal, str):
                cid = chat.check_portal_token(rt.settings.secret, portal)
                customer = session.get(Customer, cid) if cid else None
                if customer is not None:
                    chat.link_customer(session=session, chat=chat_row, customer=customer)
        contact = chat.contact_of(session, chat_row)
        ident = chat.identity_state(session=session, chat=chat_row)
        return {
            "token": new_token,
            "chat_id": chat_row.id,
            "contact_id": contact.id,
            "status": contact.status,
            "language": chat_row.language,
            "identity": ident.__dict__,
        }


def _history(rt: Runtime, contact_id: str, after: int) -> list[dict[str, Any]]:
    with rt.transaction() as session:
        return chat.history(session=session, contact_id=contact_id, after_seq=after)


def _status(rt: Runtime, contact_id: str) -> str:
    with rt.transaction() as session:
        from fincall.contacts.models import Contact

        c = session.get(Contact, contact_id)
        return c.status if c else "ended"


def _post_customer(
    rt: Runtime, contact_id: str, client_msg_id: str | None, text: str
) -> chat.StoredMessage:
    """Store the customer's message (the ack follows once it is committed)."""
    with rt.transaction() as session:
        stored, _new = chat.post(
            session=session,
            contact_id=contact_id,
            speaker="customer",
            text=text,
            client_msg_id=client_msg_id,
        )
        return stored


def _bot_turn(rt: Runtime, bot: ChatBot, chat_id: str, contact_id: str, text: str | None) -> None:
    """One bot turn in one transaction: replies stored, flow state kept, hand-off queued."""
    from fincall.channels.chat.models import ChatSession
    from fincall.contacts import service as contacts
    from fincall.contacts.models import Contact
    from fincall.routing import service as routing

    with rt.transaction() as session:
        # locked for the whole turn: the sentiment worker's write to the attributes waits
        contacts.lock(session=session, contact_id=contact_id)
        contact = session.get(Contact, contact_id)
        row = session.get(ChatSession, chat_id)
        if contact is None or row is None or contact.status != ContactStatus.NEW:
            return
        attributes = dict(contact.attributes or {})
        if text is None:
            turn = bot.greet(
                session=session,
                contact_id=contact_id,
                language=row.language,
                attributes=attributes,
            )
        else:
            ident = chat.identity_state(session=session, chat=row)
            turn = bot.on_message(
                session=session,
                contact_id=contact_id,
                attributes=attributes,
                language=row.language,
                text=text,
                customer_id=row.customer_id,
                verified=ident.verified,
            )
        for reply in turn.replies:
            chat.post(session=session, contact_id=contact_id, speaker="bot", text=reply)
        if turn.handoff is not None:
            attributes["handoff"] = turn.handoff.summary
        contact.attributes = attributes
        if turn.handoff is not None:
            routing.enqueue(
                session=session,
                contact=contact,
                queue_id=turn.handoff.queue_id,
                skills=turn.handoff.skills,
                priority_boost=turn.handoff.priority_boost,
            )
        elif turn.ended:
            contact.status = ContactStatus.ENDED
            contact.ended_at = utcnow()
            emit(session, "contact.ended", contact_id=contact.id, direction=contact.direction)


def _identify(rt: Runtime, chat_id: str, reference: str) -> None:
    with rt.transaction() as session:
        from fincall.channels.chat.models import ChatSession

        row = session.get(ChatSession, chat_id)
        assert row is not None
        chat.identify(session=session, chat=row, reference=reference)


def _verify(rt: Runtime, chat_id: str, dob: str) -> dict[str, Any]:
    with rt.transaction() as session:
        from fincall.channels.chat.models import ChatSession

        row = session.get(ChatSession, chat_id)
        assert row is not None
        ok = chat.verify(
            session=session,
            chat=row,
            date_of_birth=dob,
            validity_minutes=rt.settings.identity_validity_minutes,
        )
        return {"ok": ok, "identity": chat.identity_state(session=session, chat=row).__dict__}


def _close(rt: Runtime, chat_id: str) -> None:
    with rt.transaction() as session:
        from fincall.channels.chat.models import ChatSession

        row = session.get(ChatSession, chat_id)
        if row is not None:
            chat.close_by_customer(session=session, chat=row)


@router.websocket("/ws/chat")
async def chat_socket(ws: WebSocket) -> None:
    await ws.accept()
    rt: Runtime = ws.app.state.runtime
    hub: Hub = ws.app.state.hub
    bot: ChatBot = ws.app.state.chat_bot
    try:
        hello = json.loads(await asyncio.wait_for(ws.receive_text(), timeout=30))
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise ValueError("the first frame must be hello")
        last_seq = int(hello.get("last_seq", -1))
        opened = await run_in_threadpool(_open, rt, hello)
    except (TimeoutError, ValueError, TypeError, DomainError) as exc:
        await ws.send_json({"type": "error", "code": "bad-hello", "message": str(exc)})
        await ws.close(code=1008)
        return
    except WebSocketDisconnect:
        return
    contact_id, chat_id = opened["contact_id"], opened["chat_id"]
    conn = Connection(ws)
    conn.start()
    hub.add(hub.customers, contact_id, conn)
    try:
        conn.push(
            {
                "type": "welcome",
                "session": opened["token"],
                "contact_id": contact_id,
                "status": opened["status"],
                "identity": opened["identity"],
            }
        )
        for item in await run_in_threadpool(_history, rt, contact_id, last_seq):
            conn.push(item)
        if opened["token"] is not None:
            await run_in_threadpool(_bot_turn, rt, bot, chat_id, contact_id, None)
        while True:
            raw = await ws.receive_text()
            try:
                frame = json.loads(raw)
                if not isinstance(frame, dict):
                    raise ValueError("a frame is a JSON object")
                await _handle(rt, bot, conn, chat_id, contact_id, frame)
            except (ValueError, TypeError, KeyError) as exc:
                conn.push({"type": "error", "code": "bad-frame", "message": str(exc)})
            except DomainError as exc:
                conn.push({"type": "error", "code": exc.code, "message": exc.message})
            except SQLAlchemyError:
                log.exception("chat frame failed")
                conn.push({"type": "error", "code": "retry", "message": "not stored; send again"})
    except WebSocketDisconnect:
        pass
    finally:
        hub.remove(hub.customers, contact_id, conn)
        await conn.close()


async def _handle(
    rt: Runtime,
    bot: ChatBot,
    conn: Connection,
    chat_id: str,
    contact_id: str,
    frame: dict[str, Any],
) -> None:
    kind = frame.get("type")
    if kind == "message":
        text = str(frame["text"])
        cmid = frame.get("client_msg_id")
        stored = await run_in_threadpool(
            _post_customer, rt, contact_id, str(cmid) if cmid else None, text
        )
        conn.push({"type": "ack", "client_msg_id": cmid, "seq": stored.seq})
        if stored.status == ContactStatus.NEW:
            await run_in_threadpool(_bot_turn, rt, bot, chat_id, contact_id, text)
    elif kind == "identify":
        await run_in_threadpool(_identify, rt, chat_id, str(frame["reference"])[:64])
        conn.push({"type": "verify_challenge", "method": "date_of_birth"})
    elif kind == "verify":
        result = await run_in_threadpool(_verify, rt, chat_id, str(frame["date_of_birth"])[:10])
        conn.push(
            {
                "type": "verified" if result["ok"] else "verify_failed",
                "identity": result["identity"],
            }
        )
    elif kind == "close":
        await run_in_threadpool(_close, rt, chat_id)
        conn.push({"type": "status", "status": "ended"})
    elif kind == "ping":
        conn.push({"type": "pong", "status": await run_in_threadpool(_status, rt, contact_id)})
    else:
        raise ValueError(f"unknown frame type {kind!r}")
