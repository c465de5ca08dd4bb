"""Adapters to the real NLU entity extractor and compliance engine (skipped if absent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from fincall.flows.adapters import (
    ComplianceReplyGuard,
    NluEntities,
    NluIntents,
    compliance_language,
)


@dataclass
class _Alt:
    intent: str
    confidence: float


@dataclass
class _Result:
    intent: str
    confidence: float
    alternatives: tuple


class _Clf:
    def classify(self, text):
        return _Result("change_pin", 0.8, (_Alt("change_pin", 0.8), _Alt("pin_blocked", 0.15)))


def test_intent_adapter_drops_the_winner_from_alternatives():
    assert NluIntents(_Clf()).classify("pin") == ("change_pin", 0.8, [("pin_blocked", 0.15)])


def test_language_mapping():
    assert compliance_language("zh") == "zh-CN"
    assert compliance_language("zh-HK") == "zh-HK"
    assert compliance_language("en") == "en"


def test_entity_adapter_with_real_extractor():
    entities = pytest.importorskip("fincall.nlu.entities")
    adapter = NluEntities(entities.extract_entities, today=lambda: date(2026, 6, 1))
    found = {e.type: e.value for e in adapter.extract("I lost my card ending 4321", "en")}
    assert found.get("card_last4") == "4321"


def test_compliance_guard_blocks_return_promise_in_both_languages():
    engine = pytest.importorskip("fincall.compliance.engine")
    guard = ComplianceReplyGuard(
        engine.check_live, pack=lambda lang: "cn-mainland" if lang.startswith("zh") else "hk"
    )
    en = guard.check("This fund has guaranteed returns of 8% a year, you cannot lose money.", "en")
    zh = guard.check("这款理财保本保收益，稳赚不赔。", "zh")
    assert not en.allowed and en.reason == "prohibited_promise"
    assert not zh.allowed and zh.reason == "prohibited_promise"
    assert guard.check("Your card ending 1234 is now frozen.", "en").allowed


def test_shipped_flow_replies_pass_the_real_compliance_engine(flow, banking, last_otp, session):
    engine = pytest.importorskip("fincall.compliance.engine")
    from sqlalchemy import select

    from fincall.flows.engine import FlowRunner, FlowServices
    from fincall.flows.models import BankCard

    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_alice")).first()
    state = {}
    guard = ComplianceReplyGuard(
        engine.check_live,
        pack=lambda lang: "cn-mainland" if lang.startswith("zh") else "hk",
        context=lambda: {"identity_verified": state["runner"].state.verified},
    )
    scripts = {
        "1": [
            ("t", "balance"),
            ("otp", ""),
            ("d", "1"),
            ("t", "I lost my card"),
            ("t", card.last4),
            ("d", "1"),
            ("t", "reset my pin"),
            ("d", "1"),
            ("t", "exchange rate"),
            ("t", "USD to HKD"),
            ("d", "2"),
        ],
        "2": [
            ("t", "余额"),
            ("otp", ""),
            ("d", "1"),
            ("t", "我的卡丢了"),
            ("t", card.last4),
            ("d", "1"),
            ("t", "汇率"),
            ("t", "美元兑港币"),
            ("d", "2"),
        ],
    }
    for lang_digit, script in scripts.items():
        services = FlowServices(
            classifier=_KeywordIntents(), guard=guard, banking=banking, verifier=banking
        )
        runner = FlowRunner(flow, services, customer_id="cus_demo_alice")
        state["runner"] = runner
        runner.start()
        runner.on_digits(lang_digit)
        for kind, value in script:
            if kind == "otp":
                runner.on_text(last_otp())
            elif kind == "d":
                runner.on_digits(value)
            else:
                runner.on_text(value)
        assert runner.state.status == "ended", runner.state.step_id
        blocked = [e.detail for e in runner.events if e.kind == "reply_blocked"]
        assert blocked == []


class _KeywordIntents:
    RULES = (
        ("balance", "balance_inquiry"),
        ("余额", "balance_inquiry"),
        ("lost", "lost_or_stolen_card"),
        ("丢", "lost_or_stolen_card"),
        ("pin", "change_pin"),
        ("exchange", "fx_rate_inquiry"),
        ("汇率", "fx_rate_inquiry"),
    )

    def classify(self, text):
        for kw, intent in self.RULES:
            if kw in text.lower():
                return intent, 0.9, []
        return "speak_to_agent", 0.2, []
