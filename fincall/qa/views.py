"""HTTP routes of QA: findings, inspections, summary and coaching tasks (pages in ``pages.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from fincall.auth.service import Principal
from fincall.compliance.redaction import mask_sensitive
from fincall.compliance.types import CATEGORIES, SEVERITIES
from fincall.contacts import service as contacts
from fincall.qa import queries, service
from fincall.qa.errors import BadFilter
from fincall.qa.highlight import Span, segments
from fincall.web.deps import require, runtime, unit_of_work
from fincall.web.templating import NAV

router = APIRouter(tags=["qa"])
NAV.append(("QA", "/qa", "qa.read"))

UNMASKED_ROLES = frozenset({"compliance_officer"})


def parse_day(value: str | None, *, name: str, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD date (or ISO datetime) as an aware UTC bound; ``end`` makes a date
    inclusive (the next midnight)."""
    if not value:
        return None
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            at = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return at + timedelta(days=1) if end else at
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadFilter(
            f"{name}: expected a date like 2026-11-01, got {value!r}", field=name
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def check_choice(value: str | None, *, name: str, choices: tuple[str, ...]) -> str | None:
    """An empty filter is no filter; anything else must be one of ``choices``."""
    if not value:
        return None
    if value not in choices:
        raise BadFilter(f"{name}: unknown value {value!r}", field=name, allowed=list(choices))
    return value


def masked(text: str, principal: Principal) -> str:
    """The text as this viewer may see it (only compliance officers see it unmasked)."""
    return text if principal.role in UNMASKED_ROLES else mask_sensitive(text)


def contact_detail(session: Any, principal: Principal, contact_id: str) -> dict[str, Any]:
    """Contact, its latest inspection, findings, history and the highlighted transcript."""
    contact = contacts.access_contact(session=session, principal=principal, contact_id=contact_id)
    insp = service.get_current(session=session, contact_id=contact_id)
    findings = [service.finding_view(f) for f in insp.findings]
    for f in findings:
        f["evidence"]["text"] = masked(f["evidence"]["text"] or "", principal)
    transcript = []
    for idx, u in enumerate(contact.utterances):
        text = masked(u.text, principal)
        mine = [f for f in findings if f["utterance_index"] == idx]
        spans = [
            Span(f["id"], ev["char_start"], ev["char_end"], ev["text"])
            for f in mine
            for ev in (f["evidence"],)
        ]
        transcript.append(
            {
                "index": idx,
                "seq": u.seq,
                "speaker": u.speaker,
                "start": u.start,
                "text": text,
                "finding_ids": [f["id"] for f in mine],
                "segments": [
                    {"text": s.text, "finding_ids": list(s.finding_ids)}
                    for s in segments(text, spans)
                ],
            }
        )
    return {
        "contact": {
            "id": contact.id,
            "customer_id": contact.customer_id,
            "agent_id": contact.agent_id,
            "channel": contact.channel,
            "direction": contact.direction,
            "language": contact.language,
            "status": contact.status,
            "started_at": contact.started_at,
            "ended_at": contact.ended_at,
        },
        "inspection": service.inspection_view(insp),
        "findings": findings,
        "contact_findings": [f for f in findings if f["utterance_index"] is None],
        "history": [
            service.inspection_view(h)
            for h in service.history(session=session, contact_id=contact_id)
        ],
        "transcript": transcript,
    }


@router.get("/api/qa/findings")
def list_findings(
    request: Request,
    agent_id: str | None = Query(default=None, max_length=40),
    category: str | None = Query(default=None, max_length=40),
    severity: str | None = Query(default=None, max_length=16),
    since: str | None = Query(default=None, max_length=40),
    until: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    principal: Principal = Depends(require("qa.read")),
) -> dict[str, Any]:
    """Findings of the latest inspections, filtered; ``until`` dates are inclusive."""
    with unit_of_work(request) as session:
        rows, total = queries.list_findings(
            session=session,
            agent_id=agent_id or None,
            category=check_choice(category, name="category", choices=CATEGORIES),
            severity=check_choice(severity, name="severity", choices=SEVERITIES),
            since=parse_day(since, name="since"),
            until=parse_day(until, name="until", end=True),
            limit=limit,
            offset=offset,
        )
        items = [service.finding_view(f) for f in rows]
    for f in items:
        f["evidence"]["text"] = masked(f["evidence"]["text"] or "", principal)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/api/qa/contacts/{contact_id}")
def get_contact(
    contact_id: str, request: Request, principal: Principal = Depends(require("qa.read"))
) -> dict[str, Any]:
    """The latest inspection of a contact with findings and the highlighted transcript."""
    with unit_of_work(request) as session:
        return contact_detail(session, principal, contact_id)


def reinspect(request: Request, principal: Principal, contact_id: str) -> dict[str, Any]:
    """Re-inspect a contact now (audited)."""
    from fincall.auth import audit

    with unit_of_work(request) as session:
        contacts.access_contact(session=session, principal=principal, contact_id=contact_id)
        out = service.inspect_contact(
            session=session,
            contact_id=contact_id,
            data_dir=runtime(request).settings.data_dir,
            trigger="manual",
        )
        audit.record(
            session=session,
            actor=principal.actor,
            action="qa.inspect",
            entity_type="contact",
            entity_id=contact_id,
            before=service.inspection_view(out.previous) if out.previous else None,
            after=service.inspection_view(out.inspection),
        )
        return {
            "inspection": service.inspection_view(out.inspection),
            "findings": [service.finding_view(f) for f in out.findings],
            "previous_score": out.previous.score if out.previous else None,
        }


@router.post("/api/qa/contacts/{contact_id}/inspect")
def inspect_now(
    contact_id: str, request: Request, principal: Principal = Depends(require("qa.write"))
) -> dict[str, Any]:
    """Re-inspect a contact now with the current rule packs."""
    result = reinspect(request, principal, contact_id)
    for f in result["findings"]:
        f["evidence"]["text"] = masked(f["evidence"]["text"] or "", principal)
    return result


@router.get("/api/qa/summary")
def get_summary(
    request: Request,
    agent_id: str | None = Query(default=None, max_length=40),
    since: str | None = Query(default=None, max_length=40),
    until: str | None = Query(default=None, max_length=40),
    principal: Principal = Depends(require("qa.read")),
) -> dict[str, Any]:
    """Counts by category, severity and agent, and the score distribution."""
    with unit_of_work(request) as session:
        return queries.summary(
            session=session,
            agent_id=agent_id or None,
            since=parse_day(since, name="since"),
            until=parse_day(until, name="until", end=True),
        )


@router.get("/api/coaching/tasks")
def list_tasks(
    request: Request,
    status: str | None = Query(default=None, pattern=r"^(open|done)$"),
    agent_id: str | None = Query(default=None, max_length=40),
    principal: Principal = Depends(require("coaching.read")),
) -> list[dict[str, Any]]:
    """Coaching tasks (mandatory retraining), open first."""
    with unit_of_work(request) as session:
        rows = service.list_tasks(session=session, status=status, agent_id=agent_id)
        return [service.task_view(t) for t in rows]


class TaskClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notes: str = Field(default="", max_length=2000)


@router.post("/api/coaching/tasks/{task_id}/close")
def close_task(
    task_id: str,
    request: Request,
    body: TaskClose | None = None,
    principal: Principal = Depends(require("coaching.write")),
) -> dict[str, Any]:
    """Mark a coaching task done."""
    with unit_of_work(request) as session:
        task = service.close_task(
            session=session,
            task_id=task_id,
            actor=principal.actor,
            notes=body.notes if body else "",
        )
        return service.task_view(task)


def register(app: FastAPI) -> None:
    """Mount the API and pages, the live check for the desk, and the post-contact worker."""
    from fincall.qa import pages, pipeline

    app.include_router(router)
    app.include_router(pages.router)
    app.state.live_check = pipeline.make_live_check(app.state.runtime.settings.data_dir)
    app.state.background_hooks.append(pipeline.background_hook)
