"""A multi-page TIFF or a PDF arrives in one request: each page is taken out without loss,
stored and announced on its own, and the container is kept as an original too."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from services.ingest.adapters.containers import is_container
from services.ingest.adapters.images import inspect_image
from services.ingest.domain import CorruptImage, Intake
from services.ingest.handlers import Scan, ingest_scan
from shared.errors import PermanentError
from shared.events import PageIngested, PageRejected
from shared.uploads import Upload
from tests.support.ingest import MemoryIngest, MemoryStore
from tests.unit.test_ingest_rules import OPEN, _deps

pytestmark = pytest.mark.unit


def _world() -> tuple[MemoryIngest, MemoryStore]:
    memory, store = MemoryIngest(), MemoryStore()
    memory.intakes[OPEN] = (Intake(OPEN, "digitizing", True, True, (), 9), 1)
    return memory, store


def _upload(tmp: Path, body: bytes) -> Upload:
    path = tmp / "upload"
    path.write_bytes(body)
    return Upload(path, hashlib.sha256(body).hexdigest(), len(body))


def _pages(count: int) -> list[Image.Image]:
    pages = []
    for number in range(count):
        page = Image.new("RGB", (1654, 2339), "white")
        page.paste((40 * number, 0, 0), (100, 100, 400, 400))
        pages.append(page)
    return pages


def test_a_multi_page_tiff_becomes_pages_pixel_for_pixel(tmp_path: Path) -> None:
    memory, store = _world()
    deps = _deps(memory, store)
    frames = _pages(3)
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "TIFF",
        save_all=True,
        append_images=frames[1:],
        dpi=(200, 200),
        compression="tiff_lzw",
    )
    upload = _upload(tmp_path, buffer.getvalue())
    done = asyncio.run(ingest_scan(upload, Scan(OPEN, 4), "t", deps))
    assert done.created
    assert done.container_key is not None
    assert [p.sequence for p in done.pages] == [4, 5, 6]
    assert store.objects[done.container_key] == buffer.getvalue()  # the container, as it arrived
    for frame, page in zip(frames, done.pages, strict=True):
        with Image.open(io.BytesIO(store.objects[page.object_key])) as stored:
            assert stored.info["compression"] == "tiff_lzw"
            assert ImageChops.difference(stored.convert("RGB"), frame).getbbox() is None
        assert hashlib.sha256(store.objects[page.object_key]).hexdigest() == page.sha256
        assert page.container_key == done.container_key
    announced = [e for e in memory.events if isinstance(e, PageIngested)]
    assert [e.sequence for e in announced] == [4, 5, 6]
    again = asyncio.run(ingest_scan(upload, Scan(OPEN, 4), "t", deps))  # a retry
    assert not again.created
    assert [p.page_id for p in again.pages] == [p.page_id for p in done.pages]
    assert len(store.objects) == 4


def test_a_pdf_gives_its_page_images_byte_for_byte(tmp_path: Path) -> None:
    memory, store = _world()
    deps = _deps(memory, store)
    buffer = io.BytesIO()
    first, *rest = _pages(2)
    first.save(buffer, "PDF", save_all=True, append_images=rest, resolution=200)
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        streams = [next(iter(p.get_images().values())).read_raw_bytes() for p in pdf.pages]
    done = asyncio.run(
        ingest_scan(_upload(tmp_path, buffer.getvalue()), Scan(OPEN, None), "t", deps)
    )
    assert [p.sequence for p in done.pages] == [1, 2]
    assert [p.media_type for p in done.pages] == ["image/jpeg", "image/jpeg"]
    assert [p.dpi for p in done.pages] == [200, 200]  # from the page's size, not the JPEG
    assert [store.objects[p.object_key] for p in done.pages] == streams
    assert done.container_key in store.objects


def test_one_bad_page_refuses_the_whole_container(tmp_path: Path) -> None:
    memory, store = _world()
    deps = _deps(memory, store)
    good, bad = _pages(1)[0], Image.new("RGB", (595, 842), "white")
    buffer = io.BytesIO()
    good.save(buffer, "TIFF", save_all=True, append_images=[bad], dpi=(72, 72))
    with pytest.raises(PermanentError) as refused:
        asyncio.run(ingest_scan(_upload(tmp_path, buffer.getvalue()), Scan(OPEN, 1), "t", deps))
    assert refused.value.code == "ingest.resolution-too-low"
    assert store.objects == {}
    assert memory.pages == {}
    assert [type(e) for e in memory.events] == [PageRejected]


@pytest.mark.parametrize("size", [(1, 1), (7, 300), (300, 7)])
def test_a_jpeg_narrower_than_eight_pixels_is_read_not_crashed_on(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """The fuzzer's 1×1 JPEG: drafting at 1/8 scale must not ask Pillow for a 0-pixel side."""
    path = tmp_path / "tiny.jpg"
    Image.new("RGB", size, "white").save(path, "JPEG")
    [facts] = inspect_image(path)
    assert (facts.width, facts.height) == size


def test_a_tiff_whose_headers_lack_its_dimensions_is_corrupt_not_a_crash(tmp_path: Path) -> None:
    """Found by the upload fuzzer: Pillow raises TypeError("Missing dimensions") for it."""
    entry = struct.pack("<HHII", 259, 3, 1, 1)  # only a Compression tag: no width, no height
    path = tmp_path / "no-size.tif"
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + bytes(4))
    with pytest.raises(CorruptImage, match="Missing dimensions"):
        is_container(path, "image/tiff")
