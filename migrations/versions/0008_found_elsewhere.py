"""articles.found_by and crawl_state.found_elsewhere: the cross-check of a day's listing

``articles.found_by``: the source that found the article (``listing``, ``sitemap``, ``feed``,
``rest``); rows stored before stay null, as nothing recorded it then.
``crawl_state.found_elsewhere``: how many articles of the date other sources found and its
listing lacked, at its last complete crawl (0 for the dates crawled before), indexed so
health reads only the dates above 0.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("found_by", sa.String(10), nullable=True))
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("found_elsewhere", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index("ix_crawl_state_found_elsewhere", "crawl_state", ["found_elsewhere"])


def downgrade() -> None:
    op.drop_index("ix_crawl_state_found_elsewhere", table_name="crawl_state")
    with op.batch_alter_table("crawl_state", schema=None) as batch_op:
        batch_op.drop_column("found_elsewhere")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("found_by")
