"""Do-not-call lists: internal entries per purpose (audited) and the national registry import.

Registry import policy: all or nothing. A file with any unreadable line is rejected with every
bad line listed (RegistryImportRejected) and nothing is stored; a clean file adds its numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.clock import utcnow
from fincall.core.errors import Invalid
from fincall.customers.models import Customer
from fincall.outbound.errors import DncEntryNotFound, RegistryImportRejected
from fincall.outbound.lists import parse_national_dnc
from fincall.outbound.models import DncEntry, NationalDncImport, NationalDncNumber
from fincall.outbound.rules import Purpose


def dnc_view(e: DncEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "customer_id": e.customer_id,
        "purpose": e.purpose,
        "source": e.source,
        "since": e.since,
        "until": e.until,
        "contact_id": e.contact_id,
        "attempt_id": e.attempt_id,
        "note": e.note,
        "removed_at": e.removed_at,
    }


def active_entry(*, session: Session, customer_id: str, purpose: str) -> DncEntry | None:
    """The customer's open-ended active entry for ``purpose``, if any."""
    return (
        session.execute(
            select(DncEntry).where(
                DncEntry.customer_id == customer_id,
                DncEntry.purpose == purpose,
                DncEntry.removed_at.is_(None),
                DncEntry.until.is_(None),
            )
        )
        .scalars()
        .first()
    )


def add(
    *,
    session: Session,
    customer_id: str,
    purpose: str,
    source: str,
    actor: audit.Actor,
    at: datetime | None = None,
    until: datetime | None = None,
    contact_id: str | None = None,
    attempt_id: str | None = None,
    note: str = "",
) -> DncEntry:
    """Put the customer on the internal DNC list for ``purpose`` from ``at`` (idempotent)."""
    try:
        Purpose(purpose)
    except ValueError:
        raise Invalid("unknown purpose", field="purpose", value=purpose) from None
    if session.get(Customer, customer_id) is None:
        raise Invalid("unknown customer", field="customer_id", value=customer_id)
    if until is None:
        found = active_entry(session=session, customer_id=customer_id, purpose=purpose)
        if found is not None:
            return found
    entry = DncEntry(
        customer_id=customer_id,
        purpose=purpose,
        source=source,
        since=at or utcnow(),
        until=until,
        contact_id=contact_id,
        attempt_id=attempt_id,
        note=note,
        created_by=actor.user_id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="dnc.add",
        entity_type="customer",
        entity_id=customer_id,
        after=dnc_view(entry),
    )
    return entry


def remove(*, session: Session, entry_id: str, actor: audit.Actor, reason: str = "") -> DncEntry:
    """End an internal DNC entry (the row is kept, with who removed it and when)."""
    entry = session.get(DncEntry, entry_id)
    if entry is None or entry.removed_at is not None:
        raise DncEntryNotFound("no such active do-not-call entry", entry_id=entry_id)
    before = dnc_view(entry)
    entry.removed_at = utcnow()
    entry.removed_by = actor.user_id
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="dnc.remove",
        entity_type="customer",
        entity_id=entry.customer_id,
        before=before,
        after=dnc_view(entry),
        detail={"reason": reason},
    )
    return entry


def list_(
    *, session: Session, customer_id: str | None = None, include_removed: bool = False
) -> list[DncEntry]:
    """Internal DNC entries, newest first."""
    stmt = select(DncEntry).order_by(DncEntry.since.desc(), DncEntry.id)
    if customer_id:
        stmt = stmt.where(DncEntry.customer_id == customer_id)
    if not include_removed:
        stmt = stmt.where(DncEntry.removed_at.is_(None))
    return list(session.execute(stmt.limit(500)).scalars())


def import_national(
    *,
    session: Session,
    text: str,
    filename: str,
    actor: audit.Actor,
    region: str | None = None,
) -> NationalDncImport:
    """Import a national registry CSV; any bad line rejects the file (see the module)."""
    report = parse_national_dnc(text=text, default_region=region, source=filename)
    errors = [
        {"line": e.line, "field": e.field, "code": e.code, "message": e.message}
        for e in report.errors
    ]
    if errors:
        first = "; ".join(f"line {e['line']}: {e['message']}" for e in errors[:5])
        raise RegistryImportRejected(
            f"{filename}: {len(errors)} bad line(s), nothing imported ({first})",
            file=filename,
            errors=errors,
        )
    if not report.numbers:
        raise RegistryImportRejected(f"{filename}: no numbers found", file=filename, errors=[])
    imp = NationalDncImport(
        filename=filename,
        region=region,
        total_lines=report.total_lines,
        numbers=len(report.numbers),
        imported_by=actor.user_id,
    )
    session.add(imp)
    session.flush()
    known: set[str] = set()
    numbers = sorted(report.numbers)
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        known.update(
            session.execute(
                select(NationalDncNumber.phone).where(NationalDncNumber.phone.in_(chunk))
            ).scalars()
        )
    fresh = [n for n in numbers if n not in known]
    session.add_all(NationalDncNumber(phone=n, import_id=imp.id) for n in fresh)
    imp.added = len(fresh)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="dnc.national_import",
        entity_type="national_dnc",
        entity_id=imp.id,
        detail={"file": filename, "numbers": imp.numbers, "added": imp.added},
    )
    return imp
