"""Listeners: a "don't call me again" found by QA, and outbound contacts ending at wrap-up.

Each handler runs after the writer's commit, in its own small transaction, and is idempotent
(an app built twice over one runtime subscribes once per bus).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from sqlalchemy.exc import OperationalError, ProgrammingError

from fincall.auth import audit
from fincall.core.events import Event, EventBus
from fincall.outbound import attempts as attempt_service
from fincall.outbound import dnc
from fincall.outbound.models import DialAttempt
from fincall.outbound.rules import Purpose

log = logging.getLogger(__name__)
_SUBSCRIBED: weakref.WeakSet[EventBus] = weakref.WeakSet()


def _purpose_for(session: Any, payload: dict[str, Any]) -> str:
    """The purpose of the call the customer refused: the campaign's if the contact came from an
    outbound attempt, else the purpose named in the event, else marketing."""
    contact_id = payload.get("contact_id")
    if contact_id:
        from sqlalchemy import select

        found = session.execute(
            select(DialAttempt.purpose).where(DialAttempt.contact_id == contact_id).limit(1)
        ).scalar_one_or_none()
        if found:
            return str(found)
    raw = payload.get("purpose")
    if raw in {p.value for p in Purpose}:
        return str(raw)
    return Purpose.MARKETING.value


def handle_dnc_request(runtime: Any, evt: Event) -> None:
    """``qa.dnc_request`` (customer_id, contact_id, purpose): internal DNC, audited as system."""
    customer_id = evt.payload.get("customer_id")
    if not customer_id:
        return
    with runtime.transaction() as session:
        dnc.add(
            session=session,
            customer_id=str(customer_id),
            purpose=_purpose_for(session, evt.payload),
            source="qa",
            actor=audit.Actor.system(),
            contact_id=evt.payload.get("contact_id"),
            note="detected in the transcript by quality inspection "
            f"({evt.payload.get('source') or 'customer_request'})",
        )


def handle_contact_ended(runtime: Any, evt: Event) -> None:
    """``contact.ended``/``contact.abandoned``: settle the outbound attempt behind the contact."""
    contact_id = evt.payload.get("contact_id")
    if not contact_id or evt.payload.get("direction") == "inbound":
        return  # only an outbound contact has an attempt to settle
    with runtime.transaction() as session:
        attempt_service.settle_contact(session=session, contact_id=str(contact_id))


def subscribe(runtime: Any) -> None:
    """Attach the listeners to the runtime's bus (once per bus)."""
    bus: EventBus = runtime.bus
    if bus in _SUBSCRIBED:
        return
    _SUBSCRIBED.add(bus)

    def guarded(fn: Any) -> Any:
        def handler(evt: Event) -> None:
            try:
                fn(runtime, evt)
            except (OperationalError, ProgrammingError) as exc:
                log.warning("outbound listener skipped %s: %s", evt.topic, exc.orig)

        return handler

    bus.subscribe("qa.dnc_request", guarded(handle_dnc_request))
    bus.subscribe("contact.ended", guarded(handle_contact_ended))
    bus.subscribe("contact.abandoned", guarded(handle_contact_ended))
