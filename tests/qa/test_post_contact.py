"""Post-contact inspection of contacts created through the API, the worker and crash catch-up."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from fincall.contacts.models import Contact
from fincall.qa import pipeline, service
from fincall.qa.models import QaFinding, QaInspection
from tests.qa.conftest import CLEAN, PROMISE, make_contact, pick


def _events(world, topic):
    got = []
    world.runtime.bus.subscribe(topic, lambda e: got.append(e.payload))
    return got


def test_promise_contact_stores_a_prohibited_promise_finding(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    inspected = _events(qa_world, "qa.inspected")
    cid = make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent)
    assert pipeline.process_contact(qa_world.runtime, cid) is True
    assert pipeline.process_contact(qa_world.runtime, cid) is False  # idempotent
    with qa_world.runtime.transaction() as session:
        insp = service.get_current(session=session, contact_id=cid)
        assert insp.pack_id == "us" and insp.version == 1 and insp.agent_id == agent
        assert insp.passed is False and insp.auto_fail is True
        pp = [f for f in insp.findings if f.category == "prohibited_promise"]
        assert len(pp) == 1
        f = pp[0]
        assert f.rule_id == "EN-PP-001" and f.severity == "critical"
        assert f.pack_version == insp.pack_version and f.pack_version
        assert f.utterance_index == 1 and f.start == 4.0
        assert f.evidence.lower() == "guaranteed returns"
        assert PROMISE[1][1][f.char_start : f.char_end].lower() == "guaranteed returns"
    assert [e["contact_id"] for e in inspected] == [cid]
    assert inspected[0]["passed"] is False
    assert "prohibited_promise" in inspected[0]["categories"]


def test_clean_contact_passes(qa_world):
    cus, agent = pick(qa_world, region="UK", language="en")
    cid = make_contact(qa_world, CLEAN, customer_id=cus, agent_id=agent)
    pipeline.process_contact(qa_world.runtime, cid)
    with qa_world.runtime.transaction() as session:
        insp = service.get_current(session=session, contact_id=cid)
        assert insp.pack_id == "uk"
        assert insp.passed is True and insp.score == 100 and insp.findings == []


def test_chinese_contact_uses_the_regional_pack(qa_world):
    cus, agent = pick(qa_world, region="CN", language="zh-CN")
    cid = make_contact(
        qa_world,
        [("agent", "这款中国科技股票基金保本保息，您放心买。"), ("customer", "好的")],
        customer_id=cus,
        agent_id=agent,
        language="zh-CN",
    )
    pipeline.process_contact(qa_world.runtime, cid)
    with qa_world.runtime.transaction() as session:
        insp = service.get_current(session=session, contact_id=cid)
        assert insp.pack_id == "cn-mainland"
        cats = {f.category for f in insp.findings}
        assert "prohibited_promise" in cats and "missing_risk_disclosure" in cats


def test_deposit_promise_is_not_a_finding(qa_world):
    """Only the products named in the contact count: a deposit's guaranteed rate is fine."""
    cus, agent = pick(qa_world, region="US", language="en")
    cid = make_contact(
        qa_world,
        [("agent", "The 12-Month Time Deposit has guaranteed returns of 3%.")],
        customer_id=cus,
        agent_id=agent,
    )
    pipeline.process_contact(qa_world.runtime, cid)
    with qa_world.runtime.transaction() as session:
        insp = service.get_current(session=session, contact_id=cid)
        assert [f.category for f in insp.findings] == []


def test_worker_inspects_ended_contacts_off_the_request_thread(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    done = threading.Event()
    seen: list[tuple[str, str]] = []

    def on(evt):
        seen.append((evt.payload["contact_id"], threading.current_thread().name))
        done.set()

    qa_world.runtime.bus.subscribe("qa.inspected", on)
    worker = pipeline.InspectionWorker(qa_world.runtime, sweep_seconds=3600)
    worker.start(catch_up_first=False)
    try:
        cid = make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent)
        assert done.wait(60), "the worker did not inspect the ended contact"
    finally:
        worker.stop()
    assert seen == [(cid, "qa-inspection")]


def test_catch_up_inspects_contacts_that_ended_without_inspection(qa_world):
    with qa_world.runtime.transaction() as session:
        ended = session.execute(
            select(func.count())
            .select_from(Contact)
            .where(Contact.status.in_(["ended", "abandoned"]))
        ).scalar_one()
    assert ended > 0
    assert pipeline.catch_up(qa_world.runtime, limit=40) == ended
    assert pipeline.catch_up(qa_world.runtime) == 0
    with qa_world.runtime.transaction() as session:
        n = session.execute(select(func.count()).select_from(QaInspection)).scalar_one()
        assert n == ended
        assert session.execute(select(func.count()).select_from(QaFinding)).scalar_one() > 0


def test_dnc_request_is_announced(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    got = []
    qa_world.runtime.bus.subscribe("qa.dnc_request", lambda e: got.append(e.payload))
    cid = make_contact(
        qa_world,
        [
            ("agent", "Hi, I'm calling about our special offer on the Platinum Credit Card."),
            ("customer", "Please stop calling me."),
            ("agent", "But this offer is exclusive, just hear me out."),
        ],
        customer_id=cus,
        agent_id=agent,
        direction="outbound",
    )
    pipeline.process_contact(qa_world.runtime, cid)
    assert got == [
        {
            "customer_id": cus,
            "contact_id": cid,
            "purpose": "marketing",
            "utterance_index": 1,
            "source": "customer_request",
        }
    ]
    clean = make_contact(qa_world, CLEAN, customer_id=cus, agent_id=agent)
    pipeline.process_contact(qa_world.runtime, clean)
    assert len(got) == 1
