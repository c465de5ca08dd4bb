"""Schema-driven fuzzing of the channel routes: whatever a client sends, never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from fincall.channels.webhooks.views import build_router as webhook_router


@pytest.fixture
def channel_schema(chan_world):
    app = chan_world.client.app
    # the app has the email routes already; the webhook ones need a configured gateway
    app.include_router(webhook_router({"wa": "fuzz-secret"}))
    app.openapi_schema = None
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("channel_schema").include(
    path_regex="^/api/channels/(email|webhook)/"
)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_channel_routes_never_answer_5xx(case, chan_world):
    headers = {**(case.headers or {}), **chan_world.headers("admin")}
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    )
