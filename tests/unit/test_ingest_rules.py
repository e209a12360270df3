"""The scanning rules, checked before anything is stored: each bad scan has its own code, only
a page-rejected event is left behind, and the next good page is still taken. Re-scans add a
version and never overwrite."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from services.ingest.config import IngestSettings, ScanRules
from services.ingest.domain import (
    EmptyUpload,
    ImageFacts,
    Intake,
    PageVersion,
    ScanPolicy,
    UploadTooLarge,
    check_rules,
    effective_dpi,
)
from services.ingest.handlers import (
    CloseBatch,
    IngestDeps,
    Scan,
    close_batch,
    ingest_page,
    list_pages,
    run,
)
from shared.errors import PermanentError
from shared.events import BatchClosed, PageIngested, PageRejected
from shared.uploads import Upload, spooled
from tests.support.ingest import (
    FakeUnitOfWork,
    MemoryIngest,
    MemoryStore,
    bomb_png,
    image_bytes,
    pdf_bytes,
    png_declaring,
)

pytestmark = pytest.mark.unit
OPEN = "H49.64.33.2024.01"
CLOSED = "H49.64.33.2024.02"
STRICT = "H49.99"  # a fonds whose rules refuse greyscale


def _deps(memory: MemoryIngest, store: MemoryStore) -> IngestDeps:
    settings = IngestSettings(fonds_rules={STRICT: ScanRules(warn_only=[])})
    return IngestDeps(partial(FakeUnitOfWork, memory), store, lambda: None, settings.policy_for)


@pytest.fixture
def world() -> tuple[MemoryIngest, MemoryStore, IngestDeps]:
    memory, store = MemoryIngest(), MemoryStore()
    for code in (OPEN, STRICT + ".2024.01"):
        memory.intakes[code] = (Intake(code, "digitizing", True, True, (), 9), 1)
    memory.intakes[CLOSED] = (Intake(CLOSED, "selected", False, False), 1)
    return memory, store, _deps(memory, store)


def _ingest(deps: IngestDeps, tmp: Path, body: bytes, scan: Scan) -> tuple[PageVersion, bool]:
    path = tmp / hashlib.sha256(body).hexdigest()
    path.write_bytes(body)
    upload = Upload(path, hashlib.sha256(body).hexdigest(), len(body))
    return asyncio.run(ingest_page(upload, scan, "test", deps))


TRUNCATED_JPEG = image_bytes("JPEG")[:5000]
CASES: list[tuple[str, bytes, Scan, str]] = [
    ("zero bytes", b"", Scan(OPEN, 2), "ingest.empty-upload"),
    ("truncated JPEG", TRUNCATED_JPEG, Scan(OPEN, 2), "ingest.corrupt-image"),
    (
        "wrong extension",
        image_bytes("JPEG"),
        Scan(OPEN, 2, "trang-2.png"),
        "ingest.extension-mismatch",
    ),
    ("decompression bomb", bomb_png(), Scan(OPEN, 2), "ingest.decompression-bomb"),
    (
        "30000 × 30000 px",
        png_declaring(30000, 30000, os.urandom(14_000_000)),
        Scan(OPEN, 2),
        "ingest.image-too-large",
    ),
    ("72 dpi", image_bytes(size=(595, 842), dpi=72), Scan(OPEN, 2), "ingest.resolution-too-low"),
    (
        "8-bit greyscale",
        image_bytes(mode="L"),
        Scan(STRICT + ".2024.01", 2),
        "ingest.colour-depth-too-low",
    ),
    (
        "CMYK TIFF",
        image_bytes("TIFF", mode="CMYK"),
        Scan(OPEN, 2),
        "ingest.colour-mode-unsupported",
    ),
    ("PDF with no pages", pdf_bytes(pages=0), Scan(OPEN, 2), "ingest.pdf-no-pages"),
    ("encrypted PDF", pdf_bytes(encrypted=True), Scan(OPEN, 2), "ingest.pdf-encrypted"),
    (
        "path traversal",
        image_bytes(),
        Scan(OPEN, 2, "../../etc/trang.png"),
        "ingest.unsafe-file-name",
    ),
    ("unknown hồ sơ", image_bytes(), Scan("H49.00.00.0000.00", 2), "ingest.file-unknown"),
    ("not open", image_bytes(), Scan(CLOSED, 2), "ingest.file-not-open"),
    ("unknown format", "Hồ sơ lưu trữ".encode(), Scan(OPEN, 2), "ingest.unsupported-media-type"),
]


async def _spool_empty() -> None:
    async def nothing() -> AsyncIterator[bytes]:
        for chunk in [b""][:0]:
            yield chunk

    async with spooled(
        nothing(), max_bytes=10, directory=None, too_large=UploadTooLarge, empty=EmptyUpload
    ):
        pass


def test_each_bad_scan_has_its_own_code() -> None:
    codes = [code for *_rest, code in CASES]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(("name", "body", "scan", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_scan_is_refused_and_nothing_is_stored(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps],
    tmp_path: Path,
    name: str,
    body: bytes,
    scan: Scan,
    code: str,
) -> None:
    memory, store, deps = world
    if not body:  # refused while spooling, before ingest sees anything
        with pytest.raises(EmptyUpload):
            asyncio.run(_spool_empty())
        assert store.objects == {}
        assert memory.events == []
        return
    with pytest.raises(PermanentError) as refused:
        _ingest(deps, tmp_path, body, scan)
    assert refused.value.code == code, (name, refused.value)
    assert 400 <= refused.value.http_status < 500
    assert store.objects == {}
    assert memory.pages == {}
    [event] = memory.events
    assert isinstance(event, PageRejected)
    assert event.code == code
    # the service still serves: a good page is taken next
    _page, created = _ingest(deps, tmp_path, image_bytes(), Scan(OPEN, 1))
    assert created
    assert len(store.objects) == 1
    assert isinstance(memory.events[-1], PageIngested)


def test_a_scan_without_dpi_gets_the_effective_dpi_of_its_paper_and_a_warning(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps], tmp_path: Path
) -> None:
    memory, _store, deps = world
    page, _ = _ingest(deps, tmp_path, image_bytes(size=(2480, 3508), dpi=None), Scan(OPEN, 1))
    assert page.dpi == 300
    assert page.created_at is not None
    [event] = memory.events
    assert isinstance(event, PageIngested)
    assert event.dpi == 300
    assert event.warnings == ("dpi-missing: effective 300 dpi from A4 paper",)


def test_which_rules_refuse_is_a_setting_of_the_fonds() -> None:
    grey = ImageFacts("image/png", 1654, 2339, 150, "L", 8)
    lenient = ScanPolicy(warn_only=frozenset({"resolution", "colour-depth"}))
    dpi, warnings = check_rules(grey, lenient, paper=None, colour_declared=None)
    assert dpi == 150
    assert [w.split(":")[0] for w in warnings] == [
        "resolution-too-low",
        "colour-depth-too-low",
    ]
    declared_grey = check_rules(grey, ScanPolicy(min_dpi=100), paper=None, colour_declared="grey")
    assert declared_grey == (150, ())
    settings = IngestSettings(fonds_rules={"H49": ScanRules(min_dpi=300)})
    assert settings.policy_for("H49.64.1").min_dpi == 300
    assert settings.policy_for("H490.1").min_dpi == 200
    assert effective_dpi(1654, 2339, "A4") == 200


def test_a_rescan_is_a_new_version_and_the_first_stays(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps], tmp_path: Path
) -> None:
    memory, store, deps = world
    first, _ = _ingest(deps, tmp_path, image_bytes(colour="red"), Scan(OPEN, 3))
    with pytest.raises(PermanentError) as taken:  # not sent back for re-scan: a conflict
        _ingest(deps, tmp_path, image_bytes(colour="blue"), Scan(OPEN, 3))
    assert taken.value.code == "ingest.sequence-taken"
    _intake, version = memory.intakes[OPEN]
    memory.intakes[OPEN] = (Intake(OPEN, "rescan_requested", True, True, (3,), 9), version + 1)
    second, created = _ingest(deps, tmp_path, image_bytes(colour="blue"), Scan(OPEN, 3))
    assert created
    assert second.version == 2
    assert second.replaces == first.page_id
    assert len(store.objects) == 2  # version 1 is still stored, write-once
    assert hashlib.sha256(store.objects[first.object_key]).hexdigest() == first.sha256
    current = asyncio.run(run(deps, list_pages, (OPEN, False)))
    every = asyncio.run(run(deps, list_pages, (OPEN, True)))
    assert [p.page_id for p in current] == [second.page_id]
    assert [(p.version, p.current) for p in every] == [(1, False), (2, True)]
    announced = [e for e in memory.events if isinstance(e, PageIngested)]
    assert [(e.version, e.replaces) for e in announced] == [(1, None), (2, announced[0].page_id)]
    # the same bytes again are a retry, answered with the version already stored
    again, created = _ingest(deps, tmp_path, image_bytes(colour="blue"), Scan(OPEN, 3))
    assert not created
    assert again.page_id == second.page_id


def test_a_closed_batch_tells_gaps_duplicates_and_extras(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps], tmp_path: Path
) -> None:
    memory, _store, deps = world
    memory.intakes[OPEN] = (Intake(OPEN, "digitizing", True, True, (), 4), 2)
    for sequence, colour in [(1, "red"), (2, "green"), (5, "blue")]:
        _ingest(deps, tmp_path, image_bytes(colour=colour), Scan(OPEN, sequence, batch="b1"))
    with pytest.raises(PermanentError):  # number 2 again, other bytes: refused, and counted
        _ingest(deps, tmp_path, image_bytes(colour="yellow"), Scan(OPEN, 2, batch="b1"))
    batch, result = asyncio.run(run(deps, close_batch, CloseBatch(OPEN, "b1")))
    assert (result.gaps, result.duplicates, result.extras) == ((3, 4), (2,), (5,))
    assert result.received == 3
    assert not result.complete
    closed = memory.events[-1]
    assert isinstance(closed, BatchClosed)
    assert (closed.gaps, closed.complete, closed.declared_pages) == ((3, 4), False, 4)
    with pytest.raises(PermanentError) as again:
        _ingest(deps, tmp_path, image_bytes(colour="white"), Scan(OPEN, 3, batch="b1"))
    assert again.value.code == "ingest.batch-closed"
    assert len(_store.objects) == 3  # refused before anything was stored
    assert batch.closed_at is not None


def test_a_scan_is_held_to_the_rules_before_its_number_or_batch_is_refused(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps], tmp_path: Path
) -> None:
    """One read of the database admits a page, placing it too, before it is decoded; a
    placing refusal still waits its turn, after the scan's own faults."""
    memory, store, deps = world
    _ingest(deps, tmp_path, image_bytes(colour="red"), Scan(OPEN, 3, batch="b1"))
    asyncio.run(run(deps, close_batch, CloseBatch(OPEN, "b1")))
    for scan, number_or_batch in [
        (Scan(OPEN, 3), "ingest.sequence-taken"),
        (Scan(OPEN, 4, batch="b1"), "ingest.batch-closed"),
    ]:
        with pytest.raises(PermanentError) as corrupt:
            _ingest(deps, tmp_path, TRUNCATED_JPEG, scan)
        assert corrupt.value.code == "ingest.corrupt-image"
        with pytest.raises(PermanentError) as coarse:
            _ingest(deps, tmp_path, image_bytes(size=(595, 842), dpi=72), scan)
        assert coarse.value.code == "ingest.resolution-too-low"
        with pytest.raises(PermanentError) as placed:
            _ingest(deps, tmp_path, image_bytes(colour="blue"), scan)
        assert placed.value.code == number_or_batch
    assert len(store.objects) == 1  # none of the refused was stored
    refused = [e.code for e in memory.events if isinstance(e, PageRejected)]
    assert refused == [
        "ingest.corrupt-image",
        "ingest.resolution-too-low",
        "ingest.sequence-taken",
        "ingest.corrupt-image",
        "ingest.resolution-too-low",
        "ingest.batch-closed",
    ]
