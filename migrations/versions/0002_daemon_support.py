"""daemon support: run heartbeats, conditional GET validators, per-site locks, failing dates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pages_not_modified", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_status"), ["status"], unique=False)
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "http_validators",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "url", name=op.f("pk_http_validators")),
    )
    op.create_table(
        "site_locks",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_site_locks_run_id_runs")),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_site_locks")),
    )


def downgrade() -> None:
    op.drop_table("site_locks")
    op.drop_table("http_validators")
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_status"))
        batch_op.drop_column("owner")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("pages_not_modified")
