"""Real browser: a person logs in and sees the home page of their role."""

from __future__ import annotations

import os

import pytest

from fincall.auth.permissions import Role

pytestmark = pytest.mark.browser

USERNAMES = {
    "agent": "agent",
    "supervisor": "supervisor",
    "qa_analyst": "qa",
    "compliance_officer": "compliance",
    "admin": "admin",
}
HEADINGS = {
    "agent": "Agent home",
    "supervisor": "Supervisor home",
    "qa_analyst": "Quality assurance home",
    "compliance_officer": "Compliance home",
    "admin": "Administration",
}


def login(page, live_url, world, role):
    page.goto(f"{live_url}/")
    assert "/login" in page.url
    page.fill("input[name=username]", USERNAMES[role])
    page.fill("input[name=password]", world.passwords[role])
    page.click("button[type=submit]")
    page.wait_for_selector("h1[data-role]")


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(page, live_url, world, role):
    login(page, live_url, world, role)
    assert page.inner_text("h1") == HEADINGS[role]
    assert page.get_attribute("h1", "data-role") == role
    shots = os.environ.get("FINCALL_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, f"home-{role}.png"), full_page=True)


def test_agent_opens_a_customer_and_sees_masked_phone(page, live_url, world):
    login(page, live_url, world, "agent")
    page.click("table a[href^='/customers/']")
    page.wait_for_selector("td.phone")
    phone = page.inner_text("td.phone")
    assert "*" in phone and phone.startswith("+")


def test_wrong_password_shows_a_reason(page, live_url, world):
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "definitely-wrong")
    page.click("button[type=submit]")
    assert "wrong username or password" in page.inner_text("[role=alert]")


def test_logout(page, live_url, world):
    login(page, live_url, world, "supervisor")
    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.goto(f"{live_url}/")
    assert "/login" in page.url
