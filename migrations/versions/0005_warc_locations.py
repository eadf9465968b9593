"""articles and crawl_state: where each stored page lies in the WARC archive

Three nullable columns on each (``warc_file``, ``warc_offset``, ``warc_record_id``): the
article's page (its listing page when no article page was read) and a date's first listing
page. Rows stored before the archive kept pages keep them null.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("articles", "crawl_state")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("warc_file", sa.String(length=200), nullable=True))
            batch_op.add_column(sa.Column("warc_offset", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column("warc_record_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("warc_record_id")
            batch_op.drop_column("warc_offset")
            batch_op.drop_column("warc_file")
