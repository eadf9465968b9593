"""shared schedule for daemon replicas, and alert state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_schedule",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["runs.id"], name=op.f("fk_site_schedule_last_run_id_runs")
        ),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_site_schedule")),
    )
    with op.batch_alter_table("site_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_schedule_next_due_at"), ["next_due_at"], unique=False
        )
    op.create_table(
        "alert_state",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_state", sa.String(length=20), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("site", "kind", name=op.f("pk_alert_state")),
    )


def downgrade() -> None:
    op.drop_table("alert_state")
    with op.batch_alter_table("site_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_schedule_next_due_at"))
    op.drop_table("site_schedule")
