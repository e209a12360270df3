"""One search suite, run on SQLite (FTS5) and PostgreSQL (tsvector, GIN) against the same
expected results: diacritics and case folded (đ too), exact matches first, then the others,
each run in the order the texts were indexed; phrases and prefixes, the hồ sơ's own
description, filters, facets, a cursor that pages through everything once, and queries that
look like the backends' own syntax."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.catalogue import handlers
from services.catalogue.adapters import search as search_adapter
from services.catalogue.adapters.repository import SqlUnitOfWork
from services.catalogue.adapters.search import SqlSearch, SqlSearchIndex, Stream
from services.catalogue.adapters.views import SqlCatalogueViews
from services.catalogue.app import MIGRATIONS
from services.catalogue.domain.codes import AccessMode, DocumentType
from services.catalogue.domain.commands import RegisterFile, SetDocument
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.errors import InvalidCursor
from services.catalogue.domain.queries import FileFilter, SearchQuery
from services.catalogue.domain.search import (
    EmptyQuery,
    exact_for_index,
    folded_for_index,
    highlight,
    parse_query,
)
from shared.db import make_engine, migrate
from tests.support.catalogue import ARCHIVIST, description, document

pytestmark = pytest.mark.integration
A, B, C = "H49.64.33.2001.1", "H49.64.33.2005.2", "H49.64.34.2010.3"
PAGES = {
    (A, 1): "Kế hoạch số hóa tài liệu lưu trữ của Sở Nội vụ tỉnh Đồng Tháp",
    (A, 2): "Tài liệu luu tru được chỉnh lý hoàn chỉnh trước khi số hóa",  # typed without marks
    (B, 1): "Báo cáo công tác văn thư, lưu trữ năm 2005 của Đảng ủy khối",
    (B, 2): "Danh mục hồ sơ có giá trị đặc biệt; chỉnh lý tài liệu tồn đọng",
    (C, 1): "Quyết định thành lập Hội đồng xác định giá trị tài liệu lưu trữ",
}


@pytest.fixture
def views(database_url: str) -> SqlCatalogueViews:
    engine: Engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    files = {
        A: ("Hồ sơ kế hoạch số hóa", "64", AccessMode.PUBLIC),
        B: ("Báo cáo văn thư lưu trữ năm 2005", "64", AccessMode.CONDITIONAL),
        C: ("Quyết định về Hội đồng xác định giá trị", "65", AccessMode.PUBLIC),
    }
    for code, (title, fonds, mode) in files.items():
        year = PartialDate(int(code.split(".")[3]))
        elements = description(2, title=title, mode=mode, start_date=year, end_date=year)
        command = RegisterFile(code, elements, ARCHIVIST, fonds_code=fonds)
        handlers.register_file(command, SqlUnitOfWork(engine))
    kinds = {A: DocumentType.PLAN, B: DocumentType.REPORT, C: DocumentType.DECISION}
    for code, kind in kinds.items():
        described = document(1, 2, type_name=kind, code_notation=None, issued_date=None)
        handlers.set_document(SetDocument(code, 1, described, ARCHIVIST), SqlUnitOfWork(engine))
    with SqlUnitOfWork(engine) as uow:
        for (code, sequence), text in PAGES.items():
            uow.texts.put(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{code}/{sequence}"), code, sequence, text
            )
        uow.commit()
    return SqlCatalogueViews(engine)


def _hits(
    views: SqlCatalogueViews, q: str, *, pages_only: bool = True, **options: Any
) -> list[tuple[str, int | None, bool]]:
    """(hồ sơ, page, exact) of each hit in order; the hồ sơ's own descriptions left out unless
    ``pages_only`` is false."""
    page = views.search(SearchQuery(parse_query(q), **options))
    return [
        (h.file_code, h.sequence, h.exact) for h in page.hits if h.kind == "page" or not pages_only
    ]


def test_diacritics_and_case_are_folded_and_exact_matches_come_first(
    views: SqlCatalogueViews,
) -> None:
    expected_folded = [(A, 1, True), (B, 1, True), (C, 1, True), (A, 2, False)]
    assert _hits(views, "lưu trữ") == expected_folded
    assert _hits(views, "LƯU TRỮ") == expected_folded
    assert _hits(views, "luu tru") == [(A, 2, True), (A, 1, False), (B, 1, False), (C, 1, False)]
    assert _hits(views, "dang uy") == [(B, 1, False)]  # đ folds to d
    assert _hits(views, "đồng tháp") == [(A, 1, True)]


def test_a_query_is_a_phrase_of_whole_syllables(views: SqlCatalogueViews) -> None:
    assert _hits(views, "tài liệu lưu trữ") == [(A, 1, True), (C, 1, True), (A, 2, False)]
    assert _hits(views, "lưu tài") == []  # both syllables occur, never side by side
    assert _hits(views, "lư") == []  # not a syllable


def test_a_star_makes_the_last_syllable_a_prefix(views: SqlCatalogueViews) -> None:
    assert _hits(views, "chỉnh l*") == [(A, 2, True), (B, 2, True)]
    assert _hits(views, "ton d*") == [(B, 2, False)]


def test_several_quoted_phrases_must_all_match(views: SqlCatalogueViews) -> None:
    assert _hits(views, '"chỉnh lý" "số hóa"') == [(A, 2, True)]
    assert _hits(views, '"chỉnh lý" "hội đồng"') == []


def test_a_files_own_description_is_found_too(views: SqlCatalogueViews) -> None:
    page = views.search(SearchQuery(parse_query("hội đồng xác định")))
    found = [(h.kind, h.file_code, h.sequence) for h in page.hits]
    assert ("file", C, None) in found  # its title
    assert ("page", C, 1) in found


def test_filters_narrow_the_hits_by_the_hồ_sơ(views: SqlCatalogueViews) -> None:
    def codes(where: FileFilter) -> set[str]:
        return {f for f, _s, _e in _hits(views, "tài liệu", where=where)}

    assert codes(FileFilter()) == {A, B, C}
    assert _hits(views, "lưu trữ", pages_only=False)[0] == (B, None, True)  # B's title
    assert codes(FileFilter(fonds_code="65")) == {C}
    assert codes(FileFilter(mode="02")) == {B}
    assert codes(FileFilter(type_name="10")) == {A}
    assert codes(FileFilter(year_from=2005)) == {B, C}
    assert codes(FileFilter(year_to=2001)) == {A}
    assert codes(FileFilter(state="inventoried")) == {A, B, C}
    assert codes(FileFilter(state="approved")) == set()


def test_facets_count_the_matching_hồ_sơ(views: SqlCatalogueViews) -> None:
    page = views.search(SearchQuery(parse_query("tài liệu"), facets=True))
    assert page.facets == {
        "fonds": {"64": 2, "65": 1},
        "state": {"inventoried": 3},
        "year": {"2001": 1, "2005": 1, "2010": 1},
        "mode": {"01": 2, "02": 1},
    }


def test_a_public_only_caller_never_finds_or_counts_a_restricted_hồ_sơ(
    views: SqlCatalogueViews,
) -> None:
    public = FileFilter(public_only=True)
    assert {f for f, _s, _e in _hits(views, "lưu trữ", pages_only=False, where=public)} == {A, C}
    page = views.search(SearchQuery(parse_query("tài liệu"), where=public, facets=True))
    assert B not in {hit.file_code for hit in page.hits}
    assert page.facets is not None
    assert page.facets["mode"] == {"01": 2}
    assert sum(page.facets["fonds"].values()) == 2
    assert _hits(views, "tài liệu", where=FileFilter(mode="02", public_only=True)) == []
    listed = views.files(public, after=None, limit=10)
    assert {row.file_code for row in listed} == {A, C}


def test_the_cursor_pages_through_every_hit_once_in_order(views: SqlCatalogueViews) -> None:
    everything = _hits(views, "tài liệu", limit=200, pages_only=False)
    assert len(everything) >= 5
    collected: list[tuple[str, int | None, bool]] = []
    cursor = None
    for _ in range(10):
        page = views.search(SearchQuery(parse_query("tài liệu"), limit=2, cursor=cursor))
        collected.extend((h.file_code, h.sequence, h.exact) for h in page.hits)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert collected == everything
    with pytest.raises(InvalidCursor):
        views.search(SearchQuery(parse_query("tài liệu"), cursor="x9"))


@pytest.mark.parametrize(
    "query", ['"', "NOT AND OR", "luu*tru", "a) OR (b", "100%_", "'; DROP TABLE x; --", "tru:*"]
)
def test_queries_that_look_like_backend_syntax_are_only_words(
    views: SqlCatalogueViews, query: str
) -> None:
    try:
        phrases = parse_query(query)
    except EmptyQuery:
        return
    views.search(SearchQuery(phrases))  # never a syntax error from FTS5 or to_tsquery


def test_highlights_mark_the_printed_words() -> None:
    plain, marked = highlight("Tài liệu lưu trữ của tỉnh", parse_query("luu tru"))
    assert plain == "Tài liệu lưu trữ của tỉnh"
    assert marked == "Tài liệu <mark>lưu trữ</mark> của tỉnh"
    _, prefixed = highlight("Chỉnh lý tài liệu", parse_query("chinh l*"))
    assert prefixed == "<mark>Chỉnh lý</mark> tài liệu"
    _, escaped = highlight("<b>lưu trữ</b>", parse_query("lưu trữ"))
    assert escaped == "&lt;b&gt;<mark>lưu trữ</mark>&lt;/b&gt;"


def test_a_bulk_load_is_searched_like_pages_put_one_by_one(database_url: str) -> None:
    engine: Engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    rows = [
        (uuid.uuid4(), A, n, f"Trang {n}: tài liệu lưu trữ số {n} của tỉnh Trà Vinh")
        for n in range(1, 6)
    ]
    with Session(engine) as session:
        SqlSearchIndex(session).put_many(rows)
        session.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.texts.put(uuid.uuid4(), A, 6, "Tài liệu lưu trữ số 6, viết không dấu: luu tru")
        uow.commit()
    hits = SqlCatalogueViews(engine).search(SearchQuery(parse_query("lưu trữ số"))).hits
    assert [h.sequence for h in hits] == [1, 2, 3, 4, 5, 6]
    assert SqlCatalogueViews(engine).search(SearchQuery(parse_query("tra vinh"))).hits


def _oracle(texts: list[str], q: str) -> list[int]:
    """Indexes of the texts a one-phrase query finds, in the order search must give them:
    those holding it as typed, then those holding it only folded, each in indexing order."""
    (phrase,) = parse_query(q)
    exact, folded = f" {' '.join(phrase.exact)} ", f" {' '.join(phrase.folded)} "
    as_typed = [i for i, t in enumerate(texts) if exact in f" {exact_for_index(t)} "]
    only_folded = [
        i for i, t in enumerate(texts) if folded in f" {folded_for_index(t)} " and i not in as_typed
    ]
    return as_typed + only_folded


def test_descriptions_registered_before_the_pages_are_merged_in_order_by_every_path(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mục lục's descriptions come first in the index, pages after; on PostgreSQL each
    kind is walked and indexed apart. Walks of a few rows make every path run — walk, the
    next window, the index for the rest, a later kind below the earlier one's last hit — and
    the hits (and a cursor paging through them) must be those of one id order."""
    monkeypatch.setattr(search_adapter, "STREAMS", (Stream("page", 3, 6), Stream("file", 2, 3)))
    engine: Engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    texts = [f"Hồ sơ số {n} về công tác văn thư, lưu trữ" for n in range(12)]
    texts[9] = "Hồ sơ số 9: tài liệu lưu trữ của Sở Nội vụ"  # a description with the page word
    pages = [
        "Tài liệu lưu trữ được chỉnh lý hoàn chỉnh",
        "Báo cáo năm 2005 của Đảng ủy khối",
        "Kế hoạch số hóa tai lieu luu tru",  # typed without marks
        *(f"Trang {n}: công văn đến" for n in range(10)),
        "Danh mục tài liệu tồn đọng",
        "Văn thư, lưu trữ: tài liệu",
    ]
    with Session(engine) as session:
        index = SqlSearchIndex(session)
        for n in range(12):
            index.put_file(f"H49.64.33.2001.{n}", texts[n])
        session.commit()
    with Session(engine) as session:
        rows = [(uuid.uuid4(), "H49.64.33.2001.0", n + 1, t) for n, t in enumerate(pages)]
        SqlSearchIndex(session).put_many(rows)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:  # the statistics the rare-word shortcut reads
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE catalogue_search"
            )
    texts += pages
    views = SqlCatalogueViews(engine)
    for q in ("tài liệu", "lưu trữ", "tai lieu", "công văn", "đảng ủy", "xyzzy"):
        expected = _oracle(texts, q)
        hits = views.search(SearchQuery(parse_query(q), limit=50)).hits
        assert [h.text for h in hits] == [texts[i] for i in expected], q
        collected: list[str] = []
        cursor = None
        for _ in range(len(texts)):
            page = views.search(SearchQuery(parse_query(q), limit=2, cursor=cursor))
            collected.extend(h.text for h in page.hits)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert collected == [texts[i] for i in expected], q
    assert len(_oracle(texts, "tài liệu")) == 5  # one description among the pages' hits
    facets = views.search(SearchQuery(parse_query("lưu trữ"), facets=True))
    assert facets.facets is not None
    assert facets.facets_complete
    assert "catalogue_search" in SqlSearch(engine).explain(SearchQuery(parse_query("tài liệu")))
