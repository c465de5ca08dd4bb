"""Post-contact entry points: records → engine input → findings and score."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from fincall.qa.inspection import contact_input_from_records, inspect_and_score


def test_records_to_inspection_and_score():
    contact = SimpleNamespace(
        id="con_1",
        channel="voice",
        direction="outbound",
        agent_id="agt_9",
        started_at=datetime(2026, 3, 1, 12, 30),  # naive from SQLite = UTC → 20:30 Shanghai
    )
    customer = SimpleNamespace(
        id="cus_1", language="zh-CN", region="CN", timezone="Asia/Shanghai", risk_rating=1
    )
    utts = [
        {"seq": 2, "speaker": "agent", "text": "这款基金稳赚不赔", "start": 4.0},
        {"seq": 1, "speaker": "agent", "text": "您好", "start": 0.0},
    ]
    products = [SimpleNamespace(code="F1", name="成长基金", type="fund", risk_level=None)]
    ci = contact_input_from_records(
        contact=contact, utterances=utts, customer=customer, products=products
    )
    assert ci.language == "zh-CN" and ci.started_at.tzinfo is not None
    assert [u.text for u in ci.utterances] == ["您好", "这款基金稳赚不赔"]
    result, score = inspect_and_score(ci)
    assert result.pack_id == "cn-mainland" and result.agent_id == "agt_9"
    cats = {f.category for f in result.findings}
    assert {"prohibited_promise", "calling_hours_violation", "missing_risk_disclosure"} <= cats
    promise = next(f for f in result.findings if f.category == "prohibited_promise")
    assert promise.utterance_index == 1 and promise.start == 4.0
    assert score.auto_fail and not score.passed
