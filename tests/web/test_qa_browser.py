"""Real browser: a QA analyst filters the QA console and opens a contact's highlighted finding."""

from __future__ import annotations

import os

import pytest

from fincall.core.db import Base
from fincall.qa import pipeline
from fincall.qa.models import TABLES
from tests.qa.conftest import PROMISE, make_contact, pick
from tests.web.test_pages_browser import login

pytestmark = pytest.mark.browser


@pytest.fixture
def promise_contact(world) -> str:
    """QA tables plus one inspected contact with a prohibited promise (before the server starts)."""
    Base.metadata.create_all(world.runtime.engine, tables=TABLES)
    cus, agent = pick(world, region="US", language="en")
    cid = make_contact(world, PROMISE, customer_id=cus, agent_id=agent)
    assert pipeline.process_contact(world.runtime, cid)
    return cid


def _shot(page, name: str) -> None:
    shots = os.environ.get("FINCALL_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, name), full_page=True)


def test_qa_filters_by_category_and_sees_the_highlighted_finding(
    promise_contact, page, live_url, world
):
    login(page, live_url, world, "qa_analyst")
    page.click("header.top a[href='/qa']")
    page.wait_for_selector("#qa-findings")
    assert page.inner_text("h1") == "Quality inspection"
    page.wait_for_selector("#chart-category[data-rendered='1'] canvas")
    page.select_option("select[name=category]", "prohibited_promise")
    page.wait_for_url("**/qa?*category=prohibited_promise*")
    rows = page.locator("#qa-findings tbody tr[data-category]")
    assert rows.count() >= 1
    cats = set(rows.evaluate_all("rs => rs.map(r => r.dataset.category)"))
    assert cats == {"prohibited_promise"}
    _shot(page, "qa-console.png")
    page.click(f"#qa-findings a[href='/qa/contacts/{promise_contact}']")
    page.wait_for_selector(".qa-transcript")
    marks = page.locator("#u1 mark").evaluate_all(
        "ms => ms.map(m => [m.innerText.toLowerCase(), m.title, m.className])"
    )
    promise = [m for m in marks if "EN-PP-001" in m[1]]
    assert promise == [["guaranteed returns", promise[0][1], "sev-critical"]]
    tag = page.inner_text("#u1 .qa-tag")
    assert "prohibited promise" in tag and "EN-PP-001" in tag and "critical" in tag
    assert "failed" in page.inner_text("#qa-verdict")
    _shot(page, "qa-contact.png")
    page.click("text=Re-inspect now")
    page.wait_for_selector("text=inspection v2")
    assert page.locator("#u1 mark[title*='EN-PP-001']").count() == 1


def test_supervisor_sees_and_closes_a_coaching_task(world, page, live_url):
    Base.metadata.create_all(world.runtime.engine, tables=TABLES)
    cus, agent = pick(world, region="US", language="en")
    for _ in range(3):
        cid = make_contact(world, PROMISE, customer_id=cus, agent_id=agent)
        pipeline.process_contact(world.runtime, cid)
    login(page, live_url, world, "supervisor")
    page.goto(f"{live_url}/qa")
    page.wait_for_selector("#coaching")
    assert "mandatory retraining" in page.inner_text("#coaching")
    _shot(page, "qa-coaching.png")
    page.click("#coaching button:has-text('Mark done')")
    page.wait_for_selector("#coaching [data-status=done]")
