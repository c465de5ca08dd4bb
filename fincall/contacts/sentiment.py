"""Sentiment of what customers say: each customer utterance scored once it is stored, and the
contact's trajectory (recent scores and the current flag) kept in
``contact.attributes["sentiment"]`` for routing, the desk and the wall.

Scoring happens after the transaction that stored the utterance commits (see
``sentiment_worker``); this module is the unit of work the worker runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.contacts import service as contacts
from fincall.contacts.lifecycle import FINAL
from fincall.contacts.models import Contact, Utterance
from fincall.core.events import emit
from fincall.nlu.sentiment import SentimentScore, trajectory

Scorer = Callable[[str], SentimentScore]
ATTRIBUTE = "sentiment"
TRAJECTORY_LENGTH = 20  # scores kept in the contact's attributes
FLAGS = ("angry", "distressed")


def flag_of(score: SentimentScore) -> str | None:
    """The utterance's flag: anger wins over distress."""
    if score.angry:
        return "angry"
    if score.distressed:
        return "distressed"
    return None


def _stored(u: Utterance) -> SentimentScore:
    return SentimentScore(
        label=u.sentiment_label,  # type: ignore[arg-type]
        score=float(u.sentiment_score or 0.0),
        confidence=1.0,
        angry=u.sentiment_flag == "angry",
        distressed=u.sentiment_flag == "distressed",
    )


def current_flag(contact: Contact) -> str | None:
    """The contact's sentiment flag (angry, distressed, persistently-negative) or None."""
    data = (contact.attributes or {}).get(ATTRIBUTE)
    if not isinstance(data, dict):
        return None
    flag = data.get("flag")
    return str(flag) if flag else None


def unscored_contact_ids(*, session: Session, limit: int = 200) -> list[str]:
    """Open contacts with customer utterances not scored yet (for catching up)."""
    rows = session.execute(
        select(Utterance.contact_id)
        .join(Contact, Contact.id == Utterance.contact_id)
        .where(
            Utterance.speaker == "customer",
            Utterance.sentiment_label.is_(None),
            Contact.status.not_in([str(s) for s in FINAL]),
        )
        .distinct()
        .limit(limit)
    ).scalars()
    return list(rows)


def score_contact(*, session: Session, contact_id: str, scorer: Scorer) -> dict[str, Any] | None:
    """Score the contact's unscored customer utterances and refresh its trajectory.

    Returns the trajectory stored, or None when there was nothing new to score. The texts are
    scored before the contact row is locked (no writer waits for the model); the row is locked
    before the attributes are read, so they are never written from a stale copy.
    """
    pending = session.execute(
        select(Utterance.id, Utterance.text).where(
            Utterance.contact_id == contact_id,
            Utterance.speaker == "customer",
            Utterance.sentiment_label.is_(None),
        )
    ).all()
    if not pending:
        return None
    results = {uid: scorer(text) for uid, text in pending}
    contacts.lock(session=session, contact_id=contact_id)
    contact = contacts.get(session=session, contact_id=contact_id)
    session.refresh(contact, ["attributes", "agent_id", "status"])
    said = list(
        session.execute(
            select(Utterance)
            .where(Utterance.contact_id == contact_id, Utterance.speaker == "customer")
            .order_by(Utterance.seq)
        ).scalars()
    )
    for u in said:
        s = results.get(u.id)
        if u.sentiment_label is None and s is not None:
            u.sentiment_label, u.sentiment_score, u.sentiment_flag = s.label, s.score, flag_of(s)
    said = [u for u in said if u.sentiment_label is not None]
    latest = said[-1]
    traj = trajectory([_stored(u) for u in said])
    before = current_flag(contact)
    data: dict[str, Any] = {
        "scores": list(traj.scores[-TRAJECTORY_LENGTH:]),
        "smoothed": traj.smoothed,
        "trend": traj.trend,
        "flag": traj.reason,
        "label": latest.sentiment_label,
        "last_seq": latest.seq,
    }
    contact.attributes = {**(contact.attributes or {}), ATTRIBUTE: data}
    session.flush()
    emit(
        session,
        "contact.sentiment",
        contact_id=contact.id,
        agent_id=contact.agent_id,
        status=contact.status,
        flag=traj.reason,
        previous_flag=before,
        label=latest.sentiment_label,
        score=latest.sentiment_score,
    )
    return data
