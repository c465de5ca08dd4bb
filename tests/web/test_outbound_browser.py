"""Real browser: a supervisor opens the campaign page, sees block reasons and charts, starts it."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from fincall.outbound.models import Campaign

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_campaigns(world):
    """The demo tenant's two campaigns (seeded with it on first start)."""
    with world.runtime.transaction() as session:
        rows = session.execute(select(Campaign).order_by(Campaign.created_at)).scalars().all()
        return [(c.id, c.name) for c in rows]


def test_supervisor_sees_block_reasons_and_charts(demo_campaigns, page, live_url, world):
    page.goto(f"{live_url}/login?next=/outbound")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", world.passwords["supervisor"])
    page.click("button[type=submit]")
    page.wait_for_selector("table.outbound-campaigns")
    assert page.locator("table.outbound-campaigns tbody tr").count() == 2
    shots = os.environ.get("FINCALL_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "outbound-list.png"), full_page=True)
    marketing_id, marketing_name = demo_campaigns[1]
    page.click(f"a[href='/outbound/campaigns/{marketing_id}']")
    page.wait_for_selector("#block-reasons")
    assert marketing_name in page.inner_text("h1")
    assert "simulated" in page.inner_text("#simulated-badge")
    rules = page.locator("#block-reasons tbody tr[data-rule]")
    seen = {rules.nth(i).get_attribute("data-rule") for i in range(rules.count())}
    assert {"no_marketing_consent", "national_dnc", "calling_window"} <= seen
    counts = [int(rules.nth(i).locator("td").nth(1).inner_text()) for i in range(rules.count())]
    assert all(n > 0 for n in counts)
    page.wait_for_selector("#chart-blocks canvas")
    page.wait_for_selector("#chart-hours canvas")
    assert page.locator("#chart-hours .u-legend").count() == 1
    assert page.get_attribute("#csv-export", "href").endswith("/metrics.csv")
    if shots:
        page.screenshot(path=os.path.join(shots, "outbound-campaign.png"), full_page=True)
    assert page.inner_text("#campaign-status") == "paused"
    page.click("button[data-action=start]")
    page.wait_for_selector("button[data-action=pause]")
    assert page.inner_text("#campaign-status") == "running"


def test_supervisor_uploads_members_csv_and_sees_the_report(page, live_url, world):
    from sqlalchemy import func

    from fincall.auth import audit
    from fincall.customers.models import Customer
    from fincall.outbound import service as campaigns
    from fincall.outbound.models import CampaignMember

    with world.runtime.transaction() as session:
        campaign = campaigns.create(
            session=session,
            data={"name": "CSV upload", "purpose": "service", "queue_id": "cards"},
            actor=audit.Actor.system(),
        )
        campaign_id = campaign.id
        first, second = session.execute(
            select(Customer.id).where(Customer.region == "CN").order_by(Customer.id).limit(2)
        ).scalars()
    page.goto(f"{live_url}/login?next=/outbound/campaigns/{campaign_id}")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", world.passwords["supervisor"])
    page.click("button[type=submit]")
    page.wait_for_selector("#member-upload form")
    csv = f"customer_id,timezone\n{first},Asia/Shanghai\n{second},Mars/Olympus\n{second},\n"
    page.set_input_files(
        "#member-upload input[type=file]",
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": csv.encode()}],
    )
    page.click("#member-upload button[type=submit]")
    page.wait_for_selector("#upload-report")
    assert page.get_attribute("#upload-report", "data-outcome") == "imported"
    assert page.inner_text("#upload-added") == "2"
    bad = page.locator("#upload-errors tbody tr")
    assert bad.count() == 1
    assert bad.first.get_attribute("data-line") == "3"
    assert "unknown timezone 'Mars/Olympus'" in bad.first.inner_text()
    with world.runtime.transaction() as session:
        added = session.execute(
            select(func.count())
            .select_from(CampaignMember)
            .where(CampaignMember.campaign_id == campaign_id)
        ).scalar_one()
    assert added == 2
