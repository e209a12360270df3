"""The search index on both backends: one table of searchable texts (each page's text, each
hồ sơ's own description), indexed by SQLite FTS5 in the embedded default and by PostgreSQL's
full text search (GIN) in production, over the same pre-tokenised forms, so both give the same
hits in the same order.

Hits come in two runs: those matching every phrase as typed (exact), then those matching
only folded; each run in the order the texts were indexed (their id), so a cursor (run and last
id) is stable and a page of hits never needs the whole match set sorted — both indexes walk
their postings in that order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from services.catalogue.adapters.orm import DocumentRow, FileRow, SearchRow
from services.catalogue.domain.codes import AccessMode
from services.catalogue.domain.errors import InvalidCursor
from services.catalogue.domain.queries import (
    FACET_TEXTS,
    FileFilter,
    SearchHit,
    SearchPage,
    SearchQuery,
)
from services.catalogue.domain.search import Phrase, exact_for_index, folded_for_index

FTS = "catalogue_search_fts"
SEARCH = SearchRow.__table__  # type: ignore[attr-defined]  # SQLModel tables carry it
FILES = FileRow.__table__  # type: ignore[attr-defined]
DOCUMENTS = DocumentRow.__table__  # type: ignore[attr-defined]
RUNS = ("e", "f")  # exact first, then folded only
FACETS = ("fonds", "state", "year", "mode")


def file_key(file_code: str) -> str:
    return f"file:{file_code}"


class SqlSearchIndex:
    """Writes into the index, in the caller's transaction (the unit of work's session)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _connection(self) -> Connection:
        return self._session.connection()

    def put(self, page_id: UUID, file_code: str, sequence: int, text: str) -> None:
        self._upsert(str(page_id), "page", file_code, str(page_id), sequence, text)

    def put_file(self, file_code: str, text: str) -> None:
        self._upsert(file_key(file_code), "file", file_code, None, None, text)

    def of_file(self, file_code: str) -> dict[UUID, str]:
        query = sa.select(SEARCH.c.page_id, SEARCH.c.text).where(
            SEARCH.c.file_code == file_code, SEARCH.c.kind == "page"
        )
        return {UUID(page_id): text for page_id, text in self._connection().execute(query)}

    def _upsert(
        self,
        key: str,
        kind: str,
        file_code: str,
        page_id: str | None,
        sequence: int | None,
        text: str,
    ) -> None:
        connection = self._connection()
        exact, folded = exact_for_index(text), folded_for_index(text)
        old = connection.execute(
            sa.select(SEARCH.c.id, SEARCH.c.text, SEARCH.c.exact, SEARCH.c.folded).where(
                SEARCH.c.key == key
            )
        ).first()
        values = {"text": text, "exact": exact, "folded": folded, "sequence": sequence}
        if old is None:
            row_id = connection.execute(
                sa.insert(SEARCH)
                .values(key=key, kind=kind, file_code=file_code, page_id=page_id, **values)
                .returning(SEARCH.c.id)
            ).scalar_one()
        elif old.text == text:
            return
        else:
            row_id = old.id
            connection.execute(sa.update(SEARCH).where(SEARCH.c.id == row_id).values(**values))
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql(  # FTS is this module's table name, not input
                    f"INSERT INTO {FTS}({FTS}, rowid, exact, folded) VALUES ('delete', ?, ?, ?)",  # noqa: S608
                    (row_id, old.exact, old.folded),
                )
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"INSERT INTO {FTS}(rowid, exact, folded) VALUES (?, ?, ?)",  # noqa: S608  # our table
                (row_id, exact, folded),
            )

    def put_many(self, rows: Sequence[tuple[UUID, str, int, str]]) -> None:
        """Many new pages at once (a bulk load): on PostgreSQL one COPY, each page folded as
        it is sent so the server indexes one while Python folds the next; on SQLite one
        statement for the rows, one for FTS5."""
        connection = self._connection()
        if connection.dialect.name != "sqlite":
            _copy(
                connection,
                (
                    (str(page_id), "page", file_code, str(page_id), sequence, text, *_forms(text))
                    for page_id, file_code, sequence, text in rows
                ),
            )
            return
        values = [
            {
                "key": str(page_id),
                "kind": "page",
                "file_code": file_code,
                "page_id": str(page_id),
                "sequence": sequence,
                "text": text,
                "exact": exact_for_index(text),
                "folded": folded_for_index(text),
            }
            for page_id, file_code, sequence, text in rows
        ]
        inserted = connection.execute(
            sa.insert(SEARCH).returning(SEARCH.c.id, sort_by_parameter_order=True), values
        )
        ids = [row.id for row in inserted]
        connection.exec_driver_sql(
            f"INSERT INTO {FTS}(rowid, exact, folded) VALUES (?, ?, ?)",  # noqa: S608  # our table
            [(i, v["exact"], v["folded"]) for i, v in zip(ids, values, strict=True)],
        )


def _forms(text: str) -> tuple[str, str]:
    return exact_for_index(text), folded_for_index(text)


COPIED = ("key", "kind", "file_code", "page_id", "sequence", "text", "exact", "folded")


def _copy(connection: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows into the index table by PostgreSQL's COPY, in the connection's transaction: no
    statement parsed and bound per row (psycopg 3 is the driver, see shared.db)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY catalogue_search ({', '.join(COPIED)}) FROM STDIN"
    with cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


# --- queries ------------------------------------------------------------------------------


def _fts5(phrases: Sequence[Phrase], column: str) -> str:
    words = (p.folded if column == "folded" else p.exact for p in phrases)
    parts = [
        f'{column} : "{" ".join(w)}"' + (" *" if p.prefix else "")
        for p, w in zip(phrases, words, strict=True)
    ]
    return " AND ".join(parts)


def _tsquery(phrases: Sequence[Phrase], column: str) -> str:
    parts = []
    for phrase in phrases:
        words = phrase.folded if column == "folded" else phrase.exact
        lexemes = [f"'{w}'" for w in words]
        if phrase.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def _year() -> sa.ColumnElement[Any]:
    start_year = sa.cast(sa.func.substr(FILES.c.start_date, 1, 4), sa.Integer)
    return sa.func.coalesce(FILES.c.file_year, start_year)


def _filters(where: FileFilter, source: Any) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if where.fonds_code is not None:
        conditions.append(FILES.c.fonds_code == where.fonds_code)
    if where.state is not None:
        conditions.append(FILES.c.state == where.state)
    if where.mode is not None:
        conditions.append(FILES.c.mode == where.mode)
    if where.public_only:
        conditions.append(FILES.c.mode == AccessMode.PUBLIC.value)
    if where.group is not None:
        conditions.append(FILES.c.group_name == where.group)
    if where.year_from is not None:
        conditions.append(_year() >= where.year_from)
    if where.year_to is not None:
        conditions.append(_year() <= where.year_to)
    if where.type_name is not None:
        conditions.append(
            sa.exists().where(
                DOCUMENTS.c.file_code == source.c.file_code,
                DOCUMENTS.c.type_name == where.type_name,
            )
        )
    return conditions


HIT_COLUMNS = ("id", "kind", "file_code", "page_id", "sequence", "text")


@dataclass(frozen=True)
class Stream:
    """The texts of one kind, which PostgreSQL searches apart: a mục lục registers its hồ sơ
    descriptions by the thousand before any page is read, and they share few words with page
    texts, so in one id sequence a common page word would lie beyond a long run of
    descriptions the walk must cross. ``walk``: rows walked first; ``max_walk``: rows a walk
    may cost before the index (descriptions are short and few, so their index is cheap)."""

    kind: str
    walk: int
    max_walk: int


STREAMS = (Stream("page", 2000, 16_000), Stream("file", 500, 1000))


def _of_kind(stream: Stream) -> sa.ColumnElement[bool]:
    """The stream's texts, said so that the planner walks them through the (kind, id) index.
    As ``kind = 'page'`` the kind would be a constant the order drops, and the primary key,
    giving id order too, looks as cheap for a kind that is most rows: it then crosses every
    description before the first page. Written into the statement, not bound, so that the
    partial GIN indexes of the kind still apply once psycopg prepares it."""
    return sa.text(f"catalogue_search.kind = ANY (ARRAY['{stream.kind}'])")  # type: ignore[return-value]  # our constant


def _in_order(stream: Stream | None) -> tuple[sa.ColumnElement[Any], ...]:
    """Id order; within a stream (kind, id), which only the (kind, id) index gives."""
    return (SEARCH.c.id,) if stream is None else (SEARCH.c.kind, SEARCH.c.id)


def _through_index(connection: Connection, statement: sa.Select[Any]) -> list[Any]:
    """The rows of a statement the walk judged rare, found through the GIN indexes: the
    planner guesses a phrase's share as the product of its words', so it would otherwise
    walk on in id order (what the walk just found too slow) or read the whole table."""
    settings = ("enable_indexscan", "enable_seqscan")  # restored as they were, after
    kept = connection.execute(
        sa.select(*(sa.func.current_setting(name) for name in settings))
    ).one()
    _set(connection, dict.fromkeys(settings, "off"))
    try:
        return list(connection.execute(statement))
    finally:
        _set(connection, dict(zip(settings, kept, strict=True)))


SEARCH_SETTINGS = {"jit": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}
"""For a search's transaction on PostgreSQL. Compiling a plan costs more than any of its
statements runs. Each statement joins a bounded set of texts (a walk's window, a rare phrase's
hits) to their hồ sơ, one lookup each; a filter on the hồ sơ made the planner expect few hits
and hash every hồ sơ instead (50 000 read, 17 ms, for a page of hits at 1 M pages)."""


def _set(connection: Connection, settings: dict[str, str]) -> None:
    """Planner settings for the rest of this transaction (``SET LOCAL``), in one statement."""
    connection.execute(
        sa.select(*(sa.func.set_config(name, value, True) for name, value in settings.items()))
    )


class WordFrequencies:
    """How common each word is, from PostgreSQL's own statistics of the two tsvector columns
    (ANALYZE's most common elements; autovacuum keeps them fresh), re-read every few minutes.
    A word it does not list is rarer than every word it lists."""

    TTL_SECONDS = 300.0

    def __init__(self) -> None:
        self._read_at = -math.inf
        self._frequencies: dict[str, dict[str, float]] = {}

    def of_rarest(self, connection: Connection, phrases: Sequence[Phrase], column: str) -> float:
        """An upper bound of the share of texts the phrases can match: their rarest word's."""
        if time.monotonic() - self._read_at > self.TTL_SECONDS:
            self._read(connection)
        known = self._frequencies.get(column, {})
        rarest = 1.0
        for phrase in phrases:
            words = phrase.folded if column == "folded" else phrase.exact
            for index, word in enumerate(words):
                if phrase.prefix and index == len(words) - 1:
                    share = max((f for w, f in known.items() if w.startswith(word)), default=0.0)
                else:
                    share = known.get(word, 0.0)
                rarest = min(rarest, share)
        return rarest

    def _read(self, connection: Connection) -> None:
        rows = connection.execute(
            sa.text(
                "SELECT attname, most_common_elems::text::text[], most_common_elem_freqs "
                "FROM pg_stats WHERE tablename = 'catalogue_search' "
                "AND attname IN ('exact_tsv', 'folded_tsv')"
            )
        )
        self._frequencies = {
            name.removesuffix("_tsv"): dict(zip(words or (), shares or (), strict=False))
            for name, words, shares in rows
        }
        self._read_at = time.monotonic()


class SqlSearch:
    """The read side of search, on whichever backend the engine is.

    FTS5 walks its doclists in rowid order, so a page of hits costs what it returns. PostgreSQL's
    GIN index cannot return rows in order, and its planner guesses a phrase's frequency as the
    product of its words' (``hội đồng xác định`` looks a thousand times rarer than it is), so
    left alone it fetches and rechecks every match of a common phrase to sort them. Each run
    therefore first walks the rows in id order, which finds a common phrase's page of hits in a
    few milliseconds, and hands the rest to the GIN index only when the walk shows the phrase
    is rare: then the index is the right way. A phrase holding a word the column statistics
    (:class:`WordFrequencies`) already call rare skips the walk and goes to the index at once.
    Pages and hồ sơ descriptions are walked and indexed apart (:class:`Stream`) and merged by
    id, so the thousands of descriptions a mục lục registers first never stand between a
    common page word and its first hits.
    """

    COMMON = 21 / STREAMS[0].max_walk  # a share of texts a walk finds a page of hits in

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._frequencies = WordFrequencies()

    # --- the pieces of a statement ---------------------------------------------------------

    def _match(self, phrases: Sequence[Phrase], run: str, source: Any) -> sa.ColumnElement[bool]:
        """``e``: every phrase as typed; ``f``: folded but not as typed; ``any``: folded."""
        if self._sqlite:
            exact, folded = _fts5(phrases, "exact"), _fts5(phrases, "folded")
            expression = {"e": exact, "f": f"({folded}) NOT ({exact})", "any": folded}[run]
            clause = sa.text(f"{FTS} MATCH :match_{run}").bindparams(**{f"match_{run}": expression})
            return clause  # type: ignore[return-value]  # a boolean SQL clause, as text
        exact_tsv, folded_tsv = source.c.exact_tsv, source.c.folded_tsv
        exact_query = sa.func.to_tsquery("simple", _tsquery(phrases, "exact"))
        folded_query = sa.func.to_tsquery("simple", _tsquery(phrases, "folded"))
        if run == "e":
            return exact_tsv.op("@@")(exact_query)  # type: ignore[no-any-return]
        if run == "any":
            return folded_tsv.op("@@")(folded_query)  # type: ignore[no-any-return]
        return sa.and_(folded_tsv.op("@@")(folded_query), sa.not_(exact_tsv.op("@@")(exact_query)))

    def _postgres_rows(
        self, after: int, walk: int | None, stream: Stream | None, before: int | None
    ) -> Any:
        """The index table with its two tsvectors (generated columns the ORM does not map),
        or only the next ``walk`` rows of it after ``after``, in id order; only texts of one
        kind (``stream``) and below id ``before`` when given."""
        statement = sa.select(
            SEARCH,
            sa.literal_column("catalogue_search.exact_tsv").label("exact_tsv"),
            sa.literal_column("catalogue_search.folded_tsv").label("folded_tsv"),
        ).where(SEARCH.c.id > after)
        if stream is not None:
            statement = statement.where(_of_kind(stream))
        if before is not None:
            statement = statement.where(SEARCH.c.id < before)
        if walk is not None:
            statement = statement.order_by(*_in_order(stream)).limit(walk)
        return statement.subquery("walk" if walk is not None else "rows")

    def _select(
        self,
        query: SearchQuery,
        run: str,
        after: int,
        limit: int,
        columns: Sequence[str],
        walk: int | None = None,
        stream: Stream | None = None,
        before: int | None = None,
    ) -> sa.Select[Any]:
        """Hits of one run after id ``after``, in id order: on SQLite through FTS5 (ordered
        by its rowid, so it walks its doclists instead of sorting), on PostgreSQL over the
        texts of one kind or over a walk of their next rows."""
        if self._sqlite:
            source: Any = SEARCH
            key: sa.ColumnElement[int] = sa.literal_column(f"{FTS}.rowid")
            joined: Any = sa.table(FTS).join(SEARCH, SEARCH.c.id == key)
        else:
            source = self._postgres_rows(after, walk, stream, before)
            key = source.c.id
            joined = source
        joined = joined.outerjoin(FILES, FILES.c.file_code == source.c.file_code)
        return (
            sa.select(*(source.c[name] for name in columns), FILES.c.title)
            .select_from(joined)
            .where(self._match(query.phrases, run, source), key > after)
            .where(*_filters(query.where, source))
            .order_by(*((source.c.kind, key) if stream is not None else (key,)))
            .limit(limit)
        )

    def _run(
        self,
        connection: Connection,
        query: SearchQuery,
        run: str,
        after: int,
        limit: int,
        columns: Sequence[str] = HIT_COLUMNS,
    ) -> list[Any]:
        """Up to ``limit`` hits of one run after id ``after``, in id order.

        On PostgreSQL each kind of text is searched apart (:data:`STREAMS`) and the hits are
        merged by id; a later stream needs only hits below the earlier one's last."""
        if self._sqlite:
            return list(connection.execute(self._select(query, run, after, limit, columns)))
        found: list[Any] = []
        before: int | None = None
        for stream in STREAMS:
            hits = self._stream(connection, query, run, after, limit, columns, stream, before)
            found.extend(hits)
            if len(hits) >= limit:
                before = hits[limit - 1].id if before is None else min(before, hits[limit - 1].id)
        found.sort(key=lambda row: row.id)
        return found[:limit]

    def _stream(
        self,
        connection: Connection,
        query: SearchQuery,
        run: str,
        after: int,
        limit: int,
        columns: Sequence[str],
        stream: Stream,
        before: int | None,
    ) -> list[Any]:
        """Up to ``limit`` hits of one run among one kind of text, after ``after`` (and below
        ``before``), in id order.

        A phrase with a rare word goes straight to the index (GIN skips along the rare word's
        postings). Otherwise walk windows of the texts in id order while the density of hits
        seen so far says the rest lies within the stream's ``max_walk`` rows; when it does
        not, the phrase itself is rare and the index finds the rest."""
        columns = ("id", *(c for c in columns if c != "id"))
        found: list[Any] = []
        position, walked, window = after, 0, stream.walk
        column = "exact" if run == "e" else "folded"
        rare = self._frequencies.of_rarest(connection, query.phrases, column) < self.COMMON
        while not rare:
            wanted = limit - len(found)
            statement = self._select(query, run, position, wanted, columns, window, stream, before)
            found.extend(connection.execute(statement))
            if len(found) >= limit:
                return found
            last, rows = self._window(connection, position, window, stream, before)
            if rows < window:  # the walk reached the end of this kind of text
                return found
            position, walked = last, walked + rows
            # none yet: walk twice as far; some: as far as their density says the rest lies
            expected = (limit - len(found)) * walked / len(found) if found else 2 * window
            if walked + expected > stream.max_walk:
                break
            window = max(stream.walk, math.ceil(expected * 1.5))
        rest = self._select(query, run, position, limit - len(found), columns, None, stream, before)
        return found + _through_index(connection, rest)

    @staticmethod
    def _window(
        connection: Connection, after: int, size: int, stream: Stream, before: int | None
    ) -> tuple[int, int]:
        """The last id and the number of rows of the ``size`` texts of the stream after id
        ``after`` (and below ``before``)."""
        window = sa.select(SEARCH.c.id).where(SEARCH.c.id > after, _of_kind(stream))
        if before is not None:
            window = window.where(SEARCH.c.id < before)
        counted = window.order_by(*_in_order(stream)).limit(size).subquery("window")
        last, rows = connection.execute(
            sa.select(sa.func.max(counted.c.id), sa.func.count()).select_from(counted)
        ).one()
        return int(last or after), int(rows)

    def search(self, query: SearchQuery) -> SearchPage:
        run, after = _cursor(query.cursor)
        wanted = query.limit + 1
        rows: list[tuple[str, Any]] = []
        with self._engine.connect() as connection:
            if not self._sqlite:
                _set(connection, SEARCH_SETTINGS)
            for current in RUNS[RUNS.index(run) :]:
                start = after if current == run else 0
                found = self._run(connection, query, current, start, wanted - len(rows))
                rows.extend((current, row) for row in found)
                if len(rows) >= wanted:
                    break
            facets, complete = self._facets(connection, query) if query.facets else (None, True)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        hits = tuple(
            SearchHit(
                kind=row.kind,
                file_code=row.file_code,
                title=row.title or "",
                page_id=row.page_id,
                sequence=row.sequence,
                exact=current == "e",
                text=row.text,
            )
            for current, row in rows
        )
        cursor = f"{rows[-1][0]}{rows[-1][1].id}" if more and rows else None
        return SearchPage(hits, cursor, facets, complete)

    def _facets(
        self, connection: Connection, query: SearchQuery
    ) -> tuple[dict[str, dict[str, int]], bool]:
        """The hồ sơ of the first ``FACET_TEXTS`` matching texts, counted by phông, state, year
        and access mode, and whether that was every match."""
        matched = self._run(connection, query, "any", 0, FACET_TEXTS + 1, ("file_code",))
        complete = len(matched) <= FACET_TEXTS
        codes = sorted({row.file_code for row in matched[:FACET_TEXTS]})
        year = sa.cast(_year(), sa.String)
        statement = (
            sa.select(FILES.c.fonds_code, FILES.c.state, year, FILES.c.mode, sa.func.count())
            .where(FILES.c.file_code.in_(codes))
            .group_by(FILES.c.fonds_code, FILES.c.state, year, FILES.c.mode)
        )
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for *values, count in connection.execute(statement):
            for name, value in zip(FACETS, values, strict=True):
                key = str(value or "")
                facets[name][key] = facets[name].get(key, 0) + int(count)
        return facets, complete

    def explain(self, query: SearchQuery, run: str = "e", *, analyze: bool = False) -> str:
        """The backend's plan of the first statement of one run of ``query``'s first page."""
        walk, stream = (None, None) if self._sqlite else (STREAMS[0].walk, STREAMS[0])
        statement = self._select(query, run, 0, query.limit + 1, ("id",), walk, stream)
        compiled = statement.compile(
            dialect=self._engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        values: Any = compiled.params
        if compiled.positiontup is not None:
            values = tuple(compiled.params[name] for name in compiled.positiontup)
        if self._sqlite:
            prefix = "EXPLAIN QUERY PLAN "
        else:
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(prefix + str(compiled), values).all()
        return "\n".join(" ".join(str(v) for v in row) for row in rows)


def _cursor(cursor: str | None) -> tuple[str, int]:
    """``e123``: in the exact run after id 123; ``f45``: in the folded run after id 45."""
    if not cursor:
        return "e", 0
    run, position = cursor[:1], cursor[1:]
    if run not in RUNS or not position.isdigit():
        raise InvalidCursor(f"con trỏ trang {cursor!r} không hợp lệ")
    return run, int(position)
