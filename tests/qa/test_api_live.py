"""QA API (filters, contact detail with highlighted evidence, masking, permissions) and the
live check the agent desktop calls."""

from __future__ import annotations

from fincall.qa import pipeline
from tests.qa.conftest import CLEAN, PROMISE, make_contact, pick

CARD = "4111 1111 1111 1111"


def _inspected(world, utts, **kw):
    cus, agent = pick(world, region="US", language="en")
    cid = make_contact(world, utts, customer_id=cus, agent_id=agent, **kw)
    pipeline.process_contact(world.runtime, cid)
    return cid, agent


def test_permissions(qa_world):
    c = qa_world.client
    assert c.get("/api/qa/findings", headers=qa_world.headers("agent")).status_code == 403
    assert c.get("/api/qa/summary", headers=qa_world.headers("agent")).status_code == 403
    for role in ("qa_analyst", "supervisor", "compliance_officer", "admin"):
        assert c.get("/api/qa/findings", headers=qa_world.headers(role)).status_code == 200
    assert c.get("/api/qa/findings").status_code == 401
    cid, _ = _inspected(qa_world, CLEAN)
    r = c.post(f"/api/qa/contacts/{cid}/inspect", headers=qa_world.headers("supervisor"))
    assert r.status_code == 403
    r = c.post("/api/coaching/tasks/x/close", headers=qa_world.headers("compliance_officer"))
    assert r.status_code == 403


def test_findings_filters_and_summary(qa_world):
    promise, agent = _inspected(qa_world, PROMISE)
    _inspected(qa_world, CLEAN)
    h = qa_world.headers("qa_analyst")
    r = qa_world.client.get(
        "/api/qa/findings", params={"category": "prohibited_promise", "agent_id": agent}, headers=h
    )
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1 and body["items"][0]["contact_id"] == promise
    item = body["items"][0]
    assert item["rule_id"] == "EN-PP-001" and item["pack_id"] == "us"
    assert item["evidence"]["text"].lower() == "guaranteed returns"
    r = qa_world.client.get(
        "/api/qa/findings", params={"severity": "minor", "agent_id": agent}, headers=h
    )
    assert all(i["severity"] == "minor" for i in r.json()["items"])
    r = qa_world.client.get("/api/qa/findings", params={"until": "2000-01-01"}, headers=h)
    assert r.json()["total"] == 0
    r = qa_world.client.get("/api/qa/findings", params={"since": "yesterday"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "qa-bad-filter"
    r = qa_world.client.get("/api/qa/findings", params={"category": "rudeness"}, headers=h)
    assert r.status_code == 422
    s = qa_world.client.get("/api/qa/summary", headers=h).json()
    assert s["inspected"] == 2 and s["passed"] == 1
    assert s["by_category"]["prohibited_promise"] == 1
    assert sum(b["contacts"] for b in s["score_bins"]) == 2
    assert s["score_bins"][9]["contacts"] == 1  # the clean contact scored 100


def test_contact_detail_marks_the_evidence_on_its_utterance(qa_world):
    cid, _ = _inspected(qa_world, PROMISE)
    r = qa_world.client.get(f"/api/qa/contacts/{cid}", headers=qa_world.headers("qa_analyst"))
    assert r.status_code == 200
    d = r.json()
    assert d["inspection"]["version"] == 1 and not d["inspection"]["passed"]
    f = next(x for x in d["findings"] if x["category"] == "prohibited_promise")
    utt = d["transcript"][1]
    assert utt["finding_ids"][0] == f["id"] or f["id"] in utt["finding_ids"]
    marked = [s for s in utt["segments"] if f["id"] in s["finding_ids"]]
    assert [s["text"].lower() for s in marked] == ["guaranteed returns"]
    assert "".join(s["text"] for s in utt["segments"]) == PROMISE[1][1]
    assert (
        qa_world.client.get(
            "/api/qa/contacts/con_missing", headers=qa_world.headers("qa_analyst")
        ).status_code
        == 404
    )


def test_reinspect_keeps_history(qa_world):
    cid, _ = _inspected(qa_world, PROMISE)
    h = qa_world.headers("qa_analyst")
    r = qa_world.client.post(f"/api/qa/contacts/{cid}/inspect", headers=h)
    assert r.status_code == 200
    assert r.json()["inspection"]["version"] == 2 and r.json()["previous_score"] is not None
    d = qa_world.client.get(f"/api/qa/contacts/{cid}", headers=h).json()
    assert [x["version"] for x in d["history"]] == [2, 1]
    assert d["history"][1]["superseded"] is True
    # superseded findings are not listed twice
    r = qa_world.client.get(
        "/api/qa/findings", params={"category": "prohibited_promise"}, headers=h
    )
    assert [i["contact_id"] for i in r.json()["items"]].count(cid) == 1


def test_transcripts_are_masked_except_for_compliance(qa_world):
    utts = [
        ("customer", f"My card number is {CARD}, can you check it?"),
        ("agent", "Thank you, let me look."),
    ]
    cid, _ = _inspected(qa_world, utts)
    qa = qa_world.client.get(f"/api/qa/contacts/{cid}", headers=qa_world.headers("qa_analyst"))
    text = qa.json()["transcript"][0]["text"]
    assert CARD not in text and "1111" in text and "*" in text
    co = qa_world.client.get(
        f"/api/qa/contacts/{cid}", headers=qa_world.headers("compliance_officer")
    )
    assert CARD in co.json()["transcript"][0]["text"]


def test_live_check_blocks_promises_and_warns_on_others(qa_world):
    check = qa_world.client.app.state.live_check
    out = check(
        text="This fund has guaranteed returns, you can't lose.", language="en", speaker="agent"
    )
    pp = [f for f in out if f["category"] == "prohibited_promise"]
    assert pp and all(f["block"] for f in pp)
    assert {"category", "severity", "rule_id", "message", "evidence", "block"} <= set(pp[0])
    assert pp[0]["message"] and pp[0]["evidence"]
    warn = check(
        text="Please tell me your PIN so I can verify you.", language="en", speaker="agent"
    )
    assert any(f["category"] == "sensitive_data_exposure" for f in warn)
    assert not any(f["block"] for f in warn)
    assert check(text="Our branches open at 9am.", language="en", speaker="agent") == []
    zh = check(text="这个理财产品保本保息，稳赚不赔", language="zh-CN", speaker="agent")
    assert any(f["block"] and f["rule_id"].startswith("ZH-") for f in zh)
    # the customer's own words are not the agent's promise
    assert check(text="Is it guaranteed returns?", language="en", speaker="customer") == []


def test_desk_blocks_a_prohibited_promise_through_the_live_check(qa_world):
    from sqlalchemy import select

    from fincall.auth.models import User

    with qa_world.runtime.transaction() as session:
        agent_id = session.execute(select(User.agent_id).where(User.role == "agent")).scalar_one()
    cus, _ = pick(qa_world, region="US", language="en")
    cid = make_contact(
        qa_world, [("customer", "Hi")], customer_id=cus, agent_id=agent_id, end=False
    )
    h = qa_world.headers("agent")
    r = qa_world.client.post(
        f"/api/desk/contacts/{cid}/check",
        json={"text": "Guaranteed returns, zero risk!"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["blocked"] is True
    r = qa_world.client.post(
        f"/api/desk/contacts/{cid}/check", json={"text": "Happy to help you today."}, headers=h
    )
    assert r.status_code == 200 and r.json() == {"findings": [], "blocked": False}
