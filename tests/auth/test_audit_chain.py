from __future__ import annotations

from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from fincall.auth import audit
from fincall.auth.models import AuditEvent
from fincall.cli import app as cli


def _verify(world):
    with world.runtime.transaction() as session:
        return audit.verify(session=session, key=world.runtime.audit_key)


def _make_writes(world, n=4):
    h = world.headers("supervisor")
    cid = world.client.get("/api/customers?limit=1", headers=h).json()[0]["id"]
    for i in range(n):
        r = world.client.patch(f"/api/customers/{cid}", json={"notes": f"note {i}"}, headers=h)
        assert r.status_code == 200
    return cid


def test_writes_append_to_an_intact_chain(any_world):
    before = _verify(any_world)
    cid = _make_writes(any_world)
    after = _verify(any_world)
    assert before.ok and after.ok
    assert after.checked == before.checked + 4
    events = any_world.client.get(
        f"/api/audit/events?entity_id={cid}", headers=any_world.headers("compliance_officer")
    ).json()
    updates = [e for e in events if e["action"] == "customer.update"]
    assert len(updates) == 4
    assert all(e["before_digest"] and e["after_digest"] for e in updates)
    assert updates[0]["before_digest"] != updates[0]["after_digest"]


def test_edited_row_is_detected(any_world):
    _make_writes(any_world)
    with any_world.runtime.transaction() as session:
        target = session.execute(
            select(AuditEvent).where(AuditEvent.action == "customer.update").limit(1)
        ).scalar_one()
        seq = target.seq
        session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(actor_role="admin"))
    result = _verify(any_world)
    assert not result.ok
    assert result.first_broken_seq == seq
    assert "edited" in result.reason


def test_deleted_row_is_detected(any_world):
    _make_writes(any_world)
    with any_world.runtime.transaction() as session:
        seq = session.execute(
            select(AuditEvent.seq).where(AuditEvent.action == "customer.update").limit(1)
        ).scalar_one()
        session.execute(delete(AuditEvent).where(AuditEvent.seq == seq))
    result = _verify(any_world)
    assert not result.ok
    assert result.first_broken_seq == seq


def test_deleting_the_newest_row_is_detected(world):
    _make_writes(world)
    with world.runtime.transaction() as session:
        last = session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()[0]
        session.execute(delete(AuditEvent).where(AuditEvent.seq == last))
    result = _verify(world)
    assert not result.ok


def test_recomputed_hash_without_the_secret_fails(world):
    """A forger who rewrites a row and its hash with a guessed key still breaks the chain."""
    _make_writes(world)
    with world.runtime.transaction() as session:
        evt = session.execute(
            select(AuditEvent).where(AuditEvent.action == "customer.update").limit(1)
        ).scalar_one()
        evt.actor_role = "admin"
        evt.hash = audit._event_hash(b"guessed-key", evt.prev_hash, audit._fields(evt))
    assert not _verify(world).ok


def test_cli_audit_verify(world, monkeypatch):
    _make_writes(world, 1)
    s = world.runtime.settings
    monkeypatch.setenv("FINCALL_DATABASE_URL", s.sqlalchemy_url)
    monkeypatch.setenv("FINCALL_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("FINCALL_SECRET_KEY", s.secret)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with world.runtime.transaction() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(action="x"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "broken at entry 1" in broken.output
