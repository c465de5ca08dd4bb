"""Measured pacing inputs: a campaign's answer rate and handle time over its recent attempts.

Each figure is measured over the campaign's own attempts of the last 30 days; with fewer than
``MIN_SAMPLES`` of them, over every attempt with the campaign's purpose; with fewer still, the
configured default is used. ``PacingFigures`` records which was used and how many attempts
it rests on, for the runner and for the campaign page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincall.outbound.dialer import TrunkResult
from fincall.outbound.models import Campaign, DialAttempt
from fincall.outbound.pacing import (
    DEFAULT_ANSWER_RATE,
    DEFAULT_HANDLE_SECONDS,
    DEFAULT_RING_SECONDS,
    MIN_SAMPLES,
    FigureSource,
    Measured,
    PacingFigure,
    PacingFigures,
    choose_figure,
)

WINDOW_DAYS = 30
MAX_HANDLE_SAMPLES = 5_000  # the most recent connected calls averaged for the handle time


def _answer_rate(session: Session, scope: Any, since: datetime) -> Measured | None:
    rows = session.execute(
        select(DialAttempt.trunk_result, func.count())
        .where(
            scope,
            DialAttempt.dialed_at > since,
            DialAttempt.trunk_result.is_not(None),
            DialAttempt.state != "dialing",
        )
        .group_by(DialAttempt.trunk_result)
    ).all()
    total = sum(n for _, n in rows)
    answered = sum(n for result, n in rows if result == TrunkResult.ANSWERED)
    return Measured(answered / total, total) if total else None


def _handle_seconds(session: Session, scope: Any, since: datetime) -> Measured | None:
    rows = session.execute(
        select(DialAttempt.answered_at, DialAttempt.ended_at)
        .where(
            scope,
            DialAttempt.dialed_at > since,
            DialAttempt.connected.is_(True),
            DialAttempt.abandoned.is_(False),
            DialAttempt.answered_at.is_not(None),
            DialAttempt.ended_at.is_not(None),
        )
        .order_by(DialAttempt.dialed_at.desc())
        .limit(MAX_HANDLE_SAMPLES)
    ).all()
    spans = [
        (ended - answered).total_seconds()
        for answered, ended in rows
        if answered is not None and ended is not None and ended >= answered
    ]
    return Measured(sum(spans) / len(spans), len(spans)) if spans else None


def pacing_figures(
    *,
    session: Session,
    campaign: Campaign,
    now: datetime,
    default_answer_rate: float = DEFAULT_ANSWER_RATE,
    default_handle_seconds: float = DEFAULT_HANDLE_SECONDS,
    min_samples: int = MIN_SAMPLES,
) -> PacingFigures:
    """Answer rate and handle time for pacing ``campaign`` at ``now``, with their sources."""
    since = now - timedelta(days=WINDOW_DAYS)
    mine = DialAttempt.campaign_id == campaign.id
    same_purpose = DialAttempt.purpose == campaign.purpose
    figures: list[PacingFigure] = []
    for measure, default in (
        (_answer_rate, default_answer_rate),
        (_handle_seconds, default_handle_seconds),
    ):
        own = measure(session, mine, since)
        wider = None
        if own is None or own.samples < min_samples:
            wider = measure(session, same_purpose, since)
        figures.append(
            choose_figure(campaign=own, purpose=wider, default=default, min_samples=min_samples)
        )
    return PacingFigures(
        answer_rate=figures[0],
        avg_handle_seconds=figures[1],
        avg_ring_seconds=PacingFigure(DEFAULT_RING_SECONDS, FigureSource.DEFAULT, 0),
        window_days=WINDOW_DAYS,
        min_samples=min_samples,
    )
