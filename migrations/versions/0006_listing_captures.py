"""crawl_state.listing_captures: how the archive kept a date's listing pages

One nullable text column: the date's listing pages as last stored (URL, status, payload
digest, WARC-Date and where the payload lies), so the next fetch of an unchanged page is kept
as a revisit record that refers to it, not a second copy. Rows stored before stay null.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listing_captures", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.drop_column("listing_captures")
