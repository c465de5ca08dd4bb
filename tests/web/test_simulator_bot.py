"""The traffic simulator against a bot that asks before it hands over (as the intent-driven
flow does when it is unsure): the synthetic customer answers by asking for an agent, the way
people do, so every chat still reaches an adviser with nothing lost."""

from __future__ import annotations

import pytest

from fincall.channels.chat.bot import BotTurn, Handoff, language_queue
from tests.web.test_simulator import simulate


class ClarifyingBot:
    """Asks what the customer means on the first message; hands over on the next one."""

    def greet(self, *, session, contact_id, language, attributes) -> BotTurn:
        return BotTurn(replies=["Hello, how can I help?"])

    def on_message(
        self, *, session, contact_id, attributes, language, text, customer_id, verified
    ) -> BotTurn:
        asked = attributes.get("asked", 0)
        attributes["asked"] = asked + 1
        if not asked:
            return BotTurn(replies=["Did you mean: 1) a card payment, 2) a transfer?"])
        return BotTurn(
            replies=["Connecting you."],
            handoff=Handoff(queue_id=language_queue(language), summary={"said": text}),
        )


@pytest.fixture
def configure_app():
    def setup(app) -> None:
        app.state.chat_bot = ClarifyingBot()

    return setup


def test_simulated_customers_answer_the_bot_and_reach_an_agent(world, live_url, tmp_path):
    report = simulate(world, live_url, tmp_path, chats=4, turns=2)
    assert report["bot_questions_answered"] == 4  # one answer each, then the hand-over
    # each customer line, each answer to the bot and each agent reply arrive exactly once
    assert report["messages_sent"] == 4 * 2 * 2 + 4
    assert report["messages_received"] == report["messages_sent"]
    assert report["messages_lost"] == report["messages_duplicated"] == 0
