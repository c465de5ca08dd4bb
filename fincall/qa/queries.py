"""QA read models: filtered findings of the latest inspections and the console summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from fincall.qa.models import QaFinding, QaInspection


def list_findings(
    *,
    session: Session,
    agent_id: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    contact_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QaFinding], int]:
    """Findings of current inspections, newest first, with the total matching count."""
    stmt = (
        select(QaFinding)
        .join(QaInspection, QaInspection.id == QaFinding.inspection_id)
        .where(QaInspection.superseded.is_(False))
    )
    if agent_id:
        stmt = stmt.where(QaFinding.agent_id == agent_id)
    if category:
        stmt = stmt.where(QaFinding.category == category)
    if severity:
        stmt = stmt.where(QaFinding.severity == severity)
    if contact_id:
        stmt = stmt.where(QaFinding.contact_id == contact_id)
    if since:
        stmt = stmt.where(QaInspection.contact_started_at >= since)
    if until:
        stmt = stmt.where(QaInspection.contact_started_at < until)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.options(contains_eager(QaFinding.inspection))
        .order_by(QaInspection.contact_started_at.desc(), QaFinding.id)
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def summary(
    *,
    session: Session,
    agent_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Counts by category, severity and agent, and the score distribution (10-point bins)."""
    conds = [QaInspection.superseded.is_(False)]
    if agent_id:
        conds.append(QaInspection.agent_id == agent_id)
    if since:
        conds.append(QaInspection.contact_started_at >= since)
    if until:
        conds.append(QaInspection.contact_started_at < until)
    scores = session.execute(select(QaInspection.score, QaInspection.passed).where(*conds)).all()
    bins = [0] * 10
    for s, _ in scores:
        bins[min(9, max(0, int(s) // 10))] += 1

    def counts(col: Any) -> dict[str, int]:
        stmt = (
            select(col, func.count())
            .select_from(QaFinding)
            .join(QaInspection, QaInspection.id == QaFinding.inspection_id)
            .where(*conds)
            .group_by(col)
        )
        return {str(k): int(n) for k, n in session.execute(stmt).all() if k is not None}

    n = len(scores)
    return {
        "inspected": n,
        "passed": sum(1 for _, p in scores if p),
        "mean_score": round(sum(s for s, _ in scores) / n, 1) if n else None,
        "by_category": counts(QaFinding.category),
        "by_severity": counts(QaFinding.severity),
        "by_agent": counts(QaFinding.agent_id),
        "score_bins": [
            {"from": i * 10, "to": i * 10 + 9 if i < 9 else 100, "contacts": c}
            for i, c in enumerate(bins)
        ],
    }
