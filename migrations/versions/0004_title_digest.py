"""articles: the unique index holds a digest of the title key, not the key

A PostgreSQL B-tree entry cannot exceed about 2,700 bytes, so a title of some 8,000 characters
failed its date ("index row size ... exceeds btree maximum"). The index on (site, date,
title_key) becomes one on (site, date, title_digest), the key's SHA-256 in hex.

Every stored row gets its digest, computed here as ``ingest.text.title_digest`` computes it
(SHA-256 of the key's UTF-8, in hex; a test holds the two equal). A key holding NUL (SQLite
could store one; PostgreSQL never could) loses it, as new keys do (``text.without_nul``),
unless that would make it another article's key of the same site and date: then it is kept as
it is, two articles as before.

On SQLite the table is rebuilt (batch mode); ``migrations/env.py`` turns foreign keys off
around it, or dropping the old table would cascade to ``article_revisions``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000

_articles = sa.table(
    "articles",
    sa.column("id", sa.Integer()),
    sa.column("site", sa.String()),
    sa.column("date", sa.Date()),
    sa.column("title_key", sa.Text()),
    sa.column("title_digest", sa.String()),
)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fill_digests(connection: sa.Connection) -> None:
    """Every row's digest: on PostgreSQL in one statement (its sha256(), from version 11; no
    key there can hold NUL), elsewhere a batch of rows at a time in id order (memory stays
    flat)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "UPDATE articles SET title_digest = "
                "encode(sha256(convert_to(title_key, 'UTF8')), 'hex')"
            )
        )
        return
    a = _articles.c
    update = (
        sa.update(_articles)
        .where(a.id == sa.bindparam("row_id"))
        .values(title_key=sa.bindparam("new_key"), title_digest=sa.bindparam("new_digest"))
    )
    claimed: set[tuple[str, object, str]] = set()  # keys freed of NUL so far
    last = 0
    while True:
        rows = connection.execute(
            sa.select(a.id, a.site, a.date, a.title_key)
            .where(a.id > last)
            .order_by(a.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for row_id, site, day, key in rows:
            if "\x00" in key:
                key = _key_without_nul(connection, row_id, site, day, key, claimed)
            changes.append({"row_id": row_id, "new_key": key, "new_digest": _digest(key)})
        connection.execute(update, changes)
        last = rows[-1][0]


def _key_without_nul(
    connection: sa.Connection,
    row_id: int,
    site: str,
    day: object,
    key: str,
    claimed: set[tuple[str, object, str]],
) -> str:
    """The key without NUL, unless another article of the date has that key already."""
    plain = key.replace("\x00", "")
    a = _articles.c
    taken = (site, day, plain) in claimed or connection.execute(
        sa.select(a.id).where(a.site == site, a.date == day, a.title_key == plain, a.id != row_id)
    ).first() is not None
    if taken:
        return key
    claimed.add((site, day, plain))
    return plain


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_digest", sa.String(length=64), nullable=True))
    _fill_digests(op.get_bind())
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.alter_column("title_digest", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_articles_site_date_title_key", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_articles_site_date_title_digest"), ["site", "date", "title_digest"]
        )


def downgrade() -> None:
    # On PostgreSQL, a key too long for a B-tree entry (what this revision allows) makes the
    # old index fail to build: such rows must go before downgrading.
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_articles_site_date_title_digest"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_articles_site_date_title_key"), ["site", "date", "title_key"]
        )
        batch_op.drop_column("title_digest")
