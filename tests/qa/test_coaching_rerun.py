"""Retraining tasks from repeated critical findings; re-inspection after a rule pack change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from fincall.compliance.rulepack import clear_cache
from fincall.core.clock import utcnow
from fincall.qa import pipeline, service
from fincall.qa.cli import app
from fincall.qa.models import CoachingTask
from tests.qa.conftest import CLEAN, PROMISE, make_contact, pick


def _tasks(world, agent_id):
    with world.runtime.transaction() as session:
        return list(
            session.execute(select(CoachingTask).where(CoachingTask.agent_id == agent_id)).scalars()
        )


def test_three_critical_findings_in_a_week_open_exactly_one_retraining_task(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    tasks_seen = []
    qa_world.runtime.bus.subscribe("qa.coaching_task", lambda e: tasks_seen.append(e.payload))
    ids = []
    for n in range(4):
        ids.append(make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent))
        pipeline.process_contact(qa_world.runtime, ids[-1])
        if n == 1:
            assert _tasks(qa_world, agent) == []  # two are not enough
    tasks = _tasks(qa_world, agent)
    assert len(tasks) == 1 and len(tasks_seen) == 1
    t = tasks[0]
    assert t.kind == "mandatory_retraining" and t.status == "open"
    assert len(t.finding_ids) == 3 and "3 critical findings" in t.reason
    # re-inspecting one of them supersedes its findings and does not open a second task
    with qa_world.runtime.transaction() as session:
        service.inspect_contact(session=session, contact_id=ids[0], trigger="manual")
    assert len(_tasks(qa_world, agent)) == 1


def test_old_critical_findings_do_not_count(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    old = utcnow() - timedelta(days=10)
    for _ in range(3):
        cid = make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent, started_at=old)
        pipeline.process_contact(qa_world.runtime, cid)
    assert _tasks(qa_world, agent) == []


def test_supervisor_closes_the_task_and_closing_twice_conflicts(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    for _ in range(3):
        pipeline.process_contact(
            qa_world.runtime, make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent)
        )
    sup = qa_world.headers("supervisor")
    r = qa_world.client.get("/api/coaching/tasks?status=open", headers=sup)
    assert r.status_code == 200
    mine = [t for t in r.json() if t["agent_id"] == agent]
    assert len(mine) == 1
    tid = mine[0]["id"]
    assert (
        qa_world.client.get("/api/coaching/tasks", headers=qa_world.headers("agent")).status_code
        == 403
    )
    r = qa_world.client.post(
        f"/api/coaching/tasks/{tid}/close", json={"notes": "done"}, headers=sup
    )
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["closed_at"]
    r = qa_world.client.post(f"/api/coaching/tasks/{tid}/close", headers=sup)
    assert r.status_code == 409
    r = qa_world.client.post("/api/coaching/tasks/cot_nope/close", headers=sup)
    assert r.status_code == 404


TENANT = """extends: us
version: "2"
disable: [EN-PP-001, EN-PP-002]
"""


def test_rerun_after_a_pack_change_reports_the_difference(qa_world):
    cus, agent = pick(qa_world, region="US", language="en")
    start = utcnow() - timedelta(minutes=1)
    promise = make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent)
    clean = make_contact(qa_world, CLEAN, customer_id=cus, agent_id=agent)
    for cid in (promise, clean):
        pipeline.process_contact(qa_world.runtime, cid)
    data_dir = qa_world.runtime.settings.data_dir
    (data_dir / "rulepacks").mkdir(parents=True, exist_ok=True)
    (data_dir / "rulepacks" / "acme.yaml").write_text(TENANT, encoding="utf-8")
    clear_cache()
    try:
        with qa_world.runtime.transaction() as session:
            changes = {
                c.contact_id: c
                for c in service.rerun(session=session, since=start, data_dir=data_dir)
            }
    finally:
        clear_cache()
    assert {promise, clean} <= set(changes)
    c = changes[promise]
    assert c.changed and c.new_pack_version == "2026.11.1+acme.2"
    assert [f["rule_id"] for f in c.removed] == ["EN-PP-001"] and c.added == []
    assert c.score_delta > 0 and c.new_score > c.old_score
    assert not changes[clean].changed
    with qa_world.runtime.transaction() as session:
        # recorded under the new pack version; a second rerun with nothing new stores nothing
        assert [h.version for h in service.history(session=session, contact_id=clean)] == [2, 1]
        again = service.rerun(session=session, since=start, data_dir=data_dir)
        assert not any(c.changed for c in again)
        assert [h.version for h in service.history(session=session, contact_id=clean)] == [2, 1]
    with qa_world.runtime.transaction() as session:
        hist = service.history(session=session, contact_id=promise)
        assert [h.version for h in hist] == [2, 1]
        assert hist[0].trigger == "rerun" and hist[1].superseded and not hist[0].superseded
        assert hist[1].pack_version == "2026.11.1"


def _env(monkeypatch, world):
    s = world.runtime.settings
    monkeypatch.setenv("FINCALL_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("FINCALL_DATABASE_URL", s.database_url)
    monkeypatch.setenv("FINCALL_SECRET_KEY", s.secret_key.get_secret_value())
    monkeypatch.setenv("FINCALL_ENVIRONMENT", "test")


def test_rerun_cli_prints_the_changes(qa_world, monkeypatch):
    cus, agent = pick(qa_world, region="US", language="en")
    cid = make_contact(qa_world, PROMISE, customer_id=cus, agent_id=agent)
    pipeline.process_contact(qa_world.runtime, cid)
    data_dir = qa_world.runtime.settings.data_dir
    (data_dir / "rulepacks").mkdir(parents=True, exist_ok=True)
    (data_dir / "rulepacks" / "acme.yaml").write_text(TENANT, encoding="utf-8")
    _env(monkeypatch, qa_world)
    monkeypatch.setenv("COLUMNS", "200")
    today = utcnow().date().isoformat()
    try:
        r = CliRunner().invoke(app, ["rerun", "--since", today])
    finally:
        clear_cache()
    assert r.exit_code == 0, r.output
    assert cid in r.output and "EN-PP-001@1" in r.output
    assert "1 removed" in r.output or "removed" in r.output


def test_rerun_cli_rejects_a_bad_date(qa_world, monkeypatch):
    _env(monkeypatch, qa_world)
    r = CliRunner().invoke(app, ["rerun", "--since", "last tuesday"])
    assert r.exit_code == 2
    assert "expected a date like 2026-11-01" in r.output
