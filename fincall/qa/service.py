"""QA use cases: inspect stored contacts, keep the history, open coaching tasks, re-inspect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fincall.auth import audit
from fincall.compliance.engine import dnc_requests
from fincall.compliance.rulepack import get_pack
from fincall.compliance.textnorm import normalize
from fincall.compliance.types import ContactInput, Finding, ProductInfo
from fincall.contacts.lifecycle import FINAL
from fincall.contacts.models import Contact, Utterance
from fincall.core.clock import ensure_utc, utcnow
from fincall.core.events import emit
from fincall.qa.coaching import FindingEvent, RetrainingPolicy, retraining_due
from fincall.qa.errors import CoachingTaskNotFound, InspectionNotFound, TaskAlreadyClosed
from fincall.qa.inspection import contact_input_from_records, inspect_and_score
from fincall.qa.models import CoachingTask, QaFinding, QaInspection

RETRAINING = "mandatory_retraining"
_INVESTMENT_LINKED = ("investment-linked", "investment linked", "投资相连", "投資相連", "投连")


# --------------------------------------------------------------------------- engine input


def _product_infos(session: Session, texts: list[str], zh: bool) -> list[ProductInfo]:
    """The catalogue's products named in the transcript (by name, Chinese name or code)."""
    from fincall.products import service as products

    joined = normalize("\n".join(texts))
    out = []
    for p in products.list_(session=session):
        names = [p.name_zh, p.name] if zh else [p.name, p.name_zh]
        hit = next((n for n in names if n and normalize(n).strip() in joined), None)
        if hit is None and p.code and p.code.lower() in joined:
            hit = names[0] or p.name
        if hit is None:
            continue
        linked = p.type == "insurance" and any(
            k in f"{p.name} {p.name_zh}".lower() for k in _INVESTMENT_LINKED
        )
        out.append(
            ProductInfo(
                code=p.code,
                name=hit,
                type=p.type,
                risk_level=p.risk_level,
                investment_linked=linked,
            )
        )
    return out


def _identity_verified(session: Session, contact: Contact) -> bool:
    from fincall.customers.models import IdentityVerification as IdV

    conds = [IdV.contact_id == contact.id]
    if contact.customer_id:
        started = ensure_utc(contact.started_at)
        conds.append(
            (IdV.customer_id == contact.customer_id)
            & (IdV.verified_at <= started)
            & (IdV.expires_at > started)
        )
    return session.execute(select(IdV.id).where(or_(*conds)).limit(1)).first() is not None


def contact_input(*, session: Session, contact: Contact) -> ContactInput:
    """Build the engine's input for a stored contact (customer, named products, identity)."""
    from fincall.customers.models import Customer

    customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
    utts = list(
        session.execute(
            select(Utterance).where(Utterance.contact_id == contact.id).order_by(Utterance.seq)
        ).scalars()
    )
    language = contact.language or (customer.language if customer else None) or "en"
    products = _product_infos(session, [u.text for u in utts], language.startswith("zh"))
    return contact_input_from_records(
        contact={
            "id": contact.id,
            "language": language,
            "started_at": contact.started_at,
            "channel": contact.channel,
            "direction": contact.direction,
            "agent_id": contact.agent_id,
        },
        utterances=utts,
        customer=customer,
        products=products,
        identity_verified=_identity_verified(session, contact),
    )


# --------------------------------------------------------------------------- reads


def current(*, session: Session, contact_id: str) -> QaInspection | None:
    """The contact's latest (not superseded) inspection, if any."""
    return session.execute(
        select(QaInspection).where(
            QaInspection.contact_id == contact_id, QaInspection.superseded.is_(False)
        )
    ).scalar_one_or_none()


def get_current(*, session: Session, contact_id: str) -> QaInspection:
    """The latest inspection of a contact; NotFound when it was never inspected."""
    row = current(session=session, contact_id=contact_id)
    if row is None:
        raise InspectionNotFound("this contact has not been inspected yet", contact_id=contact_id)
    return row


def history(*, session: Session, contact_id: str) -> list[QaInspection]:
    """All inspections of a contact, newest first."""
    return list(
        session.execute(
            select(QaInspection)
            .where(QaInspection.contact_id == contact_id)
            .order_by(QaInspection.version.desc())
        ).scalars()
    )


def finding_view(f: QaFinding) -> dict[str, Any]:
    """JSON-ready view of a stored finding."""
    return {
        "id": f.id,
        "inspection_id": f.inspection_id,
        "contact_id": f.contact_id,
        "agent_id": f.agent_id,
        "category": f.category,
        "severity": f.severity,
        "rule_id": f.rule_id,
        "pack_id": f.pack_id,
        "pack_version": f.pack_version,
        "utterance_index": f.utterance_index,
        "start": f.start,
        "evidence": {"text": f.evidence, "char_start": f.char_start, "char_end": f.char_end},
        "detail": f.detail,
        "layer": f.layer,
        "created_at": f.created_at,
        "contact_started_at": f.inspection.contact_started_at if f.inspection else None,
    }


def inspection_view(i: QaInspection) -> dict[str, Any]:
    """JSON-ready view of an inspection (without findings)."""
    return {
        c: getattr(i, c)
        for c in (
            "id",
            "contact_id",
            "version",
            "superseded",
            "agent_id",
            "customer_id",
            "pack_id",
            "pack_version",
            "score",
            "passed",
            "auto_fail",
            "critical",
            "major",
            "minor",
            "trigger",
            "inspected_at",
        )
    }


# --------------------------------------------------------------------------- inspect


@dataclass
class Outcome:
    """What one inspection stored and decided."""

    inspection: QaInspection
    findings: list[QaFinding]
    previous: QaInspection | None
    task: CoachingTask | None = None
    dnc_utterances: list[int] = field(default_factory=list)
    stored: bool = True


def _store(
    session: Session,
    contact: Contact,
    data: ContactInput,
    findings: tuple[Finding, ...],
    score: Any,
    pack_id: str,
    pack_version: str,
    trigger: str,
    now: datetime,
) -> tuple[QaInspection, list[QaFinding], QaInspection | None]:
    previous = current(session=session, contact_id=contact.id)
    last_version = session.execute(
        select(func.max(QaInspection.version)).where(QaInspection.contact_id == contact.id)
    ).scalar_one()
    if previous is not None:
        previous.superseded = True
        session.flush()
    row = QaInspection(
        contact_id=contact.id,
        version=(last_version or 0) + 1,
        superseded=False,
        agent_id=contact.agent_id,
        customer_id=contact.customer_id,
        language=data.language,
        pack_id=pack_id,
        pack_version=pack_version,
        score=score.score,
        passed=score.passed,
        auto_fail=score.auto_fail,
        critical=score.critical,
        major=score.major,
        minor=score.minor,
        trigger=trigger,
        contact_started_at=contact.started_at,
        inspected_at=now,
    )
    session.add(row)
    session.flush()
    rows = []
    for f in findings:
        ev = f.evidence
        rows.append(
            QaFinding(
                inspection_id=row.id,
                contact_id=contact.id,
                agent_id=contact.agent_id,
                category=f.category,
                severity=f.severity,
                rule_id=f.rule_id,
                pack_id=f.pack_id,
                pack_version=f.pack_version,
                utterance_index=f.utterance_index,
                start=f.start,
                evidence=ev.text if ev else "",
                char_start=ev.char_start if ev else None,
                char_end=ev.char_end if ev else None,
                detail=f.detail[:300],
                layer=f.layer,
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    return row, rows, previous


def _maybe_retraining(
    session: Session, agent_id: str, now: datetime, policy: RetrainingPolicy
) -> CoachingTask | None:
    last_task_at = session.execute(
        select(func.max(CoachingTask.created_at)).where(
            CoachingTask.agent_id == agent_id, CoachingTask.kind == RETRAINING
        )
    ).scalar_one()
    since = now - policy.window
    rows = session.execute(
        select(QaFinding.id, QaFinding.category, QaFinding.rule_id, QaFinding.contact_id)
        .add_columns(QaInspection.contact_started_at, QaInspection.inspected_at)
        .join(QaInspection, QaInspection.id == QaFinding.inspection_id)
        .where(
            QaFinding.agent_id == agent_id,
            QaFinding.severity == policy.severity,
            QaInspection.superseded.is_(False),
            or_(QaInspection.contact_started_at > since, QaInspection.contact_started_at.is_(None)),
        )
    ).all()
    by_event: dict[int, int] = {}
    events = []
    for fid, cat, rule_id, contact_id, started, inspected in rows:
        at = ensure_utc(started or inspected)
        ev = FindingEvent(
            agent_id=agent_id,
            at=at,
            severity=policy.severity,
            category=cat,
            rule_id=rule_id,
            contact_id=contact_id,
        )
        events.append(ev)
        by_event[id(ev)] = fid
    decision = retraining_due(
        agent_id=agent_id,
        history=events,
        now=now,
        policy=policy,
        last_task_at=ensure_utc(last_task_at) if last_task_at else None,
    )
    if not decision.due:
        return None
    task = CoachingTask(
        agent_id=agent_id,
        kind=RETRAINING,
        reason=decision.reason,
        finding_ids=sorted(by_event[id(e)] for e in decision.triggering),
        status="open",
        created_at=now,
    )
    session.add(task)
    session.flush()
    emit(session, "qa.coaching_task", task_id=task.id, agent_id=agent_id, kind=RETRAINING)
    return task


def inspect_contact(
    *,
    session: Session,
    contact_id: str,
    pack: str | None = None,
    data_dir: Path | None = None,
    trigger: str = "post_contact",
    policy: RetrainingPolicy | None = None,
    now: datetime | None = None,
    only_if_changed: bool = False,
) -> Outcome:
    """Inspect one stored contact, store the inspection and findings (superseding the previous
    inspection), open a retraining task when due, and announce it after commit.

    ``only_if_changed`` (re-runs) keeps the previous inspection, storing and announcing
    nothing, when the pack version, the findings and the score are all the same.

    Emits ``qa.inspected`` and, when the customer asked not to be called or the agent kept
    pitching after a refusal, ``qa.dnc_request`` (customer_id, contact_id, purpose).
    """
    from fincall.contacts import service as contacts

    now = now or utcnow()
    contact = contacts.get(session=session, contact_id=contact_id)
    data = contact_input(session=session, contact=contact)
    result, score = inspect_and_score(data, pack=pack, data_dir=data_dir)
    if only_if_changed:
        before = current(session=session, contact_id=contact.id)
        if (
            before is not None
            and before.pack_version == result.pack_version
            and before.score == score.score
            and sorted(_key(f.category, f.rule_id, f.utterance_index) for f in before.findings)
            == sorted(_key(f.category, f.rule_id, f.utterance_index) for f in result.findings)
        ):
            return Outcome(
                inspection=before, findings=list(before.findings), previous=before, stored=False
            )
    row, rows, previous = _store(
        session,
        contact,
        data,
        result.findings,
        score,
        result.pack_id,
        result.pack_version,
        trigger,
        now,
    )
    task = None
    if contact.agent_id and score.critical:
        task = _maybe_retraining(session, contact.agent_id, now, policy or RetrainingPolicy())
    categories = sorted({f.category for f in rows})
    emit(
        session,
        "qa.inspected",
        contact_id=contact.id,
        inspection_id=row.id,
        agent_id=contact.agent_id,
        score=row.score,
        passed=row.passed,
        categories=categories,
    )
    dnc = dnc_requests(data, pack=get_pack(result.pack_id, data_dir=data_dir))
    refused = "continued_after_refusal" in categories
    if (dnc or refused) and contact.customer_id:
        emit(
            session,
            "qa.dnc_request",
            customer_id=contact.customer_id,
            contact_id=contact.id,
            purpose="marketing",
            utterance_index=dnc[0] if dnc else None,
            source="continued_after_refusal" if refused and not dnc else "customer_request",
        )
    return Outcome(inspection=row, findings=rows, previous=previous, task=task, dnc_utterances=dnc)


def uninspected(*, session: Session, limit: int = 500) -> list[str]:
    """Ids of contacts that ended (or were abandoned) and have no inspection yet, oldest first."""
    has = select(QaInspection.id).where(QaInspection.contact_id == Contact.id).exists()
    stmt = (
        select(Contact.id)
        .where(Contact.status.in_([str(s) for s in FINAL]), ~has)
        .order_by(Contact.ended_at, Contact.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


# --------------------------------------------------------------------------- rerun


def _key(category: str, rule_id: str, utterance_index: int | None) -> tuple[str, str, int]:
    return (category, rule_id, -1 if utterance_index is None else utterance_index)


@dataclass
class RerunChange:
    """How one contact's inspection changed under the current packs."""

    contact_id: str
    old_score: int | None
    new_score: int
    old_pack_version: str | None
    new_pack_version: str
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]

    @property
    def score_delta(self) -> int:
        """New minus old score (0 for a first inspection)."""
        return 0 if self.old_score is None else self.new_score - self.old_score

    @property
    def changed(self) -> bool:
        """Findings or score differ (or the contact had never been inspected)."""
        return bool(self.added or self.removed or self.score_delta or self.old_score is None)


def rerun_candidates(*, session: Session, since: datetime) -> list[str]:
    """Contacts that ended at or after ``since`` (stored ones, any inspection state)."""
    stmt = (
        select(Contact.id)
        .where(
            Contact.status.in_([str(s) for s in FINAL]),
            or_(Contact.ended_at >= since, Contact.started_at >= since),
        )
        .order_by(Contact.started_at, Contact.id)
    )
    return list(session.execute(stmt).scalars())


def rerun_one(*, session: Session, contact_id: str, data_dir: Path | None = None) -> RerunChange:
    """Re-inspect one contact with the current pack versions and compare with the last result."""
    before = current(session=session, contact_id=contact_id)
    old_rows = before.findings if before else []
    old = {_key(f.category, f.rule_id, f.utterance_index): f for f in old_rows}
    out = inspect_contact(
        session=session,
        contact_id=contact_id,
        data_dir=data_dir,
        trigger="rerun",
        only_if_changed=True,
    )
    new = {_key(f.category, f.rule_id, f.utterance_index): f for f in out.findings}

    def brief(f: QaFinding) -> dict[str, Any]:
        return {
            "category": f.category,
            "rule_id": f.rule_id,
            "severity": f.severity,
            "utterance_index": f.utterance_index,
            "evidence": f.evidence,
        }

    return RerunChange(
        contact_id=contact_id,
        old_score=before.score if before else None,
        new_score=out.inspection.score,
        old_pack_version=before.pack_version if before else None,
        new_pack_version=out.inspection.pack_version,
        added=[brief(new[k]) for k in sorted(new.keys() - old.keys())],
        removed=[brief(old[k]) for k in sorted(old.keys() - new.keys())],
    )


def rerun(*, session: Session, since: datetime, data_dir: Path | None = None) -> list[RerunChange]:
    """Re-inspect every stored contact since ``since`` and return what changed per contact."""
    since = ensure_utc(since)
    return [
        rerun_one(session=session, contact_id=cid, data_dir=data_dir)
        for cid in rerun_candidates(session=session, since=since)
    ]


# --------------------------------------------------------------------------- coaching


def task_view(t: CoachingTask) -> dict[str, Any]:
    """JSON-ready view of a coaching task."""
    return {
        c: getattr(t, c)
        for c in (
            "id",
            "agent_id",
            "kind",
            "reason",
            "finding_ids",
            "status",
            "created_at",
            "closed_at",
            "closed_by",
            "notes",
        )
    }


def list_tasks(
    *, session: Session, status: str | None = None, agent_id: str | None = None, limit: int = 100
) -> list[CoachingTask]:
    """Coaching tasks, open first then newest."""
    stmt = select(CoachingTask)
    if status:
        stmt = stmt.where(CoachingTask.status == status)
    if agent_id:
        stmt = stmt.where(CoachingTask.agent_id == agent_id)
    stmt = stmt.order_by(CoachingTask.status.desc(), CoachingTask.created_at.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def close_task(
    *, session: Session, task_id: str, actor: audit.Actor, notes: str = ""
) -> CoachingTask:
    """Mark a coaching task done (audited); closing twice is a conflict."""
    task = session.get(CoachingTask, task_id)
    if task is None:
        raise CoachingTaskNotFound("no such coaching task", task_id=task_id)
    if task.status == "done":
        raise TaskAlreadyClosed("the task is already closed", task_id=task_id)
    before = task_view(task)
    task.status = "done"
    task.closed_at = utcnow()
    task.closed_by = actor.user_id
    task.notes = notes
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="coaching.close",
        entity_type="coaching_task",
        entity_id=task.id,
        before=before,
        after=task_view(task),
    )
    emit(session, "qa.coaching_task_closed", task_id=task.id, agent_id=task.agent_id)
    return task


def window_start(days: int) -> datetime:
    """Now minus ``days`` (for page defaults)."""
    return utcnow() - timedelta(days=days)
