from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

import fincall.all_models  # noqa: F401
from fincall.auth.models import AuditHead
from fincall.core.db import Base
from fincall.core.migrate import current_heads


def test_migrations_build_exactly_the_models(any_world):
    """Applying every migration gives the schema the models describe, on both databases."""
    engine = any_world.runtime.engine
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert ctx.get_current_revision() in current_heads()
    names = set(inspect(engine).get_table_names())
    assert {
        "customers",
        "holdings",
        "products",
        "agents",
        "users",
        "contacts",
        "utterances",
        "audit_events",
        "audit_head",
    } <= names


def test_audit_head_row_is_created_by_the_migration(any_world):
    with any_world.runtime.transaction() as session:
        head = session.execute(select(AuditHead)).scalar_one()
        assert head.id == 1
        assert head.seq >= 1  # the demo seed appended at least one event


def test_single_migration_head():
    assert len(current_heads()) == 1
