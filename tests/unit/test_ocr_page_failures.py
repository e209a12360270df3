"""Every way a page cannot be read ends in an event the catalogue records: a missing
original and one changed since capture are announced as ``page-failed`` with their code, then
dead-lettered; storage that is away is an outage, announced as nothing. A page read once and
asked for again (its page-processed lost with the broker's log) is answered from the stored
result, not read twice."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.ocr.domain import PageQuality
from services.ocr.handlers import OcrDeps, on_page_ingested
from services.ocr.pipeline import PageResult
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import Event, PageFailed, PageIngested, PageProcessed, PageReadRequested
from shared.objectstore import LocalStore, StorageUnavailable

pytestmark = pytest.mark.unit
SCAN = b"\x89PNG stand-in bytes of a page"


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event, **_: Any) -> Envelope:
        self.events.append(event)
        return Envelope.new(event, source="test")


async def _never_read(_path: Path) -> PageResult:
    raise AssertionError("a page that failed before reading must not be read")


def _event(key: str, sha256: str) -> PageIngested:
    return PageIngested(
        file_code="H49.64.33.2001.160",
        page_id=uuid.uuid4(),
        sequence=3,
        object_key=key,
        sha256=sha256,
        size=len(SCAN),
        media_type="image/png",
        width=1,
        height=1,
    )


@pytest.fixture
def stores(tmp_path: Path) -> tuple[LocalStore, LocalStore]:
    return LocalStore(tmp_path / "originals"), LocalStore(tmp_path / "derivatives")


async def _fails_with(
    stores: tuple[LocalStore, LocalStore], event: PageIngested, originals: Any = None
) -> list[Event]:
    published = Published()
    deps = OcrDeps(originals or stores[0], stores[1], _never_read, published)
    envelope = Envelope.new(event, source="test")
    with pytest.raises(PermanentError):
        await on_page_ingested(event, envelope, deps)
    return published.events


async def test_a_missing_original_is_announced(stores: tuple[LocalStore, LocalStore]) -> None:
    event = _event("H49.64.33.2001.160/0003-gone.png", hashlib.sha256(SCAN).hexdigest())
    (failed,) = await _fails_with(stores, event)
    assert isinstance(failed, PageFailed)
    assert (failed.page_id, failed.reason_code) == (event.page_id, "storage.object-missing")


async def test_an_original_changed_since_capture_is_announced(
    stores: tuple[LocalStore, LocalStore],
) -> None:
    key = "H49.64.33.2001.160/0003-changed.png"
    await stores[0].put(key, io.BytesIO(SCAN), content_type="image/png")
    event = _event(key, hashlib.sha256(b"what ingest stored").hexdigest())
    (failed,) = await _fails_with(stores, event)
    assert isinstance(failed, PageFailed)
    assert failed.reason_code == "ocr.fixity-mismatch"


async def test_storage_away_is_an_outage_not_a_failure(
    stores: tuple[LocalStore, LocalStore],
) -> None:
    class Away(LocalStore):
        async def download(self, key: str, target: Path) -> Any:
            raise StorageUnavailable("kho đối tượng không trả lời")

    published = Published()
    deps = OcrDeps(Away(stores[0].root), stores[1], _never_read, published)
    event = _event("H49.64.33.2001.160/0003.png", hashlib.sha256(SCAN).hexdigest())
    with pytest.raises(StorageUnavailable):
        await on_page_ingested(event, Envelope.new(event, source="test"), deps)
    assert published.events == []


async def test_a_page_asked_for_again_is_answered_from_its_stored_result(
    stores: tuple[LocalStore, LocalStore],
) -> None:
    key = "H49.64.33.2001.160/0003-read.png"
    await stores[0].put(key, io.BytesIO(SCAN), content_type="image/png")
    event = _event(key, hashlib.sha256(SCAN).hexdigest())
    readings: list[Path] = []

    async def read_once(path: Path) -> PageResult:
        readings.append(path)
        quality = PageQuality(300, 0, 1.0, 0.0, 0.0, 900.0, 1.0, 80.0, 200.0, 0.1, True)
        return PageResult(
            "Tờ trình số hóa", 91.0, quality, "<hocr/>", "<alto/>", b"%PDF", b"jpg", "t", "", 1.0
        )

    published = Published()
    deps = OcrDeps(stores[0], stores[1], read_once, published)
    await on_page_ingested(event, Envelope.new(event, source="test"), deps)
    again = PageReadRequested(
        file_code=event.file_code,
        page_id=event.page_id,
        sequence=event.sequence,
        object_key=key,
        sha256=event.sha256,
    )
    await on_page_ingested(again, Envelope.new(again, source="test"), deps)

    first, second = published.events
    assert isinstance(first, PageProcessed)
    assert second == first
    assert len(readings) == 1
