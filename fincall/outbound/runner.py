"""The campaign runner: each tick records what the trunk signalled, settles finished calls, then
paces, gates and dials every running campaign. One tick is one small transaction (bounded by
the MAX_* limits).

``FINCALL_OUTBOUND_DIALER`` chooses the trunk: ``simulated`` (a seeded ``SimulatedTrunk``;
``Campaign.simulated`` is True and the campaign page says so) or ``sip`` (``SipTrunk``: real
calls placed in the background through the voice channel; their ringing and final results come
back at the next ticks). An answered call becomes an outbound voice Contact queued to the
campaign's queue and the live call is handed to the voice channel, which bridges it to the
agent who takes the contact; with no agent free for it, the call is abandoned (counted against
the cap, which the predictive pacer never lets it exceed) and hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from fincall.agents.models import Agent
from fincall.auth import audit
from fincall.core.clock import utcnow
from fincall.core.leader import LeaderLock
from fincall.customers.models import Customer
from fincall.outbound import attempts as attempt_service
from fincall.outbound.dialer import CallProgress, Dialer, SimulatedTrunk, TrunkResult
from fincall.outbound.dispatch import Candidate, plan_dials
from fincall.outbound.gatedata import DEFAULT_JURISDICTION, customers_by_id, load_inputs
from fincall.outbound.models import Campaign, CampaignMember, DialAttempt
from fincall.outbound.outcomes import Outcome
from fincall.outbound.pacing import (
    DEFAULT_ANSWER_RATE,
    DEFAULT_HANDLE_SECONDS,
    DEFAULT_RING_SECONDS,
    DialMode,
    PacingInput,
    pace,
)
from fincall.outbound.pacing_stats import pacing_figures
from fincall.outbound.rules import Purpose
from fincall.outbound.service import DUE_STATUSES

log = logging.getLogger(__name__)

MAX_CAMPAIGNS = 20
MAX_RESOLVE = 50
MAX_DIALS = 10
MAX_CHECKED = 40
WINDOW = timedelta(days=30)
# A call whose final result never came back (the process restarted mid-call) is settled as
# unanswered this long after its ring timeout.
SIGNAL_GRACE = timedelta(minutes=2)
IN_FLIGHT = ("dialing", "ringing")
TRUNK_OUTCOMES = {
    TrunkResult.NO_ANSWER: Outcome.NO_ANSWER,
    TrunkResult.BUSY: Outcome.BUSY,
    TrunkResult.VOICEMAIL: Outcome.VOICEMAIL,
    TrunkResult.WRONG_NUMBER: Outcome.WRONG_NUMBER,
    TrunkResult.FAILED: Outcome.FAILED,
}
DialerFor = Callable[[Campaign], Dialer]
Handoff = tuple[str, str | None]  # (attempt id, contact id; None: abandoned)


def simulated_dialer(campaign: Campaign) -> Dialer:
    """The demo trunk: rings, answers 35% of calls, busy and voicemail like a real one."""
    return SimulatedTrunk(seed=campaign.trunk_seed)


class _Agents:
    """Free agents per queue for this tick (available, with the skills, minus waiting calls)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.agents: list[Agent] | None = None
        self.free: dict[str, int] = {}

    def _qualified(self, skills: dict[str, int]) -> list[Agent]:
        if self.agents is None:
            self.agents = list(self.session.execute(select(Agent)).scalars())
        return [
            a
            for a in self.agents
            if all((a.skills or {}).get(k, 0) >= int(v) for k, v in skills.items())
        ]

    def counts(self, campaign: Campaign) -> tuple[int, int]:
        """(free, busy) agents for the campaign's queue and skills."""
        from fincall.routing.models import QueueWait

        qualified = self._qualified(dict(campaign.skills or {}))
        busy = sum(1 for a in qualified if a.state in ("on_contact", "wrap_up"))
        if campaign.queue_id not in self.free:
            available = sum(1 for a in qualified if a.state == "available")
            waiting = self.session.execute(
                select(func.count())
                .select_from(QueueWait)
                .where(QueueWait.queue_id == campaign.queue_id, QueueWait.outcome.is_(None))
            ).scalar_one()
            self.free[campaign.queue_id] = max(available - waiting, 0)
        return self.free[campaign.queue_id], busy

    def take(self, campaign: Campaign) -> bool:
        free, _ = self.counts(campaign)
        if free <= 0:
            return False
        self.free[campaign.queue_id] = free - 1
        return True


def _connect(session: Session, attempt: DialAttempt, campaign: Campaign, at: datetime) -> None:
    """The customer answered: an outbound voice contact queued to the campaign's queue."""
    from fincall.contacts import service as contacts
    from fincall.contacts.schemas import ContactCreate
    from fincall.routing import service as routing

    customer = session.get(Customer, attempt.customer_id)
    language: Any = customer.language if customer is not None else None
    if language not in ("zh-CN", "zh-HK", "en"):
        language = None
    contact = contacts.create(
        session=session,
        data=ContactCreate(
            customer_id=attempt.customer_id,
            channel="voice",
            direction="outbound",
            language=language,
            subject=f"Campaign: {campaign.name}"[:300],
            started_at=attempt.dialed_at,
            attributes={
                "outbound_attempt_id": attempt.id,
                "campaign_id": campaign.id,
                "purpose": campaign.purpose,
                "script_version": campaign.script_version,
                "simulated": attempt.simulated,
            },
        ),
        actor=audit.Actor.system(),
        audit_event=False,
    )
    routing.enqueue(
        session=session,
        contact=contact,
        queue_id=campaign.queue_id,
        skills=dict(campaign.skills or {}),
        now=at,
    )
    attempt.contact_id = contact.id
    attempt.state = "connected"
    attempt.connected = True
    attempt.answered_at = at


def record_progress(
    *,
    session: Session,
    progress: Sequence[CallProgress],
    report: Counter[str],
    handoffs: list[Handoff] | None = None,
) -> None:
    """Store what the trunk signalled: ringing moves the attempt on, a final result makes it due.

    An answer for an attempt that is no longer in flight (settled at its deadline, or deleted)
    is hung up: no contact will ever take that call.
    """
    for p in progress:
        attempt = session.get(DialAttempt, p.call_id)
        if attempt is None or attempt.state not in IN_FLIGHT or p.result is None:
            if p.result is TrunkResult.ANSWERED and handoffs is not None:
                handoffs.append((p.call_id, None))
            continue
        if p.result is TrunkResult.RINGING:
            attempt.state = "ringing"
            report["ringing"] += 1
            continue
        attempt.trunk_result = p.result.value
        attempt.trunk_status = p.sip_status
        dialed = attempt.dialed_at or utcnow()
        attempt.due_at = dialed + timedelta(seconds=p.after_seconds)


def resolve_due(
    *,
    session: Session,
    now: datetime,
    agents: _Agents,
    report: Counter[str],
    handoffs: list[Handoff] | None = None,
) -> None:
    """Settle campaign calls whose trunk result is due: connect, abandon, or retry later."""
    due = session.execute(
        select(DialAttempt)
        .where(
            DialAttempt.state.in_(IN_FLIGHT),
            DialAttempt.campaign_id.is_not(None),
            DialAttempt.due_at <= now,
        )
        .order_by(DialAttempt.due_at)
        .limit(MAX_RESOLVE)
    ).scalars()
    system = audit.Actor.system()
    for attempt in list(due):
        campaign = session.get(Campaign, attempt.campaign_id)
        at = attempt.due_at or now
        result = TrunkResult(attempt.trunk_result or TrunkResult.NO_ANSWER)
        if result is TrunkResult.ANSWERED and campaign is not None:
            if agents.take(campaign):
                _connect(session, attempt, campaign, at)
                report["connected"] += 1
            else:
                attempt.state, attempt.abandoned, attempt.answered_at = "abandoned", True, at
                attempt_service.apply_outcome(
                    session=session, attempt=attempt, outcome=Outcome.ANSWERED, actor=system, at=at
                )
                report["abandoned"] += 1
        else:
            outcome = TRUNK_OUTCOMES.get(result, Outcome.NO_ANSWER)
            attempt_service.apply_outcome(
                session=session,
                attempt=attempt,
                outcome=outcome,
                actor=system,
                at=at,
                connected=False,
            )
            report[outcome.value] += 1
        if result is TrunkResult.ANSWERED and handoffs is not None and not attempt.simulated:
            handoffs.append((attempt.id, attempt.contact_id if attempt.connected else None))
        report["resolved"] += 1


def sweep_connected(*, session: Session, report: Counter[str]) -> None:
    """Settle connected attempts whose contact ended without the event being handled."""
    from fincall.contacts.models import Contact

    rows = session.execute(
        select(DialAttempt.contact_id)
        .join(Contact, Contact.id == DialAttempt.contact_id)
        .where(DialAttempt.state == "connected", Contact.status.in_(("ended", "abandoned")))
        .limit(MAX_RESOLVE)
    ).scalars()
    for contact_id in list(rows):
        if attempt_service.settle_contact(session=session, contact_id=str(contact_id)):
            report["settled"] += 1


def _in_schedule(campaign: Campaign, now: datetime) -> bool:
    schedule = campaign.schedule or {}
    for key, before in (("starts_at", True), ("ends_at", False)):
        raw = schedule.get(key)
        if not raw:
            continue
        try:
            edge = datetime.fromisoformat(str(raw))
        except ValueError:
            continue
        if edge.tzinfo is None:
            continue
        if (now < edge) if before else (now >= edge):
            return False
    return True


def _window_stats(session: Session, campaign_id: str, now: datetime) -> dict[str, int]:
    since = now - WINDOW
    base = (DialAttempt.campaign_id == campaign_id, DialAttempt.dialed_at > since)
    rows = session.execute(
        select(DialAttempt.abandoned, DialAttempt.connected, func.count())
        .where(*base, DialAttempt.state.not_in(IN_FLIGHT))
        .group_by(DialAttempt.abandoned, DialAttempt.connected)
    ).all()
    stats: Counter[str] = Counter()
    for abandoned, connected, n in rows:
        stats["abandoned"] += n if abandoned else 0
        stats["live"] += n if (abandoned or connected) else 0
    stats["in_flight"] = session.execute(
        select(func.count())
        .select_from(DialAttempt)
        .where(DialAttempt.campaign_id == campaign_id, DialAttempt.state.in_(IN_FLIGHT))
    ).scalar_one()
    return dict(stats)


def pace_campaign(
    *,
    session: Session,
    campaign: Campaign,
    now: datetime,
    dialer: Dialer,
    agents: _Agents,
    report: Counter[str],
    default_jurisdiction: str = DEFAULT_JURISDICTION,
) -> None:
    """Pace, gate and dial one running campaign."""
    if not _in_schedule(campaign, now):
        return
    if not dialer.ready:  # members are not used up on a trunk that cannot call
        report["trunk_unavailable"] += 1
        return
    if campaign.simulated != dialer.simulated:
        campaign.simulated = dialer.simulated
    free, busy = agents.counts(campaign)
    stats = _window_stats(session, campaign.id, now)
    mode = DialMode(campaign.dial_mode)
    answer_rate, handle, ring = DEFAULT_ANSWER_RATE, DEFAULT_HANDLE_SECONDS, DEFAULT_RING_SECONDS
    if mode is DialMode.PREDICTIVE:  # the other modes do not use the measured figures
        figures = pacing_figures(session=session, campaign=campaign, now=now)
        answer_rate = figures.answer_rate.value
        handle = figures.avg_handle_seconds.value
        ring = figures.avg_ring_seconds.value
    decision = pace(
        PacingInput(
            mode=mode,
            agents_free=free,
            agents_busy=busy,
            calls_in_flight=stats.get("in_flight", 0),
            answer_rate=answer_rate,
            avg_handle_seconds=handle,
            avg_ring_seconds=ring,
            abandoned_window=stats.get("abandoned", 0),
            live_answers_window=stats.get("live", 0),
            abandon_cap=campaign.abandon_cap,
        )
    )
    want = min(decision.launch, MAX_DIALS)
    if want <= 0:
        return
    members = list(
        session.execute(
            select(CampaignMember)
            .where(
                CampaignMember.campaign_id == campaign.id,
                CampaignMember.status.in_(DUE_STATUSES),
                or_(CampaignMember.next_at.is_(None), CampaignMember.next_at <= now),
            )
            .order_by(func.coalesce(CampaignMember.next_at, CampaignMember.added_at))
            .limit(MAX_CHECKED)
        ).scalars()
    )
    if not members:
        return
    customers = customers_by_id(session=session, ids=(m.customer_id for m in members))
    inputs = load_inputs(
        session=session,
        customers=customers.values(),
        at=now,
        default_jurisdiction=default_jurisdiction,
    )
    by_id = {m.id: m for m in members}
    candidates = []
    for m in members:
        customer = customers.get(m.customer_id)
        if customer is None or not customer.phone:
            m.status = "bad_number"
            continue
        data = inputs[m.customer_id]
        candidates.append(Candidate(m.id, data.customer, data.history, data.dnc, data.rules))
    purpose = Purpose(campaign.purpose)
    plan = plan_dials(
        candidates=candidates, purpose=purpose, at=now, want=want, max_checked=MAX_CHECKED
    )
    for candidate, gate_decision in plan.blocked:
        member = by_id[candidate.member_id]
        attempt_service.record_blocked(
            session,
            customer=customers[member.customer_id],
            purpose=purpose,
            decision=gate_decision,
            campaign=campaign,
            member=member,
        )
        report["blocked"] += 1
    for candidate in plan.dial:
        member = by_id[candidate.member_id]
        customer = customers[member.customer_id]
        attempt, progress = place_call(
            session=session,
            dialer=dialer,
            campaign=campaign,
            member=member,
            customer=customer,
            purpose=purpose,
            at=now,
            simulated=dialer.simulated,
        )
        if progress.final:
            attempt.due_at = now + timedelta(seconds=progress.after_seconds)
        else:  # the trunk reports later; this deadline only settles a call whose report was lost
            attempt.due_at = now + timedelta(seconds=dialer.ring_timeout) + SIGNAL_GRACE
        member.status = "in_progress"
        member.next_at = None
        report["dialed"] += 1
    session.flush()


def place_call(
    *,
    session: Session,
    dialer: Dialer,
    campaign: Campaign,
    member: CampaignMember,
    customer: Customer,
    purpose: Purpose,
    at: datetime,
    simulated: bool,
) -> tuple[DialAttempt, Any]:
    """Record a gate-allowed attempt, dial it and count it on the member (the caller commits)."""
    attempt = DialAttempt(
        campaign_id=campaign.id,
        member_id=member.id,
        customer_id=customer.id,
        purpose=purpose.value,
        state="dialing",
        created_at=at,
        dialed_at=at,
        number=customer.phone,
        simulated=simulated,
        script_version=campaign.script_version,
        customer_timezone=customer.timezone,
    )
    session.add(attempt)
    session.flush()
    progress = dialer.dial(call_id=attempt.id, number=customer.phone or "")
    if progress.final:
        attempt.trunk_result = progress.result.value if progress.result else None
        attempt.trunk_status = progress.sip_status
    member.attempts += 1
    return attempt, progress


def tick(
    *,
    session: Session,
    now: datetime | None = None,
    dialer_for: DialerFor = simulated_dialer,
    default_jurisdiction: str = DEFAULT_JURISDICTION,
    progress: Sequence[CallProgress] = (),
    handoffs: list[Handoff] | None = None,
) -> dict[str, int]:
    """One runner step: record trunk signals, settle due calls, pace every running campaign.

    ``handoffs`` collects the answered real calls settled in this tick; the caller passes them
    to the trunk once the transaction has committed.
    """
    now = now or utcnow()
    report: Counter[str] = Counter()
    agents = _Agents(session)
    record_progress(session=session, progress=progress, report=report, handoffs=handoffs)
    resolve_due(session=session, now=now, agents=agents, report=report, handoffs=handoffs)
    sweep_connected(session=session, report=report)
    campaigns = session.execute(
        select(Campaign)
        .where(Campaign.status == "running", Campaign.channel == "voice")
        .order_by(Campaign.started_at, Campaign.id)
        .limit(MAX_CAMPAIGNS)
    ).scalars()
    for campaign in list(campaigns):
        pace_campaign(
            session=session,
            campaign=campaign,
            now=now,
            dialer=dialer_for(campaign),
            agents=agents,
            report=report,
            default_jurisdiction=default_jurisdiction,
        )
    return dict(report)


ADVISORY_LOCK_ID = 0x666F7574  # "fout": one runner among several nodes on PostgreSQL


class CampaignRunner:
    """Runs ``tick`` every second in a worker thread, each in its own transaction.

    On PostgreSQL only the node holding a session-level advisory lock runs ticks, so two nodes
    never dial the same member.
    """

    def __init__(
        self, runtime: Any, *, tick_seconds: float = 1.0, trunk: Dialer | None = None
    ) -> None:
        self.runtime = runtime
        self.tick_seconds = tick_seconds
        self.trunk = trunk  # one shared trunk for every campaign; None: the simulated trunk
        self.task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.leader = LeaderLock(runtime.engine, ADVISORY_LOCK_ID)
        self._unrecorded: list[CallProgress] = []  # signals of a tick whose transaction failed

    def dialer_for(self, campaign: Campaign) -> Dialer:
        return self.trunk if self.trunk is not None else simulated_dialer(campaign)

    def run_tick(self, now: datetime | None = None) -> dict[str, int]:
        """One tick in its own transaction; answered real calls are handed off after commit."""
        if not self.leader.held():
            return {}
        if self.trunk is not None:
            self._unrecorded += self.trunk.updates()
        handoffs: list[Handoff] = []
        with self.runtime.transaction() as session:
            result = tick(
                session=session,
                now=now,
                dialer_for=self.dialer_for,
                default_jurisdiction=self.runtime.settings.default_jurisdiction,
                progress=self._unrecorded,
                handoffs=handoffs,
            )
        self._unrecorded = []
        if self.trunk is not None:
            for attempt_id, contact_id in handoffs:
                self.trunk.hand_off(call_id=attempt_id, contact_id=contact_id)
        self.ticks += 1
        return result

    async def _loop(self) -> None:
        warned = False
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                await asyncio.to_thread(self.run_tick)
            except (OperationalError, ProgrammingError) as exc:
                if not warned:  # e.g. the outbound tables are not migrated yet
                    log.warning("campaign runner paused: %s", exc.orig)
                    warned = True
                await asyncio.sleep(30)
            except Exception:
                log.exception("campaign runner tick failed")

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.leader.release()


def make_trunk(runtime: Any, app: Any) -> Dialer | None:
    """The trunk the settings choose: None for the simulated one, else a SipTrunk."""
    settings = runtime.settings
    if settings.outbound_dialer != "sip":
        return None
    from fincall.outbound.sip_trunk import SipTrunk

    voice = getattr(app.state, "voice", None)
    return SipTrunk(
        endpoint=lambda: voice.endpoint if voice is not None else None,
        loop=asyncio.get_running_loop(),
        trunk_uri=str(settings.outbound_trunk_uri),
        caller_id=settings.outbound_caller_id,
        ring_timeout=settings.outbound_ring_timeout,
        connect=voice.connect_outbound if voice is not None else None,
    )


async def runner_hook(runtime: Any, app: Any) -> Callable[[], Any]:
    """Background hook for ``create_app``: start the runner, return its stop function."""
    runner = CampaignRunner(runtime, trunk=make_trunk(runtime, app))
    app.state.campaign_runner = runner
    runner.start()
    return runner.stop
