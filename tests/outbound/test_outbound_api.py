"""The outbound HTTP API and the ``outbound check`` command against the world's database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from fincall.customers.models import Customer
from fincall.outbound import cli
from fincall.outbound.models import CampaignMember, NationalDncNumber

MONDAY_10_SHANGHAI = "2026-11-23T02:00:00+00:00"


def _customers(world, n=2, **flags):
    with world.runtime.transaction() as s:
        stmt = select(Customer).where(Customer.region == "CN", Customer.do_not_call.is_(False))
        for key, value in flags.items():
            stmt = stmt.where(getattr(Customer, key).is_(value))
        return [(c.id, c.phone) for c in s.execute(stmt.order_by(Customer.id).limit(n)).scalars()]


def _campaign(world, purpose="service", role="supervisor"):
    r = world.client.post(
        "/api/outbound/campaigns",
        json={"name": "Reminder", "purpose": purpose, "queue_id": "cards", "script_text": "Hi"},
        headers=world.headers(role),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_member_csv_reports_bad_rows_by_line_and_imports_the_rest(ob_world):
    w = ob_world
    camp = _campaign(w)
    (good, _), (second, phone) = _customers(w, 2)
    text = (
        "customer_id,phone,purpose\n"
        f"{good},,service\n"  # line 2: fine
        ",+86 12,\n"  # line 3: bad phone
        "cus_nobody,,\n"  # line 4: unknown customer
        f"{good},,\n"  # line 5: duplicate of line 2
        f",{phone},\n"  # line 6: found by phone
        f"{second},,marketing\n"  # line 7: purpose does not match the campaign
    )
    files = {"file": ("list.csv", text.encode(), "text/csv")}
    r = w.client.post(
        f"/api/outbound/campaigns/{camp['id']}/members/upload",
        files=files,
        data={"default_region": "CN"},
        headers=w.headers("supervisor"),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total_rows"] == 6 and report["added"] == 2
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (3, "bad_phone"),
        (4, "unknown_customer"),
        (5, "duplicate"),
        (7, "purpose_mismatch"),
    ]
    # All-or-nothing: the same kind of file is refused whole, with the report.
    other = _campaign(w)
    strict = w.client.post(
        f"/api/outbound/campaigns/{other['id']}/members/upload",
        files={"file": ("list.csv", text.encode(), "text/csv")},
        data={"all_or_nothing": "true", "default_region": "CN"},
        headers=w.headers("supervisor"),
    )
    assert strict.status_code == 422
    err = strict.json()["error"]
    assert err["code"] == "member-import-rejected"
    assert {e["line"] for e in err["report"]["errors"]} == {3, 4, 5, 7}
    with w.runtime.transaction() as s:
        n = s.execute(
            select(func.count())
            .select_from(CampaignMember)
            .where(CampaignMember.campaign_id == other["id"])
        ).scalar_one()
        assert n == 0
    headless = w.client.post(
        f"/api/outbound/campaigns/{other['id']}/members/upload",
        files={"file": ("empty.csv", b"\n", "text/csv")},
        headers=w.headers("supervisor"),
    )
    assert headless.status_code == 422 and "line 1" in headless.json()["error"]["message"]


def test_national_dnc_import_rejects_a_bad_line_then_blocks_numbers(ob_world):
    w = ob_world
    [(cid, phone)] = _customers(w, 1, consent_marketing=True)
    bad = f"phone\n{phone}\nnot-a-number\n+8613800138000\n"
    r = w.client.post(
        "/api/outbound/national-dnc/import",
        files={"file": ("registry.csv", bad.encode(), "text/csv")},
        headers=w.headers("compliance_officer"),
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "national-dnc-import-rejected"
    assert [e["line"] for e in err["errors"]] == [3] and "line 3" in err["message"]
    with w.runtime.transaction() as s:
        assert s.execute(select(func.count()).select_from(NationalDncNumber)).scalar_one() == 0
    ok = w.client.post(
        "/api/outbound/national-dnc/import",
        files={"file": ("registry.csv", f"phone\n{phone}\n".encode(), "text/csv")},
        headers=w.headers("compliance_officer"),
    )
    assert ok.status_code == 201 and ok.json()["added"] == 1
    check = w.client.get(
        f"/api/outbound/check/{cid}",
        params={"purpose": "marketing", "at": MONDAY_10_SHANGHAI},
        headers=w.headers("supervisor"),
    )
    assert check.status_code == 200
    body = check.json()
    assert body["allowed"] is False
    assert [b["rule"] for b in body["blocks"]] == ["national_dnc"]
    assert body["next_allowed_at"] is None
    service = w.client.get(
        f"/api/outbound/check/{cid}",
        params={"purpose": "service", "at": MONDAY_10_SHANGHAI},
        headers=w.headers("supervisor"),
    )
    assert service.json()["allowed"] is True


def test_dnc_add_and_remove_are_audited_and_change_the_gate(ob_world):
    w = ob_world
    [(cid, _)] = _customers(w, 1)
    add = w.client.post(
        "/api/outbound/dnc",
        json={"customer_id": cid, "purpose": "service"},
        headers=w.headers("supervisor"),
    )
    assert add.status_code == 201
    # the entry is in force from now on: ask about a Monday 10:00 in Shanghai after today
    params = {"purpose": "service", "at": "2036-11-24T02:00:00+00:00"}
    h = w.headers("supervisor")
    blocked = w.client.get(f"/api/outbound/check/{cid}", params=params, headers=h).json()
    assert [b["rule"] for b in blocked["blocks"]] == ["internal_dnc"]
    gone = w.client.delete(f"/api/outbound/dnc/{add.json()['id']}", headers=h)
    assert gone.status_code == 200 and gone.json()["removed_at"]
    assert w.client.get(f"/api/outbound/check/{cid}", params=params, headers=h).json()["allowed"]
    audit = w.client.get(
        "/api/audit/events", params={"entity_id": cid}, headers=w.headers("compliance_officer")
    )
    actions = [e["action"] for e in audit.json()]
    assert "dnc.add" in actions and "dnc.remove" in actions
    naive = w.client.get(
        f"/api/outbound/check/{cid}",
        params={"purpose": "service", "at": "2026-11-23T10:00"},
        headers=h,
    )
    assert naive.status_code == 422


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("agent", "get", "/api/outbound/campaigns", 403),
        ("qa_analyst", "get", "/api/outbound/campaigns", 403),
        ("compliance_officer", "get", "/api/outbound/campaigns", 200),
        ("compliance_officer", "post", "/api/outbound/campaigns", 403),
        ("agent", "post", "/api/outbound/dnc", 403),
        ("admin", "post", "/api/outbound/dnc", 403),
        ("qa_analyst", "get", "/api/outbound/check/cus_x?purpose=service", 403),
        ("agent", "get", "/outbound", 403),
    ],
)
def test_permissions(ob_world, role, method, path, status):
    body = {"customer_id": "x", "purpose": "service"} if "dnc" in path else {
        "name": "x", "purpose": "service", "queue_id": "cards"}  # fmt: skip
    kwargs = {"json": body} if method == "post" else {}
    r = getattr(ob_world.client, method)(path, headers=ob_world.headers(role), **kwargs)
    assert r.status_code == status, r.text


def test_campaign_lifecycle_metrics_and_csv(ob_world):
    w = ob_world
    h = w.headers("supervisor")
    camp = _campaign(w)
    add = w.client.post(
        f"/api/outbound/campaigns/{camp['id']}/members/query",
        json={"regions": ["CN"], "risk_min": 1, "risk_max": 5},
        headers=h,
    )
    assert add.status_code == 200 and add.json()["added"] == 14
    patched = w.client.patch(
        f"/api/outbound/campaigns/{camp['id']}", json={"script_text": "Hello v2"}, headers=h
    )
    assert patched.json()["script_version"] == 2
    assert (
        w.client.post(f"/api/outbound/campaigns/{camp['id']}/pause", headers=h).status_code == 409
    )
    started = w.client.post(f"/api/outbound/campaigns/{camp['id']}/start", headers=h)
    assert started.json()["status"] == "running"
    metrics = w.client.get(f"/api/outbound/campaigns/{camp['id']}/metrics", headers=h).json()
    assert metrics["total"]["attempts"] == 0 and metrics["abandon_cap_pct"] == 3.0
    csv = w.client.get(f"/api/outbound/campaigns/{camp['id']}/metrics.csv", headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("slice,key,attempts")
    missing = w.client.get("/api/outbound/campaigns/cmp_nope", headers=h)
    assert missing.status_code == 404


def test_check_cli_reads_the_database(ob_world, monkeypatch):
    w = ob_world
    [(cid, _)] = _customers(w, 1, consent_marketing=False)
    s = w.runtime.settings
    monkeypatch.setenv("FINCALL_DATABASE_URL", s.sqlalchemy_url)
    monkeypatch.setenv("FINCALL_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("FINCALL_SECRET_KEY", s.secret)
    runner = CliRunner()
    args = ["check", cid, "--purpose", "marketing", "--at", MONDAY_10_SHANGHAI, "--json"]
    out = runner.invoke(cli.app, args)
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["customer_id"] == cid and payload["allowed"] is False
    assert [b["rule"] for b in payload["blocks"]] == ["no_marketing_consent"]
    assert payload["timezone_source"] == "record" and payload["jurisdiction"] == "cn-mainland"
    text = runner.invoke(
        cli.app, ["check", cid, "--purpose", "service", "--at", MONDAY_10_SHANGHAI]
    )
    assert text.exit_code == 0 and "ALLOWED" in text.output
    unknown = runner.invoke(cli.app, ["check", "cus_nobody", "--purpose", "service"])
    assert unknown.exit_code == 1 and "cus_nobody not found" in unknown.output


def test_preview_dial_by_an_agent_passes_the_gate_and_scope(ob_world):
    from fincall.auth.models import User
    from fincall.contacts.models import Contact

    w = ob_world
    with w.runtime.transaction() as s:
        agent_id = s.execute(select(User.agent_id).where(User.role == "agent")).scalar_one()
        served = s.execute(
            select(Contact.customer_id).where(Contact.agent_id == agent_id).limit(1)
        ).scalar_one()
        s.get(Customer, served).do_not_call = True  # blocked whatever the time of day
        stranger = (
            s.execute(
                select(Customer.id).where(
                    Customer.id.not_in(
                        select(Contact.customer_id).where(Contact.agent_id == agent_id)
                    )
                )
            )
            .scalars()
            .first()
        )
    camp = w.client.post(
        "/api/outbound/campaigns",
        json={"name": "Preview", "purpose": "service", "queue_id": "cards", "dial_mode": "preview"},
        headers=w.headers("supervisor"),
    ).json()
    w.client.post(
        f"/api/outbound/campaigns/{camp['id']}/members/upload",
        files={"file": ("l.csv", f"customer_id\n{served}\n".encode(), "text/csv")},
        headers=w.headers("supervisor"),
    )
    w.client.post(f"/api/outbound/campaigns/{camp['id']}/start", headers=w.headers("supervisor"))
    h = w.headers("agent")
    r = w.client.post(
        "/api/outbound/dial", json={"customer_id": served, "campaign_id": camp["id"]}, headers=h
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "blocked" and body["campaign_id"] == camp["id"]
    assert "customer_do_not_call" in body["blocked_rules"] and body["next_allowed_at"] is None
    members = w.client.get(
        f"/api/outbound/campaigns/{camp['id']}/members", headers=w.headers("supervisor")
    ).json()
    assert members[0]["status"] == "blocked"
    assert "customer_do_not_call" in members[0]["last_block"]
    hidden = w.client.post(
        "/api/outbound/dial", json={"customer_id": stranger, "purpose": "service"}, headers=h
    )
    assert hidden.status_code == 404
