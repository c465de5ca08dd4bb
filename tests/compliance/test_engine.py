"""Engine behaviour per category, in Chinese and English, with hard negatives."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincall.compliance.engine import check_live, inspect, inspect_contact
from fincall.compliance.rulepack import get_pack
from fincall.compliance.types import ContactInput, CustomerInfo, ProductInfo, Utterance

FUND_R4 = ProductInfo(code="F01", name="成长基金", type="fund", risk_level=4)
FUND_EN = ProductInfo(code="F02", name="Global Tech Fund", type="fund", risk_level=4)
DEPOSIT = ProductInfo(code="D01", name="大额存单", type="deposit", risk_level=1)
LOAN = ProductInfo(code="L01", name="Easy Loan", type="loan", risk_level=2)


def make(lang: str, *turns: str, pack: str | None = None, **kw) -> list:
    utts = []
    for k, t in enumerate(turns):
        spk, _, text = t.partition(":")
        utts.append(Utterance(speaker=spk.strip(), text=text.strip(), start=float(k * 4)))
    c = ContactInput(id="con_t", language=lang, utterances=tuple(utts), **kw)
    p = pack or {"zh-CN": "cn-mainland", "zh-HK": "hk", "en": "uk"}[lang]
    return inspect(c, pack=p)


def cats(findings) -> set[str]:
    return {f.category for f in findings}


# --- prohibited_promise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh-CN", "agent: 这款产品保本保息，稳赚不赔"),
        ("zh-HK", "agent: 呢隻基金穩賺不賠，保證收益"),
        ("en", "agent: This fund gives you guaranteed returns"),
        ("en", "bot: It's risk-free, you can't lose"),
    ],
)
def test_promise_positive(lang, text):
    fs = make(lang, text, products=(FUND_R4,))
    assert "prohibited_promise" in cats(fs)
    f = next(f for f in fs if f.category == "prohibited_promise")
    assert f.utterance_index == 0 and f.evidence is not None and f.evidence.text


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh-CN", "agent: 我们不能承诺保本，投资有风险"),
        ("zh-CN", "agent: 这款产品不保本，请您知悉"),
        ("zh-HK", "agent: 呢隻產品並非保本，可能會蝕"),
        ("en", "agent: Returns are not guaranteed and you may lose money"),
        ("en", "agent: There is no guaranteed return on this fund"),
    ],
)
def test_promise_negated_is_not_a_finding(lang, text):
    assert "prohibited_promise" not in cats(make(lang, text, products=(FUND_R4,)))


def test_promise_customer_words_are_not_findings():
    fs = make("zh-CN", "customer: 你们这个是保本保息稳赚不赔的吧？", "agent: 投资有风险，不保本")
    assert "prohibited_promise" not in cats(fs)
    fs = make("en", "customer: So it's guaranteed returns, I can't lose?", products=(FUND_EN,))
    assert "prohibited_promise" not in cats(fs)


def test_promise_deposit_products_exempt():
    assert "prohibited_promise" not in cats(
        make("zh-CN", "agent: 大额存单保本保息", products=(DEPOSIT,))
    )
    # a fund in the same contact removes the exemption
    fs = make("zh-CN", "agent: 这个保本保息", products=(DEPOSIT, FUND_R4))
    assert "prohibited_promise" in cats(fs)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh-CN", "agent: 放心，本金肯定不会少"),
        ("en", "agent: You basically can't lose money on this"),
        ("en", "agent: Honestly your money is totally protected, it only goes up"),
    ],
)
def test_promise_paraphrases_caught_by_classifier(lang, text):
    assert "prohibited_promise" in cats(make(lang, text, products=(FUND_R4,)))


# --- disclosures --------------------------------------------------------------------------


def test_risk_disclosure_missing_and_late_but_present():
    fs = make("zh-CN", "agent: 推荐您申购成长基金", "customer: 好", products=(FUND_R4,))
    assert "missing_risk_disclosure" in cats(fs)
    late = make(
        "zh-CN",
        "agent: 推荐您申购成长基金",
        "customer: 好",
        "agent: 最后提醒，投资有风险",
        products=(FUND_R4,),
    )
    assert "missing_risk_disclosure" not in cats(late)
    en = make("en", "agent: Our Global Tech Fund is doing great", products=(FUND_EN,))
    assert "missing_risk_disclosure" in cats(en)
    en_late = make(
        "en",
        "agent: Our Global Tech Fund is doing great",
        "customer: nice",
        "agent: remember the value can go down as well as up",
        products=(FUND_EN,),
    )
    assert "missing_risk_disclosure" not in cats(en_late)


def test_rate_disclosure():
    assert "missing_rate_disclosure" in cats(
        make("zh-CN", "agent: 每月只需还三百", products=(LOAN,))
    )
    ok = make("zh-CN", "agent: 每月只需还三百", "agent: 年化利率百分之九", products=(LOAN,))
    assert "missing_rate_disclosure" not in cats(ok)
    assert "missing_rate_disclosure" in cats(
        make("en", "agent: only 99 per month", products=(LOAN,))
    )
    ok_en = make("en", "agent: only 99 per month", "agent: that's 12.9% APR", products=(LOAN,))
    assert "missing_rate_disclosure" not in cats(ok_en)


# --- suitability ----------------------------------------------------------------------------


def test_suitability():
    c2 = CustomerInfo(risk_rating=2)
    fs = make("zh-CN", "agent: 我推荐您买成长基金", customer=c2, products=(FUND_R4,))
    f = next(f for f in fs if f.category == "suitability_mismatch")
    assert "R4" in f.detail and "C2" in f.detail
    c5 = CustomerInfo(risk_rating=5)
    assert "suitability_mismatch" not in cats(
        make("zh-CN", "agent: 我推荐您买成长基金", customer=c5, products=(FUND_R4,))
    )
    en = make("en", "agent: I'd recommend the Global Tech Fund", customer=c2, products=(FUND_EN,))
    assert "suitability_mismatch" in cats(en)
    # missing risk level → pack default (3) applies: R3 > C2
    unknown = ProductInfo(code="F9", name="Mystery Fund", type="fund", risk_level=None)
    fs = make("en", "agent: I'd recommend the Mystery Fund", customer=c2, products=(unknown,))
    assert "suitability_mismatch" in cats(fs)


# --- identity ------------------------------------------------------------------------------


def test_identity_ordering():
    before = make(
        "zh-CN", "customer: 查余额", "agent: 您的余额是三千元", "agent: 请核实一下您的身份"
    )
    assert "identity_not_verified" in cats(before)
    after = make(
        "zh-CN",
        "agent: 请先核实一下您的身份",
        "customer: 身份证后四位1234",
        "agent: 您的余额是三千元",
    )
    assert "identity_not_verified" not in cats(after)
    en = make("en", "customer: hi", "agent: your balance is 50 pounds")
    assert "identity_not_verified" in cats(en)
    c = ContactInput(
        id="x",
        language="en",
        identity_verified=True,
        utterances=(Utterance("agent", "your balance is 50 pounds"),),
    )
    assert "identity_not_verified" not in cats(inspect(c, pack="uk"))


# --- sensitive data ------------------------------------------------------------------------


def test_sensitive_data():
    assert "sensitive_data_exposure" in cats(make("zh-CN", "agent: 把验证码告诉我"))
    assert "sensitive_data_exposure" not in cats(make("zh-CN", "agent: 请勿把验证码告诉他人"))
    assert "sensitive_data_exposure" in cats(make("en", "agent: what's your PIN?"))
    assert "sensitive_data_exposure" not in cats(make("en", "agent: never tell anyone your PIN"))
    assert "sensitive_data_exposure" in cats(make("en", "agent: card 4111 1111 1111 1111 right?"))
    assert "sensitive_data_exposure" not in cats(make("en", "customer: what's your PIN policy?"))


# --- misconduct, complaint -----------------------------------------------------------------


def test_misconduct_and_complaint():
    assert "agent_misconduct" in cats(make("zh-CN", "agent: 你听不懂人话吗"))
    assert "agent_misconduct" not in cats(make("zh-CN", "customer: 你听不懂人话吗"))
    assert "agent_misconduct" in cats(make("en", "agent: are you stupid or what"))
    assert "complaint_risk" in cats(make("zh-CN", "customer: 我要投诉你们"))
    assert "complaint_risk" not in cats(make("zh-CN", "agent: 如需投诉可以拨打热线"))
    assert "complaint_risk" not in cats(make("zh-CN", "customer: 我不是要投诉"))
    assert "complaint_risk" in cats(make("en", "customer: I'll report you to the regulator"))
    assert "complaint_risk" not in cats(make("en", "customer: I don't want to complain"))


# --- refusal, calling hours ----------------------------------------------------------------


def test_continued_after_refusal_outbound_only():
    turns = (
        "agent: 介绍一款理财",
        "customer: 不需要",
        "agent: 收益很好",
        "customer: 不感兴趣",
        "agent: 再给您介绍一下这个产品",
    )
    assert "continued_after_refusal" in cats(make("zh-CN", *turns, direction="outbound"))
    assert "continued_after_refusal" not in cats(make("zh-CN", *turns, direction="inbound"))
    strong = make(
        "en",
        "agent: special offer",
        "customer: don't call me again",
        "agent: but this offer is great",
        direction="outbound",
    )
    assert "continued_after_refusal" in cats(strong)
    polite = make(
        "en",
        "agent: special offer",
        "customer: don't call me again",
        "agent: understood, sorry to bother you",
        direction="outbound",
    )
    assert "continued_after_refusal" not in cats(polite)


@pytest.mark.parametrize(
    ("local", "tz", "violation"),
    [
        ("2026-03-01T19:59:00+08:00", "Asia/Shanghai", False),
        ("2026-03-01T20:00:00+08:00", "Asia/Shanghai", True),
        ("2026-03-01T08:00:00+08:00", "Asia/Shanghai", False),
        ("2026-03-01T07:59:59+08:00", "Asia/Shanghai", True),
        # UTC timestamp, customer in Shanghai: 12:30Z = 20:30 local
        ("2026-03-01T12:30:00+00:00", "Asia/Shanghai", True),
        ("2026-03-01T11:59:00+00:00", "Asia/Shanghai", False),
        # no customer timezone: the pack default (Asia/Shanghai) applies
        ("2026-03-01T12:30:00+00:00", None, True),
    ],
)
def test_calling_hours(local, tz, violation):
    fs = make(
        "zh-CN",
        "agent: 您好",
        direction="outbound",
        started_at=datetime.fromisoformat(local),
        customer=CustomerInfo(timezone=tz),
    )
    assert ("calling_hours_violation" in cats(fs)) == violation


def test_findings_carry_evidence_fields():
    c = ContactInput(
        id="con_1",
        language="zh-CN",
        agent_id="agt_1",
        utterances=(Utterance("agent", "您好"), Utterance("agent", "这个稳赚不赔", start=12.5)),
        products=(FUND_R4,),
    )
    res = inspect_contact(c, pack=get_pack("cn-mainland"))
    f = next(f for f in res.findings if f.category == "prohibited_promise")
    assert (f.contact_id, f.utterance_index, f.start) == ("con_1", 1, 12.5)
    assert (f.pack_id, f.pack_version) == ("cn-mainland", get_pack("cn-mainland").version)
    assert f.evidence.text == "稳赚不赔"
    assert "这个稳赚不赔"[f.evidence.char_start : f.evidence.char_end] == "稳赚不赔"


def test_traditional_evidence_offsets_point_into_original_text():
    fs = make("zh-HK", "agent: 你放心，呢個產品穩賺不賠", products=(FUND_R4,))
    f = next(f for f in fs if f.rule_id == "ZH-PP-001")
    assert f.evidence.text == "穩賺不賠"


def test_check_live_returns_draft_findings_only():
    fs = check_live(
        "这个产品保本保息",
        speaker="agent",
        language="zh-CN",
        pack="cn-mainland",
        context={"history": [{"speaker": "customer", "text": "我要投诉"}]},
    )
    assert {f.category for f in fs} == {"prohibited_promise"}
    assert all(f.utterance_index == 1 for f in fs)
    assert check_live("Happy to help", speaker="agent", language="en", pack="us") == []
    verified = check_live(
        "your balance is 20 dollars", language="en", pack="us", context={"identity_verified": True}
    )
    assert verified == []


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(max_size=80), min_size=0, max_size=6),
    lang=st.sampled_from(["zh-CN", "zh-HK", "en"]),
    speaker=st.sampled_from(["agent", "customer", "bot"]),
)
def test_engine_never_raises_on_arbitrary_text(texts, lang, speaker):
    utts = tuple(Utterance(speaker=speaker, text=t) for t in texts)
    c = ContactInput(
        id="h",
        language=lang,
        utterances=utts,
        products=(FUND_R4,),
        customer=CustomerInfo(risk_rating=1),
        direction="outbound",
    )
    for f in inspect(c, pack="hk"):
        assert f.utterance_index is None or 0 <= f.utterance_index < len(utts)
        if f.evidence is not None:
            assert 0 <= f.evidence.char_start <= f.evidence.char_end
