"""Campaign use cases: create, update, start/pause, and fill the list (CSV upload or a query).

Member CSV policy: by default the valid rows are imported and the report lists every rejected
row by line (``all_or_nothing=False``); with ``all_or_nothing=True`` any bad row rejects the
whole file (MemberImportRejected, nothing imported). A file that cannot be read at all (no
header, no id column) is always rejected whole. Services never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.core.clock import utcnow
from fincall.customers.models import Customer
from fincall.outbound.errors import (
    CampaignInvalid,
    CampaignNotFound,
    IllegalCampaignTransition,
    MemberImportRejected,
)
from fincall.outbound.lists import RowError, validate_contact_list
from fincall.outbound.models import Campaign, CampaignMember, DialAttempt
from fincall.outbound.pacing import DialMode
from fincall.outbound.rules import Purpose

CAMPAIGN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    "draft": frozenset({"running", "done"}),
    "running": frozenset({"paused", "done"}),
    "paused": frozenset({"running", "done"}),
    "done": frozenset(),
}
DUE_STATUSES = ("pending", "retry", "callback")
EDITABLE = ("name", "queue_id", "skills", "dial_mode", "abandon_cap", "schedule", "script_text")


def campaign_view(c: Campaign) -> dict[str, Any]:
    """The campaign as the API shows it."""
    return {
        "id": c.id,
        "name": c.name,
        "purpose": c.purpose,
        "channel": c.channel,
        "queue_id": c.queue_id,
        "skills": dict(c.skills or {}),
        "dial_mode": c.dial_mode,
        "abandon_cap": c.abandon_cap,
        "schedule": dict(c.schedule or {}),
        "status": c.status,
        "script_text": c.script_text,
        "script_version": c.script_version,
        "script_history": list(c.script_history or []),
        "simulated": c.simulated,
        "created_at": c.created_at,
        "started_at": c.started_at,
    }


def _check_fields(data: Mapping[str, Any]) -> None:
    if "purpose" in data:
        try:
            Purpose(str(data["purpose"]))
        except ValueError:
            raise CampaignInvalid("unknown purpose", field="purpose") from None
    if "dial_mode" in data:
        try:
            DialMode(str(data["dial_mode"]))
        except ValueError:
            raise CampaignInvalid("unknown dial mode", field="dial_mode") from None
    cap = data.get("abandon_cap")
    if cap is not None and not 0 <= float(cap) <= 0.2:
        raise CampaignInvalid("abandon cap must be between 0 and 0.2", field="abandon_cap")
    if data.get("channel", "voice") != "voice":
        raise CampaignInvalid("only the voice channel dials campaigns for now", field="channel")


def _check_queue(session: Session, queue_id: str) -> None:
    from fincall.routing.models import Queue

    if session.get(Queue, queue_id) is None:
        raise CampaignInvalid("unknown queue", field="queue_id", value=queue_id)


def get(*, session: Session, campaign_id: str) -> Campaign:
    """Load a campaign or raise CampaignNotFound."""
    c = session.get(Campaign, campaign_id)
    if c is None:
        raise CampaignNotFound("no such campaign", campaign_id=campaign_id)
    return c


def list_(*, session: Session, status: str | None = None) -> list[Campaign]:
    """Campaigns, newest first."""
    stmt = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id)
    if status:
        stmt = stmt.where(Campaign.status == status)
    return list(session.execute(stmt).scalars())


def create(
    *, session: Session, data: Mapping[str, Any], actor: audit.Actor, at: datetime | None = None
) -> Campaign:
    """Create a draft campaign (script version 1), audited."""
    _check_fields(data)
    _check_queue(session, str(data["queue_id"]))
    now = at or utcnow()
    c = Campaign(
        name=str(data["name"]),
        purpose=str(data["purpose"]),
        channel=str(data.get("channel", "voice")),
        queue_id=str(data["queue_id"]),
        skills=dict(data.get("skills") or {}),
        dial_mode=str(data.get("dial_mode", DialMode.PROGRESSIVE)),
        abandon_cap=float(data.get("abandon_cap", 0.03)),
        schedule=dict(data.get("schedule") or {}),
        status="draft",
        script_text=str(data.get("script_text", "")),
        script_version=1,
        script_history=[{"version": 1, "text": str(data.get("script_text", "")), "at": str(now)}],
        simulated=True,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(c)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="campaign.create",
        entity_type="campaign",
        entity_id=c.id,
        after=campaign_view(c),
    )
    return c


def update(
    *, session: Session, campaign: Campaign, data: Mapping[str, Any], actor: audit.Actor
) -> Campaign:
    """Change editable fields; a new script text becomes the next script version."""
    if campaign.status == "done":
        raise IllegalCampaignTransition("a finished campaign cannot be changed")
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise CampaignInvalid(f"cannot change {sorted(unknown)}", fields=sorted(unknown))
    _check_fields(data)
    if "queue_id" in data:
        _check_queue(session, str(data["queue_id"]))
    before = campaign_view(campaign)
    for key, value in data.items():
        if key == "script_text":
            if value != campaign.script_text:
                campaign.script_version += 1
                campaign.script_text = str(value)
                campaign.script_history = [
                    *(campaign.script_history or []),
                    {"version": campaign.script_version, "text": str(value), "at": str(utcnow())},
                ]
        else:
            setattr(campaign, key, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="campaign.update",
        entity_type="campaign",
        entity_id=campaign.id,
        before=before,
        after=campaign_view(campaign),
    )
    return campaign


def set_status(
    *, session: Session, campaign: Campaign, status: str, actor: audit.Actor
) -> Campaign:
    """Move the campaign along draft → running ⇄ paused → done (anything else is refused)."""
    if status not in CAMPAIGN_TRANSITIONS.get(campaign.status, frozenset()):
        raise IllegalCampaignTransition(
            f"campaign {campaign.id} cannot go from {campaign.status} to {status}",
            campaign_id=campaign.id,
            from_status=campaign.status,
            to_status=status,
        )
    before = campaign.status
    campaign.status = status
    if status == "running" and campaign.started_at is None:
        campaign.started_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"campaign.{status}",
        entity_type="campaign",
        entity_id=campaign.id,
        detail={"from": before, "to": status},
    )
    return campaign


def delete(*, session: Session, campaign: Campaign, actor: audit.Actor) -> None:
    """Delete a draft campaign that never dialed; others are finished, not deleted."""
    dialed = session.execute(
        select(func.count()).select_from(DialAttempt).where(DialAttempt.campaign_id == campaign.id)
    ).scalar_one()
    if campaign.status != "draft" or dialed:
        raise IllegalCampaignTransition("only a draft campaign without attempts can be deleted")
    audit.record(
        session=session,
        actor=actor,
        action="campaign.delete",
        entity_type="campaign",
        entity_id=campaign.id,
        before=campaign_view(campaign),
    )
    session.delete(campaign)
    session.flush()


# ---------------------------------------------------------------- members


@dataclass(frozen=True)
class MemberImport:
    """What an upload did: rows read, members added, and every rejected row by line."""

    total_rows: int
    added: int
    errors: tuple[RowError, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.total_rows,
            "added": self.added,
            "rejected_rows": len({e.line for e in self.errors}),
            "errors": [
                {"line": e.line, "field": e.field, "code": e.code, "message": e.message}
                for e in self.errors
            ],
        }


def _existing_members(session: Session, campaign_id: str) -> set[str]:
    return set(
        session.execute(
            select(CampaignMember.customer_id).where(CampaignMember.campaign_id == campaign_id)
        ).scalars()
    )


def import_members_csv(
    *,
    session: Session,
    campaign: Campaign,
    text: str,
    filename: str,
    actor: audit.Actor,
    default_region: str | None = None,
    all_or_nothing: bool = False,
) -> MemberImport:
    """Add members from a CSV (customer_id or phone per row); see the module for the policy."""
    if campaign.status == "done":
        raise IllegalCampaignTransition("a finished campaign takes no new members")
    report = validate_contact_list(text=text, default_region=default_region, source=filename)
    errors = list(report.errors)
    ids = {r.customer_id for r in report.rows if r.customer_id}
    phones = {r.phone for r in report.rows if r.phone and not r.customer_id}
    by_id = {
        c.id: c for c in session.execute(select(Customer).where(Customer.id.in_(ids))).scalars()
    }
    by_phone: dict[str, Customer] = {}
    if phones:
        for c in session.execute(select(Customer).where(Customer.phone.in_(phones))).scalars():
            by_phone.setdefault(c.phone or "", c)
    existing = _existing_members(session, campaign.id)
    accepted: list[tuple[int, str]] = []
    for row in report.rows:
        customer = by_id.get(row.customer_id) if row.customer_id else by_phone.get(row.phone or "")
        if customer is None:
            what = row.customer_id or row.phone
            errors.append(RowError(row.line, "customer_id", "unknown_customer", f"{what} unknown"))
        elif row.purpose is not None and row.purpose.value != campaign.purpose:
            errors.append(
                RowError(
                    row.line,
                    "purpose",
                    "purpose_mismatch",
                    f"row is for {row.purpose.value}, campaign is {campaign.purpose}",
                )
            )
        elif customer.id in existing:
            errors.append(
                RowError(row.line, "customer_id", "already_member", f"{customer.id} already listed")
            )
        else:
            existing.add(customer.id)
            accepted.append((row.line, customer.id))
    errors.sort(key=lambda e: e.line)
    if all_or_nothing and errors:
        result = MemberImport(report.total_rows, 0, tuple(errors))
        raise MemberImportRejected(
            f"{filename}: {len({e.line for e in errors})} bad row(s); nothing imported",
            report=result.to_dict(),
        )
    for line, cid in accepted:
        session.add(
            CampaignMember(campaign_id=campaign.id, customer_id=cid, source="csv", source_line=line)
        )
    session.flush()
    result = MemberImport(report.total_rows, len(accepted), tuple(errors))
    audit.record(
        session=session,
        actor=actor,
        action="campaign.members.upload",
        entity_type="campaign",
        entity_id=campaign.id,
        detail={"file": filename, "added": len(accepted), "rejected": len(errors)},
    )
    return result


def add_members_by_query(
    *,
    session: Session,
    campaign: Campaign,
    actor: audit.Actor,
    regions: Sequence[str] = (),
    segments: Sequence[str] = (),
    risk_min: int | None = None,
    risk_max: int | None = None,
    limit: int = 1000,
) -> int:
    """Add every customer matching region/segment/risk filters who is not yet a member."""
    if campaign.status == "done":
        raise IllegalCampaignTransition("a finished campaign takes no new members")
    stmt = select(Customer.id).order_by(Customer.id)
    if regions:
        stmt = stmt.where(Customer.region.in_([r.upper() for r in regions]))
    if segments:
        stmt = stmt.where(Customer.segment.in_(list(segments)))
    if risk_min is not None:
        stmt = stmt.where(Customer.risk_rating >= risk_min)
    if risk_max is not None:
        stmt = stmt.where(Customer.risk_rating <= risk_max)
    existing = _existing_members(session, campaign.id)
    added = 0
    for cid in session.execute(stmt).scalars():
        if added >= limit:
            break
        if cid in existing:
            continue
        session.add(CampaignMember(campaign_id=campaign.id, customer_id=cid, source="query"))
        added += 1
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="campaign.members.query",
        entity_type="campaign",
        entity_id=campaign.id,
        detail={
            "regions": list(regions),
            "segments": list(segments),
            "risk_min": risk_min,
            "risk_max": risk_max,
            "added": added,
        },
    )
    return added


def member_counts(*, session: Session, campaign_id: str) -> dict[str, int]:
    """Members by status."""
    rows = session.execute(
        select(CampaignMember.status, func.count())
        .where(CampaignMember.campaign_id == campaign_id)
        .group_by(CampaignMember.status)
    ).all()
    return dict(sorted((s, n) for s, n in rows))


def list_members(
    *, session: Session, campaign_id: str, limit: int = 200, offset: int = 0
) -> list[CampaignMember]:
    """Members of a campaign in the order they were added."""
    return list(
        session.execute(
            select(CampaignMember)
            .where(CampaignMember.campaign_id == campaign_id)
            .order_by(CampaignMember.added_at, CampaignMember.id)
            .limit(limit)
            .offset(offset)
        ).scalars()
    )
