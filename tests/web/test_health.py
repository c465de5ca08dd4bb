"""The health endpoint: up, and whether the intent model serves yet (a load balancer or a
load test waits for ``ready`` before sending chats the bot should understand)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fincall.web.app import create_app


def test_health_says_whether_the_intent_model_serves(world, monkeypatch) -> None:
    app = create_app(world.runtime, run_background=False)
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok", "intent_model": "off"}
        monkeypatch.setattr(world.runtime.settings, "nlu_enabled", True)
        assert client.get("/healthz").json() == {"status": "ok", "intent_model": "loading"}
        app.state.nlu = object()  # what the loader sets once the model is in memory
        assert client.get("/healthz").json() == {"status": "ok", "intent_model": "ready"}
