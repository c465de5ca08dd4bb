"""Sentiment on the pages, in a real browser: a chat customer turns angry during the
conversation; the agent's desk shows an alert and the supervisor wall a badge, both live."""

from __future__ import annotations

import pytest

from tests.web.test_desk_wall_browser import login, only_demo_agent_available

pytestmark = pytest.mark.browser


@pytest.fixture
def configure_app(sentiment_analyzer):
    def setup(app) -> None:
        app.state.sentiment_scorer = sentiment_analyzer.score

    return setup


def test_angry_chat_customer_alerts_the_desk_and_badges_the_wall(browser, live_url, world):
    only_demo_agent_available(world)
    agent_ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    customer_ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    sup_ctx = browser.new_context(viewport={"width": 1360, "height": 1000})
    try:
        wall = sup_ctx.new_page()
        login(wall, live_url, "supervisor", world.passwords["supervisor"])
        wall.goto(f"{live_url}/wall")
        wall.wait_for_selector("body[data-wall-ready]")

        desk = agent_ctx.new_page()
        login(desk, live_url, "agent", world.passwords["agent"])
        desk.goto(f"{live_url}/desk")
        desk.wait_for_selector("body[data-desk-ready]")
        desk.click("button.state-btn[data-state=available]")
        desk.wait_for_function("document.querySelector('#my-state').textContent === 'available'")

        site = customer_ctx.new_page()
        site.goto(f"{live_url}/chat-demo?lang=en")
        site.click("#fc-chat-btn")
        site.wait_for_selector("#fc-log .fc-bot")
        site.fill("#fc-input", "Hello, I have a question about my card")
        site.press("#fc-input", "Enter")
        desk.wait_for_selector(".offer button.accept", timeout=15000)
        desk.click(".offer button.accept")
        desk.wait_for_selector(".log .utt.customer")
        site.wait_for_selector("#fc-chat[data-status=connected]")
        assert desk.inner_text("#sentiment-alert") == ""
        wall.wait_for_selector("#active tr[data-contact]")
        assert wall.query_selector("#active .badge.sentiment") is None

        site.fill("#fc-input", "This is unacceptable, I am furious with your useless service!")
        site.press("#fc-input", "Enter")
        alert = desk.wait_for_selector(
            "#sentiment-alert .sentiment-alert[data-sentiment=angry]", timeout=20000
        )
        assert "angry" in alert.inner_text()
        assert desk.query_selector("#tabs button.upset") is not None
        badge = wall.wait_for_selector(
            "#active tr[data-contact] .badge.sentiment[data-sentiment=angry]", timeout=20000
        )
        assert badge.inner_text() == "angry"
    finally:
        for ctx in (agent_ctx, customer_ctx, sup_ctx):
            ctx.close()
