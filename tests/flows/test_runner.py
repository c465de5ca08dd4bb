"""The main banking flow end to end through FlowRunner with demo banking."""

from __future__ import annotations

from sqlalchemy import select

from fincall.flows.engine import FlowRunner, FlowState
from fincall.flows.models import BankCard, BankCase
from fincall.flows.types import SentimentReading


def _to_menu(runner, lang_digit: str = "1"):
    out = runner.start()
    assert out.prompt is not None and out.prompt.input == "choice"
    return runner.on_digits(lang_digit)


def _all_text(outputs) -> str:
    return "\n".join(t for o in outputs for t in o.texts)


def test_balance_is_never_given_before_verification(make_runner, banking, last_otp):
    runner = make_runner()
    outs = [_to_menu(runner)]
    outs.append(runner.on_text("What's my balance?"))
    assert outs[-1].prompt is not None and outs[-1].prompt.step_id == "balance_verify"
    assert outs[-1].prompt.max_digits == 6
    balances = banking.get_balance("cus_demo_alice")
    amounts = [f"{b.balance:,.2f}" for b in balances]
    outs.append(runner.on_text("000000" if last_otp() != "000000" else "111111"))
    assert not any(a in _all_text(outs) for a in amounts)
    assert runner.state.verified is False
    assert any(e.kind == "verification_failed" for e in runner.events)
    outs.append(runner.on_text(f"the code is {last_otp()}"))
    assert runner.state.verified is True
    assert all(a in _all_text(outs[-1:]) for a in amounts)


def test_failed_verification_hands_off_unverified(make_runner, banking):
    runner = make_runner()
    _to_menu(runner)
    runner.on_text("balance please")
    out = None
    for _ in range(3):
        out = runner.on_text("123")
    assert out is not None and out.handoff is not None
    assert out.handoff.reason == "verification_failed"
    assert out.handoff.verified is False
    amounts = [f"{b.balance:,.2f}" for b in banking.get_balance("cus_demo_alice")]
    assert not any(a in t.text for t in out.handoff.transcript for a in amounts)


def test_lost_card_freezes_card_and_opens_case(make_runner, session):
    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_alice")).first()
    runner = make_runner()
    _to_menu(runner)
    out = runner.on_text("I lost my card")
    assert out.prompt is not None and out.prompt.step_id == "lost_card_collect"
    out = runner.on_text(f"it ends with {card.last4}")
    session.refresh(card)
    assert card.status == "frozen" and card.frozen_at is not None
    case = session.scalars(select(BankCase).where(BankCase.card_id == card.id)).one()
    assert case.kind == "card_lost" and case.status == "open"
    assert any(case.id in t and card.last4 in t for t in out.texts)
    assert f"freeze_card:{case.id}" in runner.state.actions_done


def test_lost_card_uses_entity_already_given(make_runner, session, last4_extractor):
    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_alice")).first()
    runner = make_runner(extractor=last4_extractor)
    _to_menu(runner)
    out = runner.on_text(f"I lost my card ending {card.last4}")
    assert "lost_card_collect" not in [m.step_id for m in out.messages]
    session.refresh(card)
    assert card.status == "frozen"


def test_unknown_card_is_handed_to_card_team(make_runner, session):
    runner = make_runner()
    _to_menu(runner)
    runner.on_text("my card was stolen")
    owned = {c.last4 for c in session.scalars(select(BankCard))}
    missing = next(f"{n:04d}" for n in range(10000) if f"{n:04d}" not in owned)
    out = runner.on_text(missing)
    assert out.handoff is not None and out.handoff.queue == "cards"
    assert session.scalars(select(BankCase)).first() is None


def test_pin_reset_never_asks_for_the_pin(make_runner, session, sms, last_otp):
    runner = make_runner()
    outs = [_to_menu(runner), runner.on_text("I need to reset my PIN")]
    prompts = [o.prompt for o in outs if o.prompt]
    outs.append(runner.on_text(last_otp()))
    prompts += [o.prompt for o in outs[-1:] if o.prompt]
    steps = [runner.flow.steps[p.step_id] for p in prompts]
    assert {s.type for s in steps} <= {"ask", "classify", "verify_identity"}
    assert "https://bank.example/pin/" in sms[-1][1]
    case = session.scalars(select(BankCase).where(BankCase.kind == "pin_reset")).one()
    assert case.id in _all_text(outs)
    assert any(
        e.kind == "action_done" and e.detail["action"] == "start_pin_reset" for e in runner.events
    )


def test_handoff_carries_full_context(make_runner, last_otp):
    def sentiment(turns):
        angry = any("ridiculous" in t.text for t in turns if t.speaker == "customer")
        return SentimentReading("negative", -0.8, flagged=True) if angry else None

    runner = make_runner(sentiment=sentiment)
    _to_menu(runner)
    runner.on_text("show me my balance")
    runner.on_text(last_otp())
    runner.on_digits("1")  # anything else: yes
    out = runner.on_text("This is ridiculous, I want to complain about a fee")
    h = out.handoff
    assert h is not None and out.ended
    assert h.queue == "complaints" and h.skills == {"complaints": 3}
    assert h.intent == "complaint" and h.confidence == 0.92
    assert h.verified is True and h.verification_method == "otp"
    assert h.sentiment is not None and h.sentiment.label == "negative"
    assert h.priority == 2  # complaint priority 1, raised by the flagged sentiment
    customer_lines = [t.text for t in h.transcript if t.speaker == "customer"]
    assert "show me my balance" in customer_lines
    assert customer_lines[-1].startswith("This is ridiculous")
    assert h.actions_done == ("balance:ok",)
    assert h.summary()["transcript"][0]["speaker"] == "bot"


def test_low_confidence_asks_to_clarify_then_hands_off(make_runner):
    runner = make_runner()
    _to_menu(runner)
    out = runner.on_text("hmm the thing with the stuff")
    assert out.prompt is not None and out.prompt.step_id == "clarify"
    assert "1. Check my balance" in out.prompt.text and "2. Report a lost" in out.prompt.text
    assert [o.digits for o in out.prompt.options] == ["1", "2", "3"]
    out = runner.on_text("no idea really")
    assert out.handoff is not None and out.handoff.reason == "low_confidence"
    assert out.handoff.alternatives  # the agent sees what the bot considered


def test_clarify_answer_by_number_picks_the_alternative(make_runner):
    runner = make_runner()
    _to_menu(runner)
    runner.on_text("hmm the thing with the stuff")
    out = runner.on_text("2")
    assert runner.state.intent == "lost_or_stolen_card"
    assert out.prompt is not None and out.prompt.step_id == "lost_card_collect"


def test_chinese_conversation(make_runner, session):
    card = session.scalars(select(BankCard).where(BankCard.customer_id == "cus_demo_alice")).first()
    runner = make_runner(language="en")
    runner.start()
    out = runner.on_text("普通话")
    assert runner.state.language == "zh"
    assert "请问有什么可以帮您" in out.texts[-1]
    out = runner.on_text("我的卡丢了")
    assert "最后4位" in out.prompt.text
    out = runner.on_text(f"尾号{card.last4}")
    assert any("已冻结" in t for t in out.texts)
    assert all(m.language == "zh" for m in out.messages)


def test_ivr_digits_menu_and_fx_quote(make_runner):
    runner = make_runner()
    _to_menu(runner, "2")
    out = runner.on_digits("4")
    assert out.prompt.step_id == "fx_collect"
    out = runner.on_text("美元兑港币")
    assert any("USD/HKD" in t and "买入价" in t for t in out.texts)


def test_transfer_status_failed_offers_agent(make_runner, banking, session, last_otp):
    from fincall.flows.models import BankTransfer

    failed = session.scalars(
        select(BankTransfer).where(
            BankTransfer.customer_id == "cus_demo_alice", BankTransfer.status == "failed"
        )
    ).one()
    runner = make_runner()
    _to_menu(runner)
    runner.on_text("where is my transfer")
    runner.on_text(last_otp())
    out = runner.on_text(failed.reference.lower())
    assert any("did not go through" in t for t in out.texts)
    assert out.prompt.step_id == "transfer_offer_agent"
    out = runner.on_text("yes please")
    assert out.handoff.queue == "payments"
    assert out.handoff.entities["transfer_reference"] == failed.reference


def test_no_input_reprompts_then_hands_off(make_runner):
    runner = make_runner()
    _to_menu(runner)
    first = runner.on_timeout()
    assert first.prompt is not None and first.texts[0] == "Sorry, I didn't get an answer."
    runner.on_timeout()
    out = runner.on_timeout()
    assert out.handoff is not None and out.handoff.reason == "no_match"


def test_state_round_trip_resumes_conversation(make_runner, flow, last_otp):
    runner = make_runner()
    _to_menu(runner)
    runner.on_text("balance")
    saved = runner.state.to_dict()
    resumed = FlowRunner(flow, runner.services, state=FlowState.from_dict(saved))
    out = resumed.on_text(last_otp())
    assert resumed.state.verified and any("balances" in t for t in out.texts)


def test_goodbye_ends(make_runner):
    runner = make_runner()
    _to_menu(runner)
    out = runner.on_text("bye")
    assert out.ended and out.handoff is None and out.texts[-1].endswith("Goodbye!")


def test_hong_kong_customers_get_traditional_characters(make_runner):
    runner = make_runner(language="zh-HK")
    out = runner.start()
    assert "歡迎" in out.texts[0]
    runner.on_digits("2")
    assert runner.state.language == "zh-HK"
    out = runner.on_text("I lost my card")
    assert "凍結這張卡" in out.prompt.text and "冻结" not in out.prompt.text


def test_state_is_json_serialisable(make_runner):
    import json

    runner = make_runner()
    _to_menu(runner)
    runner.on_text("hmm the thing with the stuff")
    restored = FlowState.from_dict(json.loads(json.dumps(runner.state.to_dict())))
    assert restored == runner.state
