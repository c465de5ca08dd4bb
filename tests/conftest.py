"""Shared fixtures: a migrated, demo-seeded database per test (SQLite always, PostgreSQL when
FINCALL_TEST_POSTGRES_URL points at a server), an app client, and tokens for every role."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fincall.core.migrate import upgrade
from fincall.core.settings import Settings
from fincall.runtime import Runtime

REQUIRE_SERVICES = os.environ.get("FINCALL_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("FINCALL_TEST_POSTGRES_URL", "")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TEST_SECRET = "test-secret-" + "x" * 40


def service_unavailable(reason: str) -> None:
    """Skip, or fail when CI demands the real services (FINCALL_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


def _seed_template(url: str, data_dir: Path) -> dict[str, str]:
    from fincall.demo import seed as demo

    upgrade(url)
    rt = Runtime.create(
        Settings(data_dir=data_dir, database_url=url, secret_key=TEST_SECRET, environment="test")
    )
    with rt.transaction() as session:
        logins = demo.seed(session)
    rt.dispose()
    return {lg.role: lg.password for lg in logins}


@dataclass
class DbTemplate:
    backend: str
    url: str
    passwords: dict[str, str]
    admin_url: str = ""


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> DbTemplate:
    d = tmp_path_factory.mktemp("tmpl")
    url = f"sqlite:///{d / 'template.db'}"
    return DbTemplate("sqlite", url, _seed_template(url, d))


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbTemplate]:
    if not PG_URL:
        service_unavailable("FINCALL_TEST_POSTGRES_URL is not set")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    name = f"fincall_tmpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield DbTemplate(
            "postgres", url, _seed_template(url, tmp_path_factory.mktemp("pg")), admin_url=PG_URL
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _clone(template: DbTemplate, tmp_path: Path) -> tuple[str, callable]:
    if template.backend == "sqlite":
        src = Path(make_url(template.url).database)
        dst = tmp_path / "fincall.db"
        shutil.copy(src, dst)
        return f"sqlite:///{dst}", lambda: None
    admin = create_engine(template.admin_url, isolation_level="AUTOCOMMIT")
    name = f"fincall_t_{uuid.uuid4().hex[:10]}"
    tmpl_name = make_url(template.url).database
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tmpl_name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(template.url).set(database=name).render_as_string(hide_password=False), drop


@dataclass
class World:
    """A running fincall (runtime + HTTP client) over its own seeded database."""

    runtime: Runtime
    client: TestClient
    passwords: dict[str, str]
    backend: str

    def token(self, role: str) -> str:
        from sqlalchemy import select

        from fincall.auth import service as auth
        from fincall.auth.models import User

        with self.runtime.transaction() as session:
            user = session.execute(select(User).where(User.role == role)).scalars().first()
            token, _ = auth.open_session(session=session, user=user, kind="api", hours=1)
        return token

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}


def _world(template: DbTemplate, tmp_path: Path) -> Iterator[World]:
    url, drop = _clone(template, tmp_path)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        secret_key=TEST_SECRET,
        environment="test",
        nlu_enabled=False,
        smtp_enabled=False,
        sip_enabled=False,
    )
    rt = Runtime.create(settings)
    from fincall.web.app import create_app

    with TestClient(create_app(rt, run_background=False)) as client:
        yield World(rt, client, template.passwords, template.backend)
    rt.dispose()
    drop()


@pytest.fixture
def world(sqlite_template: DbTemplate, tmp_path: Path) -> Iterator[World]:
    """fincall on SQLite."""
    yield from _world(sqlite_template, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """fincall on SQLite and again on PostgreSQL."""
    template = request.getfixturevalue(f"{request.param}_template")
    yield from _world(template, tmp_path)


@pytest.fixture(scope="session")
def sentiment_analyzer():
    """The shipped sentiment model, trained once per session without the sentence encoder."""
    from fincall.nlu.sentiment import train_sentiment

    return train_sentiment(encoder=None)
