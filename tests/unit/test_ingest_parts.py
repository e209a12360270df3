"""Many scans in one multipart request: the body is parsed as it streams, each part spooled
with its digest whatever the chunking; the parts are taken all together or not at all, a
refusal names its part, and the same parts again are a retry."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.ingest.domain import (
    EmptyUpload,
    Intake,
    MultipartMalformed,
    TooManyParts,
    UploadTooLarge,
)
from services.ingest.handlers import IngestDeps, Ingested, Scan, ingest_parts
from shared.errors import PermanentError
from shared.events import PageIngested, PageRejected
from shared.uploads import Part, PartRefusals, Upload, spooled_parts
from tests.support.ingest import MemoryIngest, MemoryStore, image_bytes
from tests.unit.test_ingest_rules import CLOSED, OPEN, _deps

pytestmark = pytest.mark.unit
REFUSALS = PartRefusals(UploadTooLarge, EmptyUpload, TooManyParts, MultipartMalformed)


def _form(*parts: tuple[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body as a client (httpx, like curl -F) sends it."""
    files = [("page", (name, body, "application/octet-stream")) for name, body in parts]
    request = httpx.Request("POST", "http://ingest/", files=files)
    return request.read(), request.headers["content-type"]


async def _chunked(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _spool(
    body: bytes,
    content_type: str,
    *,
    size: int = 997,
    max_bytes: int = 10_000,
    max_total: int = 40_000,
    max_parts: int = 5,
) -> list[tuple[int, str | None, bytes, str]]:
    async def spool() -> list[tuple[int, str | None, bytes, str]]:
        async with spooled_parts(
            _chunked(body, size),
            content_type,
            max_bytes=max_bytes,
            max_total_bytes=max_total,
            max_parts=max_parts,
            directory=None,
            refusals=REFUSALS,
        ) as parts:
            return [
                (p.number, p.file_name, p.upload.path.read_bytes(), p.upload.sha256) for p in parts
            ]

    return asyncio.run(spool())


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_each_part_is_spooled_with_its_digest_whatever_the_chunks(size: int) -> None:
    one, two = b"\x89PNG" + bytes(3000), b"II*\x00" + b"\r\n--" * 500  # a boundary's look-alike
    body, content_type = _form(("0001.png", one), ("Trang 2 – ảnh.tif", two))
    spooled = _spool(body, content_type, size=size)
    assert [(n, name, data) for n, name, data, _ in spooled] == [
        (1, "0001.png", one),
        (2, "Trang 2 – ảnh.tif", two),
    ]
    assert [digest for *_, digest in spooled] == [hashlib.sha256(b).hexdigest() for b in (one, two)]


def test_what_a_multipart_body_can_do_wrong_has_its_code() -> None:
    body, content_type = _form(("0001.png", b"a" * 100), ("0002.png", b"b" * 300))
    with pytest.raises(UploadTooLarge) as large:
        _spool(body, content_type, max_bytes=200)
    assert (large.value.extra["part"], large.value.extra["file_name"]) == (2, "0002.png")
    with pytest.raises(UploadTooLarge) as together:  # each part within its cap, not the sum
        _spool(body, content_type, max_bytes=300, max_total=350)
    assert (together.value.extra["part"], together.value.extra["max_request_bytes"]) == (2, 350)
    with pytest.raises(TooManyParts):
        _spool(body, content_type, max_parts=1)
    with pytest.raises(MultipartMalformed, match="cắt giữa chừng"):
        _spool(body[:-20], content_type)
    with pytest.raises(MultipartMalformed, match="boundary"):
        _spool(body, "multipart/form-data")
    field = httpx.Request("POST", "http://ingest/", data={"sequence": "3"}, files={"p": b"x"})
    with pytest.raises(MultipartMalformed, match="phần 1 không phải một tệp"):
        _spool(field.read(), field.headers["content-type"])
    empty, empty_type = _form(("0001.png", b""))
    with pytest.raises(EmptyUpload) as nothing:
        _spool(empty, empty_type)
    assert nothing.value.extra["part"] == 1


@pytest.fixture
def world() -> tuple[MemoryIngest, MemoryStore, IngestDeps]:
    memory, store = MemoryIngest(), MemoryStore()
    memory.intakes[OPEN] = (Intake(OPEN, "digitizing", True, True, (), 9), 1)
    memory.intakes[CLOSED] = (Intake(CLOSED, "selected", False, False), 1)
    return memory, store, _deps(memory, store)


def _parts(tmp: Path, *bodies: bytes) -> list[Part]:
    parts = []
    for number, body in enumerate(bodies, start=1):
        path = tmp / f"part-{number}-{hashlib.sha256(body).hexdigest()[:8]}"
        path.write_bytes(body)
        upload = Upload(path, hashlib.sha256(body).hexdigest(), len(body))
        parts.append(Part(number, f"{number:04d}.png", upload))
    return parts


def _send(deps: IngestDeps, parts: list[Part], scan: Scan) -> Ingested:
    return asyncio.run(ingest_parts(parts, scan, "test", deps))


def test_parts_without_a_number_take_the_next_free_ones_and_a_retry_is_answered(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps], tmp_path: Path
) -> None:
    memory, store, deps = world
    _send(deps, _parts(tmp_path, image_bytes(colour="red")), Scan(OPEN, 1))
    parts = _parts(tmp_path, image_bytes(colour="green"), image_bytes(colour="blue"))
    done = _send(deps, parts, Scan(OPEN, None, batch="dot-1"))
    assert done.created
    assert [p.sequence for p in done.pages] == [2, 3]
    assert memory.batches["dot-1"].sequences == [2, 3]
    announced = [e for e in memory.events if isinstance(e, PageIngested)]
    assert [e.sequence for e in announced] == [1, 2, 3]
    memory.intakes[OPEN] = (Intake(OPEN, "digitized", False, True), 2)  # the gate has closed
    again = _send(deps, parts, Scan(OPEN, None, batch="dot-1"))
    assert not again.created
    assert [p.page_id for p in again.pages] == [p.page_id for p in done.pages]
    assert len(store.objects) == 3
    assert len(memory.events) == 3


@pytest.mark.parametrize(
    ("case", "sequence", "part", "code"),
    [
        ("the same image twice in the request", 5, 3, "ingest.sequence-taken"),
        ("an image stored already under another number", 6, 1, "ingest.sequence-taken"),
        ("a number held by another image", 1, 1, "ingest.sequence-taken"),
        ("a hồ sơ not open", None, None, "ingest.file-not-open"),
    ],
)
def test_one_refused_part_refuses_all_and_names_itself(
    world: tuple[MemoryIngest, MemoryStore, IngestDeps],
    tmp_path: Path,
    case: str,
    sequence: int | None,
    part: int | None,
    code: str,
) -> None:
    memory, store, deps = world
    first = image_bytes(colour="red")
    _send(deps, _parts(tmp_path, first), Scan(OPEN, 1))
    stored, events = dict(store.objects), list(memory.events)
    bodies = {
        "the same image twice in the request": [
            image_bytes(colour="navy"),
            image_bytes(),
            image_bytes(colour="navy"),
        ],
        "an image stored already under another number": [first, image_bytes()],
        "a number held by another image": [image_bytes(colour="olive"), image_bytes()],
        "a hồ sơ not open": [image_bytes()],
    }[case]
    file_code = CLOSED if code == "ingest.file-not-open" else OPEN
    with pytest.raises(PermanentError) as refused:
        _send(deps, _parts(tmp_path, *bodies), Scan(file_code, sequence, batch="dot-9"))
    assert refused.value.code == code, refused.value
    assert refused.value.extra.get("part") == part
    assert store.objects == stored
    assert [p.sequence for p in memory.pages.values()] == [1]
    [*earlier, rejected] = memory.events
    assert earlier == events
    assert isinstance(rejected, PageRejected)
    assert rejected.code == code
    if part is not None:
        assert rejected.file_name == f"{part:04d}.png"
        assert f"phần {part}" in rejected.detail
    # only a number another image holds was sent twice: the others take no number in the batch
    held = case == "a number held by another image"
    counted = memory.batches["dot-9"].sequences if "dot-9" in memory.batches else []
    assert counted == ([1] if held else [])
