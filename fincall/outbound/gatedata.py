"""Gate inputs read from the database: customers, attempts across all campaigns, DNC lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from fincall.core.errors import NotFound
from fincall.customers.models import Customer
from fincall.outbound.errors import JurisdictionNotFound
from fincall.outbound.gate import AttemptRecord, DncState, GateCustomer
from fincall.outbound.gate import DncEntry as GateDncEntry
from fincall.outbound.gate_types import GateInput
from fincall.outbound.models import DialAttempt, DncEntry, NationalDncNumber
from fincall.outbound.rules import GateRules, Purpose, RuleBook, load_rulebook

# The gate's caps look back 7 days; one more day covers the customer's local day.
HISTORY_WINDOW = timedelta(days=8)
DEFAULT_JURISDICTION = "cn-mainland"


@lru_cache(maxsize=1)
def rulebook() -> RuleBook:
    """The shipped jurisdiction rules (loaded once per process)."""
    return load_rulebook()


def rules_for(book: RuleBook, region: str | None, default: str = DEFAULT_JURISDICTION) -> GateRules:
    """Rules covering the customer's region, else the default jurisdiction."""
    try:
        return book.for_region(region or "")
    except JurisdictionNotFound:
        return book.get(default)


def gate_customer(customer: Customer) -> GateCustomer:
    """The gate's view of a customer record."""
    return GateCustomer(
        id=customer.id,
        phone=customer.phone,
        region=customer.region,
        timezone=customer.timezone,
        consent_marketing=bool(customer.consent_marketing),
        do_not_call=bool(customer.do_not_call),
    )


def _purpose(value: str | None) -> Purpose | None:
    try:
        return Purpose(value) if value else None
    except ValueError:
        return None


def load_inputs(
    *,
    session: Session,
    customers: Iterable[Customer],
    at: datetime | None = None,
    book: RuleBook | None = None,
    default_jurisdiction: str = DEFAULT_JURISDICTION,
) -> dict[str, GateInput]:
    """Gate inputs for many customers in three queries (history around ``at``, or all of it)."""
    book = book or rulebook()
    rows = {c.id: c for c in customers}
    if not rows:
        return {}
    ids = list(rows)
    stmt = select(DialAttempt).where(
        DialAttempt.customer_id.in_(ids), DialAttempt.dialed_at.is_not(None)
    )
    if at is not None:
        stmt = stmt.where(DialAttempt.dialed_at > at - HISTORY_WINDOW)
    history: dict[str, list[AttemptRecord]] = defaultdict(list)
    for a in session.execute(stmt).scalars():
        history[a.customer_id].append(
            AttemptRecord(
                at=a.dialed_at,  # type: ignore[arg-type]
                connected=a.connected,
                purpose=_purpose(a.purpose),
                campaign_id=a.campaign_id,
            )
        )
    dnc: dict[str, list[GateDncEntry]] = defaultdict(list)
    for e in session.execute(
        select(DncEntry).where(DncEntry.customer_id.in_(ids), DncEntry.removed_at.is_(None))
    ).scalars():
        purpose = _purpose(e.purpose)
        if purpose is not None:
            dnc[e.customer_id].append(GateDncEntry(purpose, e.since, e.until, e.source))
    phones = [c.phone for c in rows.values() if c.phone]
    national = frozenset(
        session.execute(
            select(NationalDncNumber.phone).where(NationalDncNumber.phone.in_(phones))
        ).scalars()
        if phones
        else ()
    )
    out: dict[str, GateInput] = {}
    for cid, c in rows.items():
        out[cid] = GateInput(
            gate_customer(c),
            tuple(sorted(history.get(cid, ()), key=lambda r: r.at)),
            DncState(tuple(dnc.get(cid, ())), national),
            rules_for(book, c.region, default_jurisdiction),
        )
    return out


def load_input(
    *,
    session: Session,
    customer_id: str,
    at: datetime | None = None,
    book: RuleBook | None = None,
    default_jurisdiction: str = DEFAULT_JURISDICTION,
) -> GateInput:
    """Gate input for one customer; an unknown id raises NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found", customer_id=customer_id)
    return load_inputs(
        session=session,
        customers=[customer],
        at=at,
        book=book,
        default_jurisdiction=default_jurisdiction,
    )[customer_id]


def customers_by_id(*, session: Session, ids: Iterable[str]) -> dict[str, Customer]:
    """Customer rows by id."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {
        c.id: c for c in session.execute(select(Customer).where(Customer.id.in_(wanted))).scalars()
    }
