"""The agent desk highlights the customer's holdings that moved more than the threshold today."""

from __future__ import annotations

import pytest

from tests.customers.test_holding_day_move import QUOTES, FixedQuotes, make_holder
from tests.web.test_desk_wall_browser import login

pytestmark = pytest.mark.browser


@pytest.fixture
def configure_app():
    def setup(app) -> None:
        app.state.market_data = FixedQuotes(QUOTES)

    return setup


def test_desk_highlights_the_moved_holding(page, live_url, world):
    make_holder(world)
    login(page, live_url, "agent", world.passwords["agent"])
    page.goto(f"{live_url}/desk")
    row = page.wait_for_selector("#holdings tr[data-holding=FND02]", timeout=15000)
    assert row.get_attribute("class") == "holding-moved"
    assert "+4.00%" in row.inner_text() and "moved > 2%" in row.inner_text()
    calm = page.query_selector("#holdings tr[data-holding=FND01]")
    assert calm.get_attribute("data-moved") is None and "+1.00%" in calm.inner_text()
