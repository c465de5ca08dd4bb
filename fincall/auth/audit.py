"""The audit chain: every write by a person appends one event.

Each event carries the hash of the previous one, and its own hash is an HMAC
(keyed by the installation secret) over the previous hash and the event's
canonical content. Editing, deleting or inserting a row breaks the chain at
that row, and a forger without the secret cannot recompute it. Appends lock the
single ``audit_head`` row first, so concurrent writers queue instead of forking
the chain; the event is written in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from fincall.auth.models import AuditEvent, AuditHead
from fincall.core.clock import ensure_utc, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it: a person (user id + role) or the system (``None``)."""

    user_id: str | None
    role: str | None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, role="system")


def digest(value: Any) -> str | None:
    """SHA-256 of a value's canonical JSON (``None`` stays ``None``)."""
    if value is None:
        return None
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def _event_hash(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    message = (prev_hash + "|" + _canonical(fields)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _fields(evt: AuditEvent) -> dict[str, Any]:
    return {
        "seq": evt.seq,
        "at": ensure_utc(evt.at).isoformat(),
        "actor_id": evt.actor_id,
        "actor_role": evt.actor_role,
        "action": evt.action,
        "entity_type": evt.entity_type,
        "entity_id": evt.entity_id,
        "before_digest": evt.before_digest,
        "after_digest": evt.after_digest,
        "detail": evt.detail or {},
    }


def chain_key(secret: str) -> bytes:
    return hashlib.sha256(b"fincall-audit-chain|" + secret.encode()).digest()


AUDIT_KEY = "fincall_audit_key"


def bind_key(session: Session, key: bytes) -> None:
    """Attach the chain key to a session (done by the session factory of the runtime)."""
    session.info[AUDIT_KEY] = key


_head = AuditHead.__table__
_ADVANCE_HEAD = (
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=_head.c.seq + 1)
    .returning(_head.c.seq, _head.c.hash)
)
_SET_TIP = update(_head).where(_head.c.id == 1).values(hash=bindparam("tip"))


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | None,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    key: bytes = session.info[AUDIT_KEY]
    conn = session.connection()
    # Advancing the head row first takes its lock (row lock on PostgreSQL, the write turn on
    # SQLite), so the tip it returns is the true one until this transaction ends.
    tip = conn.execute(_ADVANCE_HEAD).one_or_none()
    if tip is None:
        conn.execute(insert(_head).values(id=1, seq=1, hash=GENESIS))
        seq, prev_hash = 1, GENESIS
    else:
        seq, prev_hash = tip[0], tip[1] or GENESIS
    evt = AuditEvent(
        seq=seq,
        at=at or utcnow(),
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before_digest=digest(before),
        after_digest=digest(after),
        detail=detail or {},
        prev_hash=prev_hash,
        hash="",
    )
    evt.hash = _event_hash(key, prev_hash, _fields(evt))
    conn.execute(_SET_TIP, {"tip": evt.hash})
    session.add(evt)
    session.flush()
    return evt


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify_events(
    events: Iterable[AuditEvent], *, key: bytes, head: AuditHead | None
) -> VerifyResult:
    """Recompute the chain over events in ``seq`` order; report the first broken entry."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for evt in events:
        if evt.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if evt.prev_hash != prev_hash:
            return VerifyResult(
                False, checked, evt.seq, "previous-hash link broken (an entry was removed/altered)"
            )
        if _event_hash(key, prev_hash, _fields(evt)) != evt.hash:
            return VerifyResult(False, checked, evt.seq, "content does not match its hash (edited)")
        prev_hash = evt.hash
        expected_seq += 1
        checked += 1
    if head is not None and head.seq != checked:
        return VerifyResult(
            False, checked, checked + 1, f"chain head says {head.seq} entries, found {checked}"
        )
    if head is not None and checked and head.hash != prev_hash:
        return VerifyResult(
            False, checked, checked, "chain head hash does not match the last entry"
        )
    return VerifyResult(True, checked)


def verify(*, session: Session, key: bytes) -> VerifyResult:
    events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    return verify_events(events, key=key, head=head)
