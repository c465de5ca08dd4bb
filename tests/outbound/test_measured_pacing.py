"""Pacing uses the answer rate and handle time measured over recent attempts when there are
enough of them: the campaign's own, else its purpose's, else the configured defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fincall.auth import audit
from fincall.customers.models import Customer
from fincall.outbound import service as campaigns
from fincall.outbound.dialer import TrunkResult
from fincall.outbound.models import DialAttempt
from fincall.outbound.pacing import (
    DEFAULT_ANSWER_RATE,
    DEFAULT_HANDLE_SECONDS,
    FigureSource,
    Measured,
    PacingFigure,
    choose_figure,
)
from fincall.outbound.pacing_stats import pacing_figures

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SYSTEM = audit.Actor.system()


def test_choose_figure_needs_enough_samples_in_a_scope() -> None:
    enough, short = Measured(0.4, 30), Measured(0.9, 29)
    assert choose_figure(campaign=enough, purpose=short, default=0.3) == PacingFigure(
        0.4, FigureSource.CAMPAIGN, 30
    )
    assert choose_figure(campaign=short, purpose=Measured(0.2, 500), default=0.3) == (
        PacingFigure(0.2, FigureSource.PURPOSE, 500)
    )
    assert choose_figure(campaign=short, purpose=short, default=0.3) == PacingFigure(
        0.3, FigureSource.DEFAULT, 0
    )
    assert choose_figure(campaign=None, purpose=None, default=240.0).source is FigureSource.DEFAULT


def _campaign(session, purpose: str):
    return campaigns.create(
        session=session,
        data={"name": f"{purpose} pacing", "purpose": purpose, "queue_id": "cards"},
        actor=SYSTEM,
    )


def _attempt(
    session,
    campaign,
    customer_id: str,
    *,
    ago: timedelta,
    answered: bool,
    handle_s: int | None = None,
    state: str = "completed",
) -> None:
    dialed = NOW - ago
    connected = handle_s is not None
    session.add(
        DialAttempt(
            campaign_id=campaign.id,
            customer_id=customer_id,
            purpose=campaign.purpose,
            state=state,
            dialed_at=dialed,
            trunk_result=TrunkResult.ANSWERED.value if answered else TrunkResult.NO_ANSWER.value,
            connected=connected,
            answered_at=dialed + timedelta(seconds=10) if answered else None,
            ended_at=dialed + timedelta(seconds=10 + (handle_s or 0)),
        )
    )


def test_figures_come_from_the_campaign_the_purpose_or_the_defaults(ob_world) -> None:
    with ob_world.runtime.transaction() as s:
        cid = s.execute(select(Customer.id).order_by(Customer.id)).scalars().first()
        own = _campaign(s, "service")
        sibling = _campaign(s, "service")
        other = _campaign(s, "collection")
        # This campaign: 40 resolved dials in the window, 10 answered and connected for 300 s.
        for i in range(40):
            answered = i % 4 == 0
            _attempt(
                s, own, cid, ago=timedelta(hours=i + 1), answered=answered,
                handle_s=300 if answered else None,
            )  # fmt: skip
        # Not counted: older than 30 days, or still ringing.
        for i in range(20):
            _attempt(s, own, cid, ago=timedelta(days=31, hours=i), answered=True, handle_s=9_000)
            _attempt(s, own, cid, ago=timedelta(minutes=i), answered=False, state="dialing")
        # Another service campaign: 25 connected calls of 120 s (same purpose).
        for i in range(25):
            _attempt(s, sibling, cid, ago=timedelta(days=2, hours=i), answered=True, handle_s=120)
        # A collection campaign with 12 dials only: too few anywhere for collection.
        for i in range(12):
            _attempt(s, other, cid, ago=timedelta(days=1, hours=i), answered=True, handle_s=60)
        s.flush()

        mine = pacing_figures(session=s, campaign=own, now=NOW)
        assert mine.answer_rate == PacingFigure(10 / 40, FigureSource.CAMPAIGN, 40)
        # Only 10 connected calls of its own: the handle time is the purpose's, 35 calls.
        assert mine.avg_handle_seconds.source is FigureSource.PURPOSE
        assert mine.avg_handle_seconds.samples == 35
        assert mine.avg_handle_seconds.value == (10 * 300 + 25 * 120) / 35

        theirs = pacing_figures(session=s, campaign=sibling, now=NOW)
        assert theirs.answer_rate == PacingFigure(35 / 65, FigureSource.PURPOSE, 65)

        collection = pacing_figures(session=s, campaign=other, now=NOW)
        assert collection.answer_rate == PacingFigure(DEFAULT_ANSWER_RATE, FigureSource.DEFAULT, 0)
        assert collection.avg_handle_seconds == PacingFigure(
            DEFAULT_HANDLE_SECONDS, FigureSource.DEFAULT, 0
        )
        assert mine.to_dict()["answer_rate"] == {"value": 0.25, "source": "campaign", "samples": 40}


def test_campaign_api_and_page_show_the_pacing_figures(ob_world) -> None:
    w = ob_world
    r = w.client.post(
        "/api/outbound/campaigns",
        json={"name": "Pacing", "purpose": "marketing", "queue_id": "cards", "script_text": "Hi"},
        headers=w.headers("supervisor"),
    )
    assert r.status_code == 201, r.text
    camp_id = r.json()["id"]
    r = w.client.get(f"/api/outbound/campaigns/{camp_id}", headers=w.headers("supervisor"))
    assert r.status_code == 200, r.text
    pacing = r.json()["pacing"]
    assert pacing["answer_rate"] == {
        "value": DEFAULT_ANSWER_RATE, "source": "default", "samples": 0,
    }  # fmt: skip
    assert pacing["avg_handle_seconds"]["source"] == "default"
    assert (pacing["window_days"], pacing["min_samples"]) == (30, 30)
    page = w.client.get(f"/outbound/campaigns/{camp_id}", headers=w.headers("supervisor"))
    assert page.status_code == 200
    assert 'data-figure="answer_rate" data-source="default"' in page.text
