"""Every bot reply passes the guard; account actions refuse to run before verification."""

from __future__ import annotations

from fincall.flows.loader import parse_flow

PROMISING = """\
id: promise
languages: [en, zh]
start: pitch
fallback_reply: {en: "Sorry, I can't answer that here.", zh: "抱歉，无法在此回答。"}
steps:
  pitch:
    type: say
    text:
      en: "Our fund has a guaranteed return of 8% a year!"
      zh: "我们的基金保证收益每年8%！"
    next: done
  done:
    type: end
    text: {en: "Bye.", zh: "再见。"}
"""

SHORTCUT = """\
id: shortcut
languages: [en]
start: peek
fallback_reply: "Sorry."
steps:
  peek:
    type: action
    name: balance
    next: tell
    on_error: refuse
  tell:
    type: say
    text: "Balance: {balance_text}"
    next: done
  refuse:
    type: say
    text: "I need to verify you first ({error_code})."
    next: done
  done:
    type: end
"""


def test_blocked_reply_is_never_sent(make_runner, guard):
    flow = parse_flow(PROMISING, source="promise.yaml")
    for lang, original in (("en", "guaranteed return"), ("zh", "保证收益")):
        runner = make_runner(the_flow=flow, language=lang)
        out = runner.start()
        assert all(original not in t for t in out.texts)
        assert out.messages[0].blocked is True
        assert out.messages[0].text == flow.fallback_reply[lang]
        assert out.messages[1].blocked is False
        assert all(original not in t.text for t in runner.state.transcript)
        blocked = [e for e in runner.events if e.kind == "reply_blocked"]
        assert len(blocked) == 1 and blocked[0].detail["rule_id"] == "no-promise"
    assert any("guaranteed return" in s for s in guard.seen)  # the guard saw the original


def test_every_reply_is_checked(make_runner, guard):
    runner = make_runner()
    out = runner.start()
    out2 = runner.on_digits("1")
    sent = [*out.texts, *out2.texts]
    assert sent and all(text in guard.seen for text in sent)


def test_balance_action_refused_without_verification(make_runner, banking):
    flow = parse_flow(SHORTCUT, source="shortcut.yaml")
    runner = make_runner(the_flow=flow)
    out = runner.start()
    amounts = [f"{b.balance:,.2f}" for b in banking.get_balance("cus_demo_alice")]
    assert not any(a in t for t in out.texts for a in amounts)
    assert "identity-verification-required" in out.texts[0]
    refused = [e for e in runner.events if e.kind == "action_refused"]
    assert refused and refused[0].detail == {"action": "balance", "why": "not_verified"}


def test_account_action_needs_a_known_customer(make_runner):
    flow = parse_flow(SHORTCUT, source="shortcut.yaml")
    runner = make_runner(the_flow=flow, customer_id=None)
    out = runner.start()
    assert "customer-unknown" in out.texts[0]


def test_anonymous_lost_card_goes_to_card_team(make_runner):
    runner = make_runner(customer_id=None)
    runner.start()
    runner.on_digits("1")
    out = runner.on_text("my card was stolen")
    assert out.handoff is not None and out.handoff.queue == "cards"
