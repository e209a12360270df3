"""catalogue: a full-text search index — FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Every page's text moves from catalogue_page_text into catalogue_search with its syllables as
written and folded, one token between single spaces (self-contained copies of the rules in
``domain/search.py``: a migration never changes with the code after it); every hồ sơ gets a
row of its own description (its title, here).

Revision ID: catalogue_0005
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "catalogue_0005"
down_revision = "catalogue_0004"
branch_labels = None
depends_on = None

_SPLIT = re.compile(r"[\W_]+")


def _exact(text: str) -> str:
    return " ".join(w for w in _SPLIT.split(unicodedata.normalize("NFC", text).lower()) if w)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    folded = stripped.replace("đ", "d").replace("Đ", "D").casefold()
    return " ".join(w for w in _SPLIT.split(folded) if w)


def upgrade() -> None:
    op.create_table(
        "catalogue_search",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(110), nullable=False, unique=True),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("page_id", sa.String(36), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("exact", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
    )
    op.create_index("ix_catalogue_search_file_code", "catalogue_search", ["file_code"])
    connection = op.get_bind()
    search = sa.table(
        "catalogue_search",
        *(sa.column(c) for c in ("key", "kind", "file_code", "page_id", "sequence")),
        *(sa.column(c) for c in ("text", "exact", "folded")),
    )
    pages = connection.execute(
        sa.text(
            "SELECT page_id, file_code, sequence, text FROM catalogue_page_text "
            "ORDER BY file_code, sequence"
        )
    ).all()
    files = connection.execute(
        sa.text("SELECT file_code, title FROM catalogue_file ORDER BY file_code")
    ).all()
    rows = [
        {
            "key": f"file:{code}",
            "kind": "file",
            "file_code": code,
            "page_id": None,
            "sequence": None,
            "text": f"{code}\n{title}",
            "exact": _exact(f"{code}\n{title}"),
            "folded": _folded(f"{code}\n{title}"),
        }
        for code, title in files
    ] + [
        {
            "key": page_id,
            "kind": "page",
            "file_code": code,
            "page_id": page_id,
            "sequence": sequence,
            "text": text,
            "exact": _exact(text),
            "folded": _folded(text),
        }
        for page_id, code, sequence, text in pages
    ]
    if rows:
        connection.execute(search.insert(), rows)
    op.drop_index("ix_catalogue_page_text_file_code", "catalogue_page_text")
    op.drop_table("catalogue_page_text")
    if connection.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE catalogue_search_fts USING fts5(exact, folded, "
            "content='catalogue_search', content_rowid='id', prefix='1 2 3', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute("INSERT INTO catalogue_search_fts(catalogue_search_fts) VALUES ('rebuild')")
    else:
        for form in ("exact", "folded"):
            op.execute(
                f"ALTER TABLE catalogue_search ADD COLUMN {form}_tsv tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple', {form})) STORED"
            )
            op.execute(
                f"CREATE INDEX ix_catalogue_search_{form}_tsv ON catalogue_search "
                f"USING gin ({form}_tsv)"
            )
            # ANALYZE then lists the words down to about one text in a thousand, which is what
            # the search needs to tell a rare word (use the index) from a common one (walk)
            op.execute(f"ALTER TABLE catalogue_search ALTER COLUMN {form}_tsv SET STATISTICS 1000")
            # the walk in id order reads every row's tsvectors: keep them in the row, and let
            # the texts (read only for the hits shown) go out of line first
            op.execute(f"ALTER TABLE catalogue_search ALTER COLUMN {form}_tsv SET STORAGE MAIN")
        for column in ("text", "exact", "folded"):
            op.execute(f"ALTER TABLE catalogue_search ALTER COLUMN {column} SET STORAGE EXTERNAL")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute("DROP TABLE catalogue_search_fts")
    op.create_table(
        "catalogue_page_text",
        sa.Column("page_id", sa.String(36), primary_key=True),
        sa.Column("file_code", sa.String(100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded_text", sa.Text(), nullable=False),
    )
    op.create_index("ix_catalogue_page_text_file_code", "catalogue_page_text", ["file_code"])
    op.execute(
        "INSERT INTO catalogue_page_text (page_id, file_code, sequence, text, folded_text) "
        "SELECT page_id, file_code, sequence, text, ' ' || folded || ' ' FROM catalogue_search "
        "WHERE kind = 'page'"
    )
    op.drop_index("ix_catalogue_search_file_code", "catalogue_search")
    op.drop_table("catalogue_search")
