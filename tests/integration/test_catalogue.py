"""Catalogue handlers on SQLite and PostgreSQL: events in any order, redeliveries, search."""

from __future__ import annotations

import uuid

import pytest

from services.catalogue.app import MIGRATIONS
from services.catalogue.handlers import (
    CatalogueDeps,
    NewFile,
    describe_file,
    on_page_ingested,
    on_page_processed,
    register_file,
    search,
)
from shared.db import make_engine, migrate
from shared.envelope import Envelope
from shared.events import PageIngested, PageProcessed

pytestmark = pytest.mark.integration
FILE_CODE = "H49.64.33.2001.160"
TEXT = "Kế hoạch số hóa tài liệu lưu trữ của Sở Nội vụ tỉnh Đồng Tháp"


def _events(sequence: int) -> tuple[PageIngested, PageProcessed]:
    page_id = uuid.uuid4()
    ingested = PageIngested(
        file_code=FILE_CODE, page_id=page_id, sequence=sequence,
        object_key=f"{FILE_CODE}/{sequence:04d}.png", sha256="b" * 64, size=10,
        media_type="image/png", width=10, height=10,
    )  # fmt: skip
    processed = PageProcessed(
        file_code=FILE_CODE, page_id=page_id, sequence=sequence, text=f"{TEXT} trang {sequence}",
        text_key="t", hocr_key="h", engine="tesseract", seconds=1.0,
    )  # fmt: skip
    return ingested, processed


@pytest.fixture
def deps(database_url: str) -> CatalogueDeps:
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS)
    return CatalogueDeps(engine=engine, wake_outbox=lambda: None)


def _envelope(event: PageIngested | PageProcessed) -> Envelope:
    return Envelope.new(event, source="test")


async def test_pages_read_before_registration_leave_the_file_digitized(deps: CatalogueDeps) -> None:
    pages = [_events(n) for n in (1, 2)]
    for ingested, processed in pages:
        await on_page_processed(processed, _envelope(processed), deps)  # out of order
        await on_page_ingested(ingested, _envelope(ingested), deps)
    await register_file(NewFile(FILE_CODE, "Hồ sơ số hóa", 2, {}), "lưu trữ viên", deps)
    view = await describe_file(FILE_CODE, deps)
    assert view.file.state == "digitized"
    assert [t.to_state for t in view.transitions] == ["inventoried", "digitizing", "digitized"]


async def test_redelivered_page_events_change_nothing(deps: CatalogueDeps) -> None:
    await register_file(NewFile(FILE_CODE, "Hồ sơ số hóa", 2, {}), "lưu trữ viên", deps)
    ingested, processed = _events(1)
    for _ in range(3):
        await on_page_ingested(ingested, _envelope(ingested), deps)
        await on_page_processed(processed, _envelope(processed), deps)
    view = await describe_file(FILE_CODE, deps)
    assert len(view.pages) == 1
    assert view.file.state == "digitizing"
    assert [t.to_state for t in view.transitions] == ["inventoried", "digitizing"]


async def test_search_is_diacritic_insensitive_and_ranks_exact_matches_first(
    deps: CatalogueDeps,
) -> None:
    await register_file(NewFile(FILE_CODE, "Hồ sơ số hóa", 1, {}), "lưu trữ viên", deps)
    _ingested, processed = _events(1)
    await on_page_processed(processed, _envelope(processed), deps)
    for query in ("dong thap", "ĐỒNG THÁP", "so hoa tai lieu", "Đồng Tháp"):
        hits = await search(query, 10, deps)
        assert [h.file_code for h in hits] == [FILE_CODE], query
    assert (await search("Đồng Tháp", 10, deps))[0].exact
    assert not (await search("dong thap", 10, deps))[0].exact
    assert await search("dong thao", 10, deps) == []
    assert await search("100%_", 10, deps) == []  # LIKE wildcards are escaped
