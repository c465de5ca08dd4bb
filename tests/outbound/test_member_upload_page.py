"""The campaign page's member upload form: CSRF, permission, both modes, unreadable files."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from fincall.customers.models import Customer
from fincall.outbound.models import CampaignMember


def _campaign(world) -> str:
    r = world.client.post(
        "/api/outbound/campaigns",
        json={"name": "Reminder", "purpose": "service", "queue_id": "cards"},
        headers=world.headers("supervisor"),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


USERNAMES = {"supervisor": "supervisor", "compliance_officer": "compliance"}  # the demo logins


def _login(world, role: str) -> str:
    """Log the test client in through the login page; the campaign pages' CSRF token."""
    client = world.client
    client.cookies.clear()
    resp = client.post(
        "/login",
        data={
            "username": USERNAMES[role],
            "password": world.passwords[role],
            "next": "/outbound",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = client.get("/outbound")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def _members(world, campaign_id: str) -> int:
    with world.runtime.transaction() as s:
        return s.execute(
            select(func.count())
            .select_from(CampaignMember)
            .where(CampaignMember.campaign_id == campaign_id)
        ).scalar_one()


def _ids(world, n: int) -> list[str]:
    with world.runtime.transaction() as s:
        stmt = select(Customer.id).where(Customer.region == "CN").order_by(Customer.id).limit(n)
        return list(s.execute(stmt).scalars())


def _upload(world, campaign_id: str, csrf: str | None, body: bytes, mode: str = "valid_rows"):
    query = f"?csrf={csrf}" if csrf else ""
    return world.client.post(
        f"/outbound/campaigns/{campaign_id}/members/upload{query}",
        files={"file": ("members.csv", body, "text/csv")},
        data={"mode": mode},
    )


def _report_lines(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-line="(\d+)" data-code="([a-z_]+)">', html)


def test_upload_form_imports_valid_rows_and_reports_the_bad_line(ob_world):
    campaign_id = _campaign(ob_world)
    a, b = _ids(ob_world, 2)
    csrf = _login(ob_world, "supervisor")
    page = ob_world.client.get(f"/outbound/campaigns/{campaign_id}")
    assert 'id="member-upload"' in page.text
    body = f"customer_id\n{a}\ncus_nobody\n{b}\n".encode()
    assert _upload(ob_world, campaign_id, None, body).status_code == 403  # no CSRF token
    assert _members(ob_world, campaign_id) == 0
    r = _upload(ob_world, campaign_id, csrf, body)
    assert r.status_code == 200, r.text
    assert _report_lines(r.text) == [("3", "unknown_customer")]
    assert '<b id="upload-added">2</b>' in r.text
    assert _members(ob_world, campaign_id) == 2


def test_all_or_nothing_upload_imports_nothing_and_answers_422(ob_world):
    campaign_id = _campaign(ob_world)
    [a] = _ids(ob_world, 1)
    csrf = _login(ob_world, "supervisor")
    body = f"customer_id,timezone\n{a},Asia/Shanghai\n{a},Mars/Olympus\n".encode()
    r = _upload(ob_world, campaign_id, csrf, body, mode="all_or_nothing")
    assert r.status_code == 422
    assert 'data-outcome="rejected"' in r.text and "nothing imported" in r.text
    assert _report_lines(r.text) == [("3", "unknown_timezone"), ("3", "duplicate")]
    assert _members(ob_world, campaign_id) == 0


def test_unreadable_files_name_the_line(ob_world):
    campaign_id = _campaign(ob_world)
    [a] = _ids(ob_world, 1)
    csrf = _login(ob_world, "supervisor")
    latin1 = f"customer_id,name\n{a},Zoe\ncus_x,Jos\xe9\n".encode("latin-1")
    r = _upload(ob_world, campaign_id, csrf, latin1)
    assert r.status_code == 422
    assert "members.csv: line 3: not UTF-8 text" in r.text
    no_id = _upload(ob_world, campaign_id, csrf, b"name,city\nZoe,Shanghai\n")
    assert no_id.status_code == 422
    assert "line 1: a customer_id or phone column is required" in no_id.text
    assert _members(ob_world, campaign_id) == 0


def test_upload_form_needs_the_write_permission(ob_world):
    campaign_id = _campaign(ob_world)
    [a] = _ids(ob_world, 1)
    csrf = _login(ob_world, "compliance_officer")  # may read campaigns, not change them
    page = ob_world.client.get(f"/outbound/campaigns/{campaign_id}")
    assert page.status_code == 200 and 'id="member-upload"' not in page.text
    r = _upload(ob_world, campaign_id, csrf, f"customer_id\n{a}\n".encode())
    assert r.status_code == 403
    assert _members(ob_world, campaign_id) == 0
