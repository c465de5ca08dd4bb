"""HTTP routes of this package, mounted by ``fincall.web.app.create_app`` through ``register``.

Member upload answers 200 with a per-row report (valid rows imported, bad rows listed by line);
with ``all_or_nothing=true`` a file with any bad row answers 422 with the same report and
imports nothing. A national DNC registry file with any bad line answers 422 listing the lines.
The campaign page has the same upload as a form; it shows the report on the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from fincall.auth.service import Principal
from fincall.core.clock import utcnow
from fincall.core.errors import DomainError, Invalid
from fincall.customers import service as customers
from fincall.outbound import attempts as attempt_service
from fincall.outbound import dnc, events, reports
from fincall.outbound import service as campaigns
from fincall.outbound.analytics import metrics_csv
from fincall.outbound.errors import MemberImportRejected
from fincall.outbound.models import Campaign, CampaignMember
from fincall.outbound.pacing_stats import pacing_figures
from fincall.outbound.rules import Purpose
from fincall.outbound.runner import runner_hook
from fincall.outbound.schemas import (
    CampaignCreate,
    CampaignUpdate,
    DncIn,
    ManualDial,
    MemberQuery,
    OutcomeIn,
)
from fincall.web.deps import require, runtime, unit_of_work
from fincall.web.errors import STATUS_BY_KIND
from fincall.web.templating import NAV, render

router = APIRouter()
NAV.append(("Outbound", "/outbound", "outbound.read"))
MAX_UPLOAD = 20 * 1024 * 1024


def _jurisdiction(request: Request) -> str:
    return runtime(request).settings.default_jurisdiction


async def _read_text(upload: UploadFile) -> tuple[str, str]:
    name = upload.filename or "upload.csv"
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise Invalid(f"{name}: larger than {MAX_UPLOAD // (1024 * 1024)} MB", file=name)
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Invalid(
            f"{name}: line {line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8",
            file=name,
            line=line,
        ) from None


def _member_view(m: CampaignMember) -> dict[str, Any]:
    return {
        "id": m.id,
        "customer_id": m.customer_id,
        "status": m.status,
        "next_at": m.next_at,
        "attempts": m.attempts,
        "last_outcome": m.last_outcome,
        "last_block": list(m.last_block or []),
        "source": m.source,
        "source_line": m.source_line,
    }


# ---------------------------------------------------------------- campaigns


@router.get("/api/outbound/campaigns")
def list_campaigns(
    request: Request,
    status: str | None = None,
    principal: Principal = Depends(require("outbound.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        return [campaigns.campaign_view(c) for c in campaigns.list_(session=session, status=status)]


@router.post("/api/outbound/campaigns", status_code=201)
def create_campaign(
    body: CampaignCreate,
    request: Request,
    principal: Principal = Depends(require("outbound.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        c = campaigns.create(
            session=session, data=body.model_dump(mode="json"), actor=principal.actor
        )
        return campaigns.campaign_view(c)


@router.get("/api/outbound/campaigns/{campaign_id}")
def get_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        return {
            **campaigns.campaign_view(c),
            "members": campaigns.member_counts(session=session, campaign_id=c.id),
            "pacing": pacing_figures(session=session, campaign=c, now=utcnow()).to_dict(),
        }


@router.patch("/api/outbound/campaigns/{campaign_id}")
def update_campaign(
    campaign_id: str,
    body: CampaignUpdate,
    request: Request,
    principal: Principal = Depends(require("outbound.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        data = body.model_dump(mode="json", exclude_unset=True)
        campaigns.update(session=session, campaign=c, data=data, actor=principal.actor)
        return campaigns.campaign_view(c)


@router.delete("/api/outbound/campaigns/{campaign_id}", status_code=204)
def delete_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.write"))
) -> Response:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        campaigns.delete(session=session, campaign=c, actor=principal.actor)
    return Response(status_code=204)


def _transition(request: Request, campaign_id: str, status: str, principal: Principal) -> dict:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        campaigns.set_status(session=session, campaign=c, status=status, actor=principal.actor)
        return campaigns.campaign_view(c)


@router.post("/api/outbound/campaigns/{campaign_id}/start")
def start_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.write"))
) -> dict[str, Any]:
    return _transition(request, campaign_id, "running", principal)


@router.post("/api/outbound/campaigns/{campaign_id}/pause")
def pause_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.write"))
) -> dict[str, Any]:
    return _transition(request, campaign_id, "paused", principal)


@router.post("/api/outbound/campaigns/{campaign_id}/finish")
def finish_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.write"))
) -> dict[str, Any]:
    return _transition(request, campaign_id, "done", principal)


# ---------------------------------------------------------------- members


@router.post("/api/outbound/campaigns/{campaign_id}/members/upload")
async def upload_members(
    campaign_id: str,
    request: Request,
    file: UploadFile = File(...),
    all_or_nothing: bool = Form(False),
    default_region: str | None = Form(None, max_length=2),
    principal: Principal = Depends(require("outbound.write")),
) -> dict[str, Any]:
    text, name = await _read_text(file)
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        result = campaigns.import_members_csv(
            session=session,
            campaign=c,
            text=text,
            filename=name,
            actor=principal.actor,
            default_region=default_region,
            all_or_nothing=all_or_nothing,
        )
        return result.to_dict()


@router.post("/api/outbound/campaigns/{campaign_id}/members/query")
def add_members_query(
    campaign_id: str,
    body: MemberQuery,
    request: Request,
    principal: Principal = Depends(require("outbound.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        added = campaigns.add_members_by_query(
            session=session,
            campaign=c,
            actor=principal.actor,
            regions=body.regions,
            segments=body.segments,
            risk_min=body.risk_min,
            risk_max=body.risk_max,
            limit=body.limit,
        )
        return {
            "added": added,
            "members": campaigns.member_counts(session=session, campaign_id=c.id),
        }


@router.get("/api/outbound/campaigns/{campaign_id}/members")
def list_members(
    campaign_id: str,
    request: Request,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(require("outbound.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        campaigns.get(session=session, campaign_id=campaign_id)
        rows = campaigns.list_members(
            session=session, campaign_id=campaign_id, limit=limit, offset=offset
        )
        return [_member_view(m) for m in rows]


# ---------------------------------------------------------------- attempts and metrics


@router.get("/api/outbound/campaigns/{campaign_id}/attempts")
def campaign_attempts(
    campaign_id: str,
    request: Request,
    state: str | None = None,
    limit: int = Query(200, ge=1, le=1000),
    principal: Principal = Depends(require("outbound.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        campaigns.get(session=session, campaign_id=campaign_id)
        rows = attempt_service.list_(
            session=session, campaign_id=campaign_id, state=state, limit=limit
        )
        return [attempt_service.attempt_view(a) for a in rows]


@router.get("/api/outbound/campaigns/{campaign_id}/metrics")
def campaign_metrics(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.read"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        return reports.metrics_view(session=session, campaign=c)


@router.get("/api/outbound/campaigns/{campaign_id}/metrics.csv")
def campaign_metrics_csv(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.read"))
) -> PlainTextResponse:
    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        body = metrics_csv(reports.metrics(session=session, campaign=c))
    return PlainTextResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{campaign_id}-metrics.csv"'},
    )


@router.post("/api/outbound/dial", status_code=201)
def manual_dial(
    body: ManualDial, request: Request, principal: Principal = Depends(require("outbound.dial"))
) -> dict[str, Any]:
    """A manual dial: the gate decides first; a blocked dial is stored with its reasons."""
    with unit_of_work(request) as session:
        customers.access_customer(
            session=session, principal=principal, customer_id=body.customer_id
        )
        campaign = None
        purpose = body.purpose
        if body.campaign_id:
            campaign = campaigns.get(session=session, campaign_id=body.campaign_id)
            if purpose is not None and purpose.value != campaign.purpose:
                raise Invalid("purpose differs from the campaign's", field="purpose")
            purpose = Purpose(campaign.purpose)
        if purpose is None:
            raise Invalid("a purpose (or a campaign) is required", field="purpose")
        attempt = attempt_service.request_dial(
            session=session,
            customer_id=body.customer_id,
            purpose=purpose,
            campaign=campaign,
            actor=principal.actor,
            agent_id=principal.agent_id,
            default_jurisdiction=_jurisdiction(request),
        )
        return attempt_service.attempt_view(attempt)


@router.post("/api/outbound/attempts/{attempt_id}/outcome")
def record_outcome(
    attempt_id: str,
    body: OutcomeIn,
    request: Request,
    principal: Principal = Depends(require("outbound.dial")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        attempt = attempt_service.get(session=session, attempt_id=attempt_id)
        customers.access_customer(
            session=session, principal=principal, customer_id=attempt.customer_id
        )
        attempt_service.apply_outcome(
            session=session,
            attempt=attempt,
            outcome=body.outcome,
            actor=principal.actor,
            callback_local=body.callback_local,
        )
        return attempt_service.attempt_view(attempt)


@router.get("/api/outbound/check/{customer_id}")
def check_customer(
    customer_id: str,
    request: Request,
    purpose: Purpose,
    at: datetime | None = None,
    principal: Principal = Depends(require("outbound.check")),
) -> dict[str, Any]:
    """Why can (or can't) this customer be called: every blocking rule and the next time."""
    if at is not None and at.tzinfo is None:
        raise Invalid("at needs a UTC offset", field="at")
    with unit_of_work(request) as session:
        customers.access_customer(session=session, principal=principal, customer_id=customer_id)
        decision = attempt_service.check(
            session=session,
            customer_id=customer_id,
            purpose=purpose,
            at=at or utcnow(),
            default_jurisdiction=_jurisdiction(request),
        )
        return {"customer_id": customer_id, **decision.to_dict()}


# ---------------------------------------------------------------- do-not-call


@router.get("/api/outbound/dnc")
def list_dnc(
    request: Request,
    customer_id: str | None = None,
    include_removed: bool = False,
    principal: Principal = Depends(require("outbound.read")),
) -> list[dict[str, Any]]:
    with unit_of_work(request) as session:
        rows = dnc.list_(session=session, customer_id=customer_id, include_removed=include_removed)
        return [dnc.dnc_view(e) for e in rows]


@router.post("/api/outbound/dnc", status_code=201)
def add_dnc(
    body: DncIn, request: Request, principal: Principal = Depends(require("dnc.write"))
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        entry = dnc.add(
            session=session,
            customer_id=body.customer_id,
            purpose=body.purpose.value,
            source="manual",
            actor=principal.actor,
            until=body.until,
            note=body.note,
        )
        return dnc.dnc_view(entry)


@router.delete("/api/outbound/dnc/{entry_id}")
def remove_dnc(
    entry_id: str,
    request: Request,
    reason: str = Query("", max_length=500),
    principal: Principal = Depends(require("dnc.write")),
) -> dict[str, Any]:
    with unit_of_work(request) as session:
        return dnc.dnc_view(
            dnc.remove(session=session, entry_id=entry_id, actor=principal.actor, reason=reason)
        )


@router.post("/api/outbound/national-dnc/import", status_code=201)
async def import_national_dnc(
    request: Request,
    file: UploadFile = File(...),
    region: str | None = Form(None, max_length=2),
    principal: Principal = Depends(require("dnc.write")),
) -> dict[str, Any]:
    text, name = await _read_text(file)
    with unit_of_work(request) as session:
        imp = dnc.import_national(
            session=session, text=text, filename=name, actor=principal.actor, region=region
        )
        return {
            "id": imp.id,
            "filename": imp.filename,
            "total_lines": imp.total_lines,
            "numbers": imp.numbers,
            "added": imp.added,
        }


# ---------------------------------------------------------------- pages


@router.get("/outbound", response_class=HTMLResponse, include_in_schema=False)
def outbound_page(
    request: Request, principal: Principal = Depends(require("outbound.read"))
) -> Response:
    with unit_of_work(request) as session:
        rows = []
        for c in campaigns.list_(session=session):
            rows.append(
                {
                    **campaigns.campaign_view(c),
                    "members": sum(
                        campaigns.member_counts(session=session, campaign_id=c.id).values()
                    ),
                    "blocks": sum(reports.block_counts(session=session, campaign_id=c.id).values()),
                }
            )
    return render(request, "outbound_list.html", principal, campaigns=rows)


def _campaign_page(
    request: Request,
    principal: Principal,
    campaign_id: str,
    *,
    upload: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    from fincall.auth.permissions import allowed

    with unit_of_work(request) as session:
        c = campaigns.get(session=session, campaign_id=campaign_id)
        data: dict[str, Any] = {
            "campaign": campaigns.campaign_view(c),
            "members": campaigns.member_counts(session=session, campaign_id=c.id),
            "metrics": reports.metrics_view(session=session, campaign=c),
            "pacing": pacing_figures(session=session, campaign=c, now=utcnow()).to_dict(),
            "recent": [
                attempt_service.attempt_view(a)
                for a in attempt_service.list_(session=session, campaign_id=c.id, limit=25)
            ],
        }
        data["names"] = customers.names_for(
            session=session, customer_ids=(a["customer_id"] for a in data["recent"])
        )
    return render(
        request,
        "outbound_campaign.html",
        principal,
        status_code=status_code,
        can_write=allowed(principal.role, "outbound.write"),
        upload=upload,
        **data,
    )


@router.get(
    "/outbound/campaigns/{campaign_id}", response_class=HTMLResponse, include_in_schema=False
)
def campaign_page(
    campaign_id: str, request: Request, principal: Principal = Depends(require("outbound.read"))
) -> Response:
    return _campaign_page(request, principal, campaign_id)


@router.post(
    "/outbound/campaigns/{campaign_id}/members/upload",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def upload_members_page(
    campaign_id: str,
    request: Request,
    file: UploadFile = File(...),
    mode: Literal["valid_rows", "all_or_nothing"] = Form("valid_rows"),
    default_region: str = Form("", max_length=2),
    principal: Principal = Depends(require("outbound.write")),
) -> Response:
    """The page form of the member upload: the same import, the report shown on the page."""
    upload: dict[str, Any] = {"file": file.filename or "upload.csv", "mode": mode}
    status = 200
    try:
        text, name = await _read_text(file)
        with unit_of_work(request) as session:
            c: Campaign = campaigns.get(session=session, campaign_id=campaign_id)
            result = campaigns.import_members_csv(
                session=session,
                campaign=c,
                text=text,
                filename=name,
                actor=principal.actor,
                default_region=default_region.strip().upper() or None,
                all_or_nothing=mode == "all_or_nothing",
            )
        upload.update(result.to_dict(), outcome="imported")
    except MemberImportRejected as exc:  # rolled back: nothing was imported
        upload.update(exc.fields.get("report") or {}, outcome="rejected", message=exc.message)
        status = 422
    except DomainError as exc:  # unreadable file (named line), or a finished campaign
        if exc.kind not in ("invalid", "conflict"):
            raise
        upload.update(outcome="refused", message=exc.message, added=0, errors=[])
        status = STATUS_BY_KIND[exc.kind]
    return _campaign_page(request, principal, campaign_id, upload=upload, status_code=status)


def register(app: FastAPI) -> None:
    """Mount the routes, subscribe the listeners, and add the campaign runner hook."""
    app.include_router(router)
    events.subscribe(app.state.runtime)
    app.state.background_hooks.append(runner_hook)
