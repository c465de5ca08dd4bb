"""The whole desk in a real browser: a customer chats from the bank's page, the agent accepts
on the desktop, they talk, the agent wraps up, and the supervisor wall shows it handled."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from fincall.agents.models import Agent
from fincall.auth.models import User

pytestmark = pytest.mark.browser


def login(page, live_url, username, password):
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1[data-role]")


def only_demo_agent_available(world) -> str:
    with world.runtime.transaction() as session:
        user = session.execute(select(User).where(User.role == "agent")).scalars().first()
        for a in session.execute(select(Agent)).scalars():
            a.state = "offline"
        me = session.get(Agent, user.agent_id)
        me.languages, me.shifts = ["en"], []
        return me.id


def test_chat_routed_answered_wrapped_up_and_seen_on_the_wall(browser, live_url, world):
    only_demo_agent_available(world)
    shots = os.environ.get("FINCALL_SCREENSHOTS")
    agent_ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    customer_ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    sup_ctx = browser.new_context(viewport={"width": 1360, "height": 1000})
    try:
        desk = agent_ctx.new_page()
        login(desk, live_url, "agent", world.passwords["agent"])
        desk.goto(f"{live_url}/desk")
        desk.wait_for_selector("body[data-desk-ready]")
        assert "Set yourself available" in desk.inner_text("#conversation")
        desk.click("button.state-btn[data-state=available]")
        desk.wait_for_function("document.querySelector('#my-state').textContent === 'available'")
        assert "New contacts are offered here" in desk.inner_text("#conversation")

        site = customer_ctx.new_page()
        site.goto(f"{live_url}/chat-demo?lang=en")
        site.click("#fc-chat-btn")
        site.wait_for_selector("#fc-log .fc-bot")
        site.fill("#fc-input", "Hello, I lost my credit card and need help")
        site.press("#fc-input", "Enter")
        site.wait_for_selector("#fc-chat[data-status=queued]")

        desk.wait_for_selector(".offer button.accept", timeout=15000)
        if shots:
            desk.screenshot(path=os.path.join(shots, "desk-offer.png"))
        desk.click(".offer button.accept")
        desk.wait_for_selector(".log .utt.customer")
        assert "lost my credit card" in desk.inner_text(".log")
        site.wait_for_selector("#fc-chat[data-status=connected]")

        desk.fill("#draft", "I'm sorry to hear that. I will block the card for you now.")
        with desk.expect_response(lambda r: "/messages" in r.url) as sent:
            desk.click("#send")
        assert sent.value.status == 201
        site.wait_for_selector("#fc-log .fc-agent")
        assert "block the card" in site.inner_text("#fc-log .fc-agent")

        # a prohibited promise is blocked before it reaches the customer
        desk.fill("#draft", "Also our fund is guaranteed returns, you can't lose money.")
        desk.wait_for_selector("#findings .finding.block", timeout=10000)
        assert desk.is_disabled("#send")
        desk.fill("#draft", "")

        site.fill("#fc-input", "Thank you!")
        site.press("#fc-input", "Enter")
        desk.wait_for_function(
            "Array.from(document.querySelectorAll('.log .utt.customer'))"
            ".some(e => e.textContent.includes('Thank you!'))"
        )
        if shots:
            desk.screenshot(path=os.path.join(shots, "desk-conversation.png"))
            site.screenshot(path=os.path.join(shots, "chat-widget.png"))
        desk.select_option("#dispo", "resolved")
        desk.click("#wrap")
        site.wait_for_selector("#fc-chat[data-status=ended]")

        wall = sup_ctx.new_page()
        login(wall, live_url, "supervisor", world.passwords["supervisor"])
        wall.goto(f"{live_url}/wall")
        wall.wait_for_selector("body[data-wall-ready]")
        answered = wall.inner_text("#queues tr[data-queue=general-en] td.answered")
        assert int(answered) >= 1
        assert re.search(r"Answered today\s*\d+", wall.inner_text("#kpis"))
        if shots:
            wall.screenshot(path=os.path.join(shots, "wall.png"), full_page=True)
    finally:
        for ctx in (agent_ctx, customer_ctx, sup_ctx):
            ctx.close()
