"""The app's background hook: on start it catches up every contact that ended uninspected."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fincall.contacts.models import Contact
from fincall.qa.models import QaInspection


def test_started_app_inspects_the_backlog_and_serves_live_checks(qa_world):
    from fincall.web.app import create_app

    rt = qa_world.runtime
    with rt.transaction() as session:
        backlog = session.execute(
            select(func.count())
            .select_from(Contact)
            .where(Contact.status.in_(["ended", "abandoned"]))
        ).scalar_one()
    assert backlog > 0
    seen: list[str] = []
    all_done = threading.Event()

    def on(evt):
        seen.append(evt.payload["contact_id"])
        if len(seen) >= backlog:
            all_done.set()

    rt.bus.subscribe("qa.inspected", on)
    app = create_app(rt, run_background=True)
    with TestClient(app):
        assert all_done.wait(120), f"only {len(seen)} of {backlog} inspected"
        out = app.state.live_check(text="It's risk-free, you can't lose.", language="en")
        assert any(f["block"] for f in out)
    assert app.state.qa_worker._thread is None  # stopped with the app
    with rt.transaction() as session:
        assert (
            session.execute(select(func.count()).select_from(QaInspection)).scalar_one() == backlog
        )
    assert len(set(seen)) == backlog
