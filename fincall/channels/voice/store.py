"""The database side of calls: contacts from calls, queueing, verification, hang-up, transcripts.

Every function is synchronous (one unit of work each) and is run from the endpoint's event
loop through ``asyncio.to_thread``; each commits before it returns, so a contact exists even if
the process dies mid-call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.channels.voice.call import CallEvent
from fincall.channels.voice.models import VoiceCall
from fincall.channels.voice.retention import retention_until
from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import FINAL, ContactStatus
from fincall.contacts.models import Contact, Utterance
from fincall.contacts.schemas import ContactCreate, ContactEnd, UtteranceCreate
from fincall.core.clock import utcnow
from fincall.core.events import emit
from fincall.customers import identity
from fincall.customers.models import Customer
from fincall.routing import service as routing
from fincall.runtime import Runtime
from fincall.speech.asr import Recognizer
from fincall.speech.errors import SpeechFailed, SpeechUnavailable
from fincall.speech.transcribe import transcribe_recording

log = logging.getLogger(__name__)
REGION_LANGUAGE = {"CN": "zh-CN", "HK": "zh-HK"}
LANGUAGES = ("en", "zh-CN", "zh-HK")


@dataclass(frozen=True)
class CallContact:
    """What the IVR knows about the contact of a new call."""

    contact_id: str
    customer_id: str | None
    language: str
    region: str | None
    can_verify: bool  # a matched customer with a date of birth on file


def phone_candidates(caller: str) -> list[str]:
    """E.164 spellings of a caller id user part (``+85291234567``, ``85291234567``, ``00..``)."""
    raw = "".join(ch for ch in caller if ch.isdigit() or ch == "+")
    if not raw or len(raw.lstrip("+")) < 6:
        return []
    digits = raw.lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    return [f"+{digits}"]


def start_contact(
    runtime: Runtime, *, caller: str, sip_call_id: str, region_default: str | None = None
) -> CallContact:
    """Create the voice contact (customer matched by caller id) and its call row; committed."""
    with runtime.transaction() as session:
        customer = None
        for phone in phone_candidates(caller):
            customer = (
                session.execute(select(Customer).where(Customer.phone == phone)).scalars().first()
            )
            if customer is not None:
                break
        region = customer.region if customer else region_default
        language = (
            customer.language
            if customer is not None and customer.language in LANGUAGES
            else REGION_LANGUAGE.get(region or "", "en")
        )
        contact = contacts.create(
            session=session,
            data=ContactCreate(
                customer_id=customer.id if customer else None,
                channel="voice",
                direction="inbound",
                language=language,  # type: ignore[arg-type]
                subject="Phone call",
                attributes={"sip_call_id": sip_call_id[:200], "caller_matched": bool(customer)},
            ),
            actor=audit.Actor.system(),
        )
        session.add(
            VoiceCall(
                contact_id=contact.id,
                sip_call_id=sip_call_id[:200],
                caller=caller[:80],
                region=region,
                started_at=contact.started_at,
            )
        )
        return CallContact(
            contact_id=contact.id,
            customer_id=customer.id if customer else None,
            language=language,
            region=region,
            can_verify=bool(customer and customer.date_of_birth),
        )


def attach_call(runtime: Runtime, *, contact_id: str, sip_call_id: str, number: str) -> str:
    """The call row of an answered campaign call whose contact exists; returns its language."""
    with runtime.transaction() as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
        region = customer.region if customer is not None else None
        session.add(
            VoiceCall(
                contact_id=contact.id,
                sip_call_id=sip_call_id[:200],
                caller=number[:80],
                region=region,
                started_at=contact.started_at,
            )
        )
        contact.attributes = {**(contact.attributes or {}), "sip_call_id": sip_call_id[:200]}
        if contact.language in LANGUAGES:
            return str(contact.language)
        return REGION_LANGUAGE.get(region or "", "en")


def set_attributes(runtime: Runtime, *, contact_id: str, **values: Any) -> None:
    """Merge IVR results (language, intent, verified) into the contact's attributes."""
    with runtime.transaction() as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        language = values.pop("language", None)
        if language in LANGUAGES:
            contact.language = language
        contact.attributes = {**(contact.attributes or {}), **values}


def verify_date_of_birth(runtime: Runtime, *, contact_id: str, digits: str) -> bool:
    """Check DTMF ``YYYYMMDD`` against the matched customer; the result is recorded, not logged."""
    with runtime.transaction() as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
        if customer is None:
            return False
        try:
            answer = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            answer = date(1, 1, 1)  # never a customer's birthday: recorded as a failed check
        if len(digits) != 8:
            answer = date(1, 1, 1)
        ok = identity.check_date_of_birth(
            session=session,
            customer=customer,
            answer=answer,
            channel="voice",
            validity_minutes=runtime.settings.identity_validity_minutes,
            contact_id=contact_id,
        )
        contact.attributes = {**(contact.attributes or {}), "verified": bool(ok)}
        return bool(ok)


def enqueue(runtime: Runtime, *, contact_id: str, queue_id: str) -> str:
    """Queue the contact for an agent (routing offers it on the next dispatcher round)."""
    with runtime.transaction() as session:
        contact = contacts.get(session=session, contact_id=contact_id)
        routing.enqueue(session=session, contact=contact, queue_id=queue_id)
        return contact.status


def agent_sip_username(runtime: Runtime, *, agent_id: str) -> str | None:
    """The SIP username of the agent's softphone."""
    with runtime.transaction() as session:
        agent = session.get(Agent, agent_id)
        return agent.sip_username if agent else None


def call_ended(
    runtime: Runtime, *, event: CallEvent, policy: dict[str, int] | None = None
) -> str | None:
    """Store the recording and close the contact; returns its id when a transcript is due.

    A caller who left before an agent took the call abandons the contact; a connected call
    stays active until its transcript is stored (then ``finish_contact`` ends it).
    """
    with runtime.transaction() as session:
        row = session.execute(
            select(VoiceCall).where(VoiceCall.sip_call_id == event.sip_call_id[:200])
        ).scalar_one_or_none()
        if row is None or row.ended_at is not None:  # not a contact's call, or already stored
            return None
        now = event.at
        row.ended_at, row.end_reason = now, (event.end_reason or "")[:40]
        if event.recording_path:
            row.recording_path = event.recording_path
            row.recording_sha256 = event.recording_sha256
            row.duration_s = event.recording_duration_s
            row.retention_until = retention_until(now, row.region, policy)
        contact = session.get(Contact, row.contact_id)
        if contact is None:
            return None
        if contact.status in (ContactStatus.NEW, ContactStatus.QUEUED, ContactStatus.OFFERED):
            routing.abandon(session=session, contact=contact, now=now)
            row.transcript_status = "unavailable"
            row.transcript_reason = "caller left before reaching an agent"
            return None
        if not row.recording_path:
            row.transcript_status, row.transcript_reason = "unavailable", "no recording"
        # connected calls (still active, in wrap-up or already closed on the desk) get a transcript
        return contact.id


def transcribe_and_end(
    runtime: Runtime, *, contact_id: str, recognizer: Recognizer, master_key: str | bytes
) -> str:
    """Transcribe the call, store masked utterances, mark the status, end the contact (→ QA)."""
    with runtime.transaction() as session:
        row = session.execute(
            select(VoiceCall).where(VoiceCall.contact_id == contact_id)
        ).scalar_one()
        contact = contacts.get(session=session, contact_id=contact_id)
        path, language = row.recording_path, contact.language or "en"
    status, reason, utterances = "unavailable", "no recording", []
    if path:
        try:
            result = transcribe_recording(
                path, master_key=master_key, recognizer=recognizer, language=language
            )
            if result.available:
                status, reason, utterances = "available", "", result.utterances
            else:
                reason = result.reason or f"no speech model for {language}"
        except (SpeechUnavailable, SpeechFailed) as exc:
            reason = exc.message
        except Exception as exc:  # a broken recording must not leave the contact open
            log.exception("transcription failed for %s", contact_id)
            status, reason = "failed", type(exc).__name__
    with runtime.transaction() as session:
        row = session.execute(
            select(VoiceCall).where(VoiceCall.contact_id == contact_id)
        ).scalar_one()
        contact = contacts.get(session=session, contact_id=contact_id)
        last = session.execute(
            select(func.max(Utterance.seq)).where(Utterance.contact_id == contact_id)
        ).scalar_one()
        for i, u in enumerate(utterances):
            data = UtteranceCreate(
                speaker=u.speaker,  # type: ignore[arg-type]
                text=u.text[:20000],
                start=u.start_s,
                end=max(u.end_s, u.start_s),
            )
            if contact.status in FINAL:  # closed on the desk already: append the call's words
                session.add(
                    Utterance(
                        contact_id=contact_id,
                        seq=(-1 if last is None else last) + 1 + i,
                        speaker=data.speaker,
                        text=data.text,
                        start=data.start,
                        end=data.end,
                    )
                )
            else:
                contacts.add_utterance(session=session, contact=contact, data=data)
        row.transcript_status, row.transcript_reason = status, reason[:300]
        contact.attributes = {**(contact.attributes or {}), "transcript_status": status}
        if utterances:
            emit(session, "contact.transcribed", contact_id=contact_id, status=status)
        if contact.status in (ContactStatus.ACTIVE, ContactStatus.WRAP_UP):
            contacts.end(
                session=session,
                contact=contact,
                data=ContactEnd(disposition="call-completed"),
                actor=audit.Actor.system(),
            )
            routing.after_contact_closed(session=session, agent_id=contact.agent_id, now=utcnow())
    return status


def accept_offer_by_phone(runtime: Runtime, *, agent_id: str, contact_id: str) -> bool:
    """The agent answered the softphone: accept their open offer of this contact."""
    from fincall.auth.models import User
    from fincall.routing.models import Offer

    with runtime.transaction() as session:
        offer = (
            session.execute(
                select(Offer).where(
                    Offer.contact_id == contact_id,
                    Offer.agent_id == agent_id,
                    Offer.state == "offered",
                )
            )
            .scalars()
            .first()
        )
        if offer is None:
            return False
        user = session.execute(select(User).where(User.agent_id == agent_id)).scalars().first()
        actor = audit.Actor(user_id=user.id, role=user.role) if user else audit.Actor.system()
        routing.accept(session=session, offer_id=offer.id, agent_id=agent_id, actor=actor)
        return True


def queue_position(runtime: Runtime, *, contact_id: str) -> int | None:
    """The caller's place in its queue (1 = next), among contacts still waiting there."""
    from fincall.routing.models import QueueWait

    with runtime.transaction() as session:
        me = session.get(QueueWait, contact_id)
        if me is None or me.outcome is not None:
            return None
        ahead = session.execute(
            select(func.count())
            .select_from(QueueWait)
            .where(
                QueueWait.queue_id == me.queue_id,
                QueueWait.outcome.is_(None),
                QueueWait.queue_entered_at < me.queue_entered_at,
            )
        ).scalar_one()
        return int(ahead) + 1
