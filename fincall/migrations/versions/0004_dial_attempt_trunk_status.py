"""dial attempts keep the SIP status the trunk answered with

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trunk_status", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dial_attempts", schema=None) as batch_op:
        batch_op.drop_column("trunk_status")
