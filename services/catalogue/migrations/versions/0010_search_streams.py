"""catalogue: PostgreSQL searches page texts and hồ sơ descriptions apart (search.STREAMS).

A mục lục registers thousands of hồ sơ descriptions before any page is read, so in one id
sequence a word common in pages lies beyond a long run of descriptions without it, which the
walk in id order had to cross and which the planner crossed row by row. Each kind now has its
own GIN indexes (partial, so a search of descriptions never reads the postings of a million
pages) and a (kind, id) index to walk it in order. SQLite's FTS5 needs neither.

Revision ID: catalogue_0010
"""

from __future__ import annotations

from alembic import op

revision = "catalogue_0010"
down_revision = "catalogue_0009"
branch_labels = None
depends_on = None

KINDS = ("page", "file")
FORMS = ("exact", "folded")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("CREATE INDEX ix_catalogue_search_kind_id ON catalogue_search (kind, id)")
    for form in FORMS:
        op.execute(f"DROP INDEX ix_catalogue_search_{form}_tsv")
        for kind in KINDS:
            op.execute(
                f"CREATE INDEX ix_catalogue_search_{kind}_{form}_tsv ON catalogue_search "
                f"USING gin ({form}_tsv) WHERE kind = '{kind}'"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for form in FORMS:
        for kind in KINDS:
            op.execute(f"DROP INDEX ix_catalogue_search_{kind}_{form}_tsv")
        op.execute(
            f"CREATE INDEX ix_catalogue_search_{form}_tsv ON catalogue_search "
            f"USING gin ({form}_tsv)"
        )
    op.execute("DROP INDEX ix_catalogue_search_kind_id")
