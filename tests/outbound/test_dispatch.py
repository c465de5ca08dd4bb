"""plan_dials: only gate-allowed members are dialed; blocked ones keep their reasons."""

from __future__ import annotations

from datetime import UTC, datetime

from fincall.outbound.dispatch import Candidate, plan_dials
from fincall.outbound.gate import AttemptRecord, DncEntry, DncState, GateCustomer
from fincall.outbound.rules import Purpose, load_rulebook

HK = load_rulebook().get("hk")
AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 11:00 Hong Kong


def member(i: int, **kw) -> Candidate:
    fields = {"timezone": "Asia/Hong_Kong", "consent_marketing": True, **kw.pop("customer", {})}
    customer = GateCustomer(id=f"cus_{i}", **fields)
    return Candidate(f"mem_{i}", customer, kw.get("history", ()), kw.get("dnc", DncState()), HK)


def test_only_allowed_members_are_dialed_and_blocks_are_counted() -> None:
    capped = tuple(AttemptRecord(at=datetime(2026, 11, 23, 1, m, tzinfo=UTC)) for m in (1, 2))
    members = [
        member(1),
        member(2, customer={"consent_marketing": False}),
        member(3, history=capped),  # marketing cap in Hong Kong is 2 a day
        member(4, dnc=DncState(internal=(DncEntry(purpose=Purpose.MARKETING),))),
        member(5),
        member(6),
    ]
    seen: list[str] = []
    plan = plan_dials(
        candidates=members,
        purpose=Purpose.MARKETING,
        at=AT,
        want=2,
        on_blocked=lambda c, d: seen.append(c.member_id),
    )
    assert [c.member_id for c in plan.dial] == ["mem_1", "mem_5"]
    assert seen == ["mem_2", "mem_3", "mem_4"]
    assert plan.block_counts() == {
        "daily_attempt_cap": 1,
        "internal_dnc": 1,
        "no_marketing_consent": 1,
    }
    capped_decision = plan.blocked[1][1]
    assert capped_decision.next_allowed_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def test_max_checked_bounds_the_work() -> None:
    members = [member(i, customer={"do_not_call": True}) for i in range(10)]
    plan = plan_dials(candidates=members, purpose=Purpose.SERVICE, at=AT, want=5, max_checked=4)
    assert plan.dial == () and len(plan.blocked) == 4
