"""Schema-driven fuzzing of the QA and coaching API (with the QA tables present): never 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings


@pytest.fixture
def qa_schema(qa_world):
    schema = schemathesis.openapi.from_asgi("/openapi.json", qa_world.client.app)
    return schema


schema = schemathesis.pytest.from_fixture("qa_schema")


@schema.include(path_regex=r"^/api/(qa|coaching)/").parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_qa_api_never_answers_5xx(case, qa_world):
    for role in ("qa_analyst", "supervisor"):
        headers = {**(case.headers or {}), **qa_world.headers(role)}
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
        )
