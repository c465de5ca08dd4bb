"""Identity verification that carries across channels within a validity window.

A customer verified on the phone (caller id + date of birth) stays verified when they open a
chat or send an email a few minutes later, until the window (``identity_validity_minutes``)
ends. Every check, passed or failed, is in the audit chain.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.clock import ensure_utc, utcnow
from fincall.customers.models import Customer, IdentityVerification


def current(
    *, session: Session, customer_id: str, now: datetime | None = None
) -> IdentityVerification | None:
    """The newest verification of this customer still valid at ``now``, on any channel."""
    now = now or utcnow()
    return session.execute(
        select(IdentityVerification)
        .where(
            IdentityVerification.customer_id == customer_id,
            IdentityVerification.expires_at > now,
        )
        .order_by(IdentityVerification.verified_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_verified(*, session: Session, customer_id: str, now: datetime | None = None) -> bool:
    return current(session=session, customer_id=customer_id, now=now) is not None


def record(
    *,
    session: Session,
    customer_id: str,
    channel: str,
    method: str,
    validity_minutes: int,
    contact_id: str | None = None,
    now: datetime | None = None,
) -> IdentityVerification:
    """Store a passed verification; valid on every channel for ``validity_minutes``."""
    now = now or utcnow()
    row = IdentityVerification(
        customer_id=customer_id,
        channel=channel,
        method=method,
        contact_id=contact_id,
        verified_at=now,
        expires_at=now + timedelta(minutes=validity_minutes),
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=audit.Actor.system(),
        action="identity.verified",
        entity_type="customer",
        entity_id=customer_id,
        detail={"channel": channel, "method": method, "contact_id": contact_id},
    )
    return row


def check_date_of_birth(
    *,
    session: Session,
    customer: Customer,
    answer: date,
    channel: str,
    validity_minutes: int,
    contact_id: str | None = None,
) -> bool:
    """Compare a stated date of birth (constant time); record the verification when it matches."""
    expected = customer.date_of_birth.isoformat() if customer.date_of_birth else ""
    ok = bool(expected) and hmac.compare_digest(expected, answer.isoformat())
    if ok:
        record(
            session=session,
            customer_id=customer.id,
            channel=channel,
            method="date_of_birth",
            validity_minutes=validity_minutes,
            contact_id=contact_id,
        )
    else:
        audit.record(
            session=session,
            actor=audit.Actor.system(),
            action="identity.failed",
            entity_type="customer",
            entity_id=customer.id,
            detail={"channel": channel, "method": "date_of_birth", "contact_id": contact_id},
        )
    return ok


def valid_until(row: IdentityVerification | None) -> datetime | None:
    return ensure_utc(row.expires_at) if row else None
