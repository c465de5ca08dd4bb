"""Contacts: create, read within the caller's scope, add utterances, end with a disposition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, case, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, selectinload

from fincall.auth import audit
from fincall.auth.permissions import Role, allowed
from fincall.auth.service import Principal
from fincall.compliance.redaction import mask_sensitive
from fincall.contacts.errors import ContactNotFound
from fincall.contacts.lifecycle import FINAL, ContactStatus, check_transition
from fincall.contacts.models import Contact, Utterance
from fincall.contacts.schemas import ContactCreate, ContactEnd, ContactUpdate, UtteranceCreate
from fincall.core.clock import utcnow
from fincall.core.errors import Invalid
from fincall.core.events import emit


def served_customer_ids(agent_id: str | None) -> Select[tuple[str | None]]:
    """The customers an agent serves: those with a contact the agent handled."""
    return select(Contact.customer_id).where(
        Contact.agent_id == (agent_id or "-"), Contact.customer_id.is_not(None)
    )


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if allowed(principal.role, "contacts.read_all"):
        return stmt
    agent_id = principal.agent_id or "-"
    return stmt.where(
        or_(Contact.agent_id == agent_id, Contact.customer_id.in_(served_customer_ids(agent_id)))
    )


def contact_view(
    contact: Contact, *, with_utterances: bool = True, role: str | None = None
) -> dict[str, Any]:
    """The contact as ``role`` may see it: transcripts are masked for everyone but compliance."""
    data = {
        c: getattr(contact, c)
        for c in (
            "id",
            "customer_id",
            "channel",
            "direction",
            "status",
            "language",
            "queue",
            "agent_id",
            "subject",
            "started_at",
            "answered_at",
            "ended_at",
            "disposition",
            "wrap_up_notes",
        )
    }
    data["attributes"] = dict(contact.attributes or {})
    show = (lambda t: t) if role == Role.COMPLIANCE_OFFICER else mask_sensitive
    data["utterances"] = (
        [
            {
                "seq": u.seq,
                "speaker": u.speaker,
                "text": show(u.text),
                "start": u.start,
                "end": u.end,
                "sentiment_label": u.sentiment_label,
                "sentiment_score": u.sentiment_score,
                "sentiment_flag": u.sentiment_flag,
            }
            for u in contact.utterances
        ]
        if with_utterances
        else []
    )
    return data


def access_contact(*, session: Session, principal: Principal, contact_id: str) -> Contact:
    """Load a contact the caller may see; anything else is 'not found' (no existence leak)."""
    stmt = _scoped(
        select(Contact).options(selectinload(Contact.utterances)).where(Contact.id == contact_id),
        principal,
    )
    contact = session.execute(stmt).scalar_one_or_none()
    if contact is None:
        raise ContactNotFound("no such contact", contact_id=contact_id)
    return contact


def get(*, session: Session, contact_id: str) -> Contact:
    """Load a contact without scope checks (system use: workers, pipelines)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound("no such contact", contact_id=contact_id)
    return contact


def list_(
    *,
    session: Session,
    principal: Principal,
    customer_id: str | None = None,
    agent_id: str | None = None,
    channel: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Contact]:
    stmt = select(Contact).order_by(Contact.started_at.desc())
    if customer_id:
        stmt = stmt.where(Contact.customer_id == customer_id)
    if agent_id:
        stmt = stmt.where(Contact.agent_id == agent_id)
    if channel:
        stmt = stmt.where(Contact.channel == channel)
    if status:
        stmt = stmt.where(Contact.status == status)
    if since:
        stmt = stmt.where(Contact.started_at >= since)
    stmt = _scoped(stmt, principal).limit(limit).offset(offset)
    return list(session.execute(stmt).scalars())


def timeline(*, session: Session, customer_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """A customer's contacts across all channels, newest first, with a short summary each."""
    counts = (
        select(Utterance.contact_id, func.count().label("n"), func.max(Utterance.seq).label("last"))
        .group_by(Utterance.contact_id)
        .subquery()
    )
    rows = session.execute(
        select(Contact, counts.c.n, Utterance.text)
        .outerjoin(counts, counts.c.contact_id == Contact.id)
        .outerjoin(
            Utterance, (Utterance.contact_id == Contact.id) & (Utterance.seq == counts.c.last)
        )
        .where(Contact.customer_id == customer_id)
        .order_by(Contact.started_at.desc())
        .limit(limit)
    ).all()
    return [
        {
            **contact_view(c, with_utterances=False),
            "utterance_count": n or 0,
            "last_text": (text[:160] if text else None),
        }
        for c, n, text in rows
    ]


def _check_refs(session: Session, customer_id: str | None, agent_id: str | None) -> None:
    from fincall.agents.models import Agent
    from fincall.customers.models import Customer

    if customer_id and session.get(Customer, customer_id) is None:
        raise Invalid("unknown customer", field="customer_id", value=customer_id)
    if agent_id and session.get(Agent, agent_id) is None:
        raise Invalid("unknown agent", field="agent_id", value=agent_id)


def create(
    *, session: Session, data: ContactCreate, actor: audit.Actor, audit_event: bool = True
) -> Contact:
    """Create a contact (with any utterances already known) and announce it after commit."""
    _check_refs(session, data.customer_id, data.agent_id)
    contact = Contact(
        customer_id=data.customer_id,
        channel=data.channel,
        direction=data.direction,
        language=data.language,
        queue=data.queue,
        agent_id=data.agent_id,
        subject=data.subject,
        started_at=data.started_at or utcnow(),
        attributes=dict(data.attributes),
        status=ContactStatus.ACTIVE if data.agent_id else ContactStatus.NEW,
    )
    session.add(contact)
    session.flush()
    for i, u in enumerate(data.utterances):
        session.add(
            Utterance(
                contact_id=contact.id,
                seq=i,
                speaker=u.speaker,
                text=u.text,
                start=u.start,
                end=u.end,
            )
        )
    session.flush()
    if audit_event:
        audit.record(
            session=session,
            actor=actor,
            action="contact.create",
            entity_type="contact",
            entity_id=contact.id,
            after={"channel": contact.channel, "customer_id": contact.customer_id},
        )
    emit(session, "contact.created", contact_id=contact.id, channel=contact.channel)
    return contact


_contact_rows = Contact.__table__
_utterance_rows = Utterance.__table__
# the no-op UPDATE locks the contact row (PostgreSQL) or takes the write turn (SQLite), and
# returns what a writer of the conversation depends on
_TAKE = (
    sql_update(_contact_rows)
    .where(_contact_rows.c.id == bindparam("contact_id"))
    .values(status=_contact_rows.c.status)
    .returning(_contact_rows.c.status, _contact_rows.c.agent_id, _contact_rows.c.started_at)
)
# the last utterance number, and the number of a stored utterance with this client_msg_id
_LAST_AND_COPY = select(
    func.max(_utterance_rows.c.seq),
    func.max(
        case((_utterance_rows.c.client_msg_id == bindparam("client_msg_id"), _utterance_rows.c.seq))
    ),
).where(_utterance_rows.c.contact_id == bindparam("contact_id"))


def take(*, session: Session, contact_id: str) -> Row[Any] | None:
    """Take the contact's row lock until the transaction ends, reading its ``status``,
    ``agent_id`` and ``started_at`` (None when there is no such contact).

    Writers that take the contact first never work from a stale read of it. The session's
    pending changes are written before.
    """
    session.flush()
    return session.connection().execute(_TAKE, {"contact_id": contact_id}).one_or_none()


def lock(*, session: Session, contact_id: str) -> None:
    """Take the contact's row lock until the transaction ends (see ``take``)."""
    take(session=session, contact_id=contact_id)


def last_seq(
    *, session: Session, contact_id: str, client_msg_id: str | None = None
) -> tuple[int | None, int | None]:
    """The contact's last utterance number, and that of the utterance stored with
    ``client_msg_id`` (None for none); read under the lock from ``take``."""
    ids = {"contact_id": contact_id, "client_msg_id": client_msg_id}
    last, copy = session.connection().execute(_LAST_AND_COPY, ids).one()
    return last, copy


def next_seq(*, session: Session, contact_id: str) -> int:
    """The next utterance number of a contact, taken under the contact's row lock.

    The lock is taken before the maximum is read, so two writers on one conversation never
    get the same number.
    """
    lock(session=session, contact_id=contact_id)
    last, _ = last_seq(session=session, contact_id=contact_id)
    return 0 if last is None else last + 1


def add_utterance(*, session: Session, contact: Contact, data: UtteranceCreate) -> Utterance:
    """Append one utterance (message/turn) to an open contact."""
    if contact.status in FINAL:
        raise Invalid("the contact has ended; no more utterances", contact_id=contact.id)
    utt = Utterance(
        contact_id=contact.id,
        seq=next_seq(session=session, contact_id=contact.id),
        speaker=data.speaker,
        text=data.text,
        start=data.start,
        end=data.end,
    )
    session.add(utt)
    session.flush()
    emit(session, "contact.utterance", contact_id=contact.id, seq=utt.seq, speaker=utt.speaker)
    return utt


def update(
    *, session: Session, contact: Contact, data: ContactUpdate, actor: audit.Actor
) -> Contact:
    before = contact_view(contact, with_utterances=False)
    changes = data.model_dump(exclude_unset=True)
    _check_refs(session, None, changes.get("agent_id"))
    if "status" in changes and changes["status"] != contact.status:
        contact.status = check_transition(contact.status, changes.pop("status"))
        if contact.status == ContactStatus.ACTIVE and contact.answered_at is None:
            contact.answered_at = utcnow()
    changes.pop("status", None)
    for key, value in changes.items():
        setattr(contact, key, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="contact.update",
        entity_type="contact",
        entity_id=contact.id,
        before=before,
        after=contact_view(contact, with_utterances=False),
    )
    return contact


def end(*, session: Session, contact: Contact, data: ContactEnd, actor: audit.Actor) -> Contact:
    """End a contact with its wrap-up code; post-contact work (QA) starts after commit."""
    contact.status = check_transition(contact.status, ContactStatus.ENDED)
    contact.ended_at = utcnow()
    contact.disposition = data.disposition
    contact.wrap_up_notes = data.notes
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="contact.end",
        entity_type="contact",
        entity_id=contact.id,
        after={"disposition": data.disposition},
    )
    emit(session, "contact.ended", contact_id=contact.id, direction=contact.direction)
    return contact


def delete(*, session: Session, contact: Contact, actor: audit.Actor) -> None:
    audit.record(
        session=session,
        actor=actor,
        action="contact.delete",
        entity_type="contact",
        entity_id=contact.id,
        before=contact_view(contact),
    )
    session.delete(contact)
    session.flush()
