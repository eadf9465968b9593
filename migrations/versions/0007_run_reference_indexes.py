"""articles, article_revisions and crawl_state: an index on each column naming a run

Deleting a run record (``store.retention``) makes the database look for rows that still name
it, through every foreign key to ``runs``: without an index on the naming column, SQLite and
PostgreSQL both scan the whole table for each run deleted (a purge of 260,000 runs beside
600,000 articles did not finish in 10 minutes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("articles", "first_run_id"),
    ("articles", "last_run_id"),
    ("article_revisions", "replaced_by_run_id"),
    ("crawl_state", "last_run_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
