"""In-memory ingest: the unit of work, repositories and object store behind its ports, and the
bad scans of the table-driven tests."""

from __future__ import annotations

import copy
import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image

from services.ingest.domain import Batch, Intake, PageSlot, PageVersion
from services.ingest.ports import UnitOfWork
from shared.events import Event
from shared.objectstore import ObjectExists, StoredObject


class MemoryIngest:
    """The committed state the fake units of work share."""

    def __init__(self) -> None:
        self.pages: dict[str, PageVersion] = {}
        self.intakes: dict[str, tuple[Intake, int]] = {}
        self.events: list[Event] = []
        self.batches: dict[str, Batch] = {}


class _Pages:
    def __init__(self, state: dict[str, PageVersion]) -> None:
        self.state = state

    def slot(self, file_code: str, sequence: int) -> PageSlot:
        versions = [
            p for p in self.state.values() if (p.file_code, p.sequence) == (file_code, sequence)
        ]
        return PageSlot(file_code, sequence, sorted(versions, key=lambda p: p.version))

    def with_content(self, file_code: str, sha256: str) -> PageVersion | None:
        return next(
            (p for p in self.state.values() if (p.file_code, p.sha256) == (file_code, sha256)),
            None,
        )

    def next_sequence(self, file_code: str) -> int:
        return (
            max((p.sequence for p in self.state.values() if p.file_code == file_code), default=0)
            + 1
        )

    def save(self, slot: PageSlot) -> None:
        for page in slot.versions:
            self.state[page.page_id] = page

    def of_file(self, file_code: str, *, all_versions: bool = False) -> list[PageVersion]:
        pages = [
            p
            for p in self.state.values()
            if p.file_code == file_code and (all_versions or p.current)
        ]
        return sorted(pages, key=lambda p: (p.sequence, p.version))


class _Intakes:
    def __init__(self, state: dict[str, tuple[Intake, int]]) -> None:
        self.state = state

    def get(self, file_code: str) -> tuple[Intake, int] | None:
        return self.state.get(file_code)

    def put(self, intake: Intake, version: int) -> None:
        self.state[intake.file_code] = (intake, version)


class _Batches:
    def __init__(self, state: dict[str, Batch]) -> None:
        self.state = state

    def get(self, batch_id: str) -> Batch | None:
        return self.state.get(batch_id)

    def put(self, batch: Batch) -> None:
        self.state[batch.batch_id] = batch


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, memory: MemoryIngest, _correlation_id: str = "") -> None:
        self._memory = memory
        self._pages = copy.deepcopy(memory.pages)
        self._intakes = dict(memory.intakes)
        self._events: list[Event] = []
        self.pages = _Pages(self._pages)
        self.intakes = _Intakes(self._intakes)
        self._batches = copy.deepcopy(memory.batches)
        self.batches = _Batches(self._batches)

    def publish(self, event: Event) -> None:
        self._events.append(event)

    def commit(self) -> None:
        self._memory.pages = copy.deepcopy(self._pages)
        self._memory.intakes = dict(self._intakes)
        self._memory.batches = copy.deepcopy(self._batches)
        self._memory.events.extend(self._events)
        self._events = []

    def rollback(self) -> None:
        self._events = []

    def now(self) -> datetime:
        return datetime.now(UTC)


class MemoryStore:
    """Write-once objects in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, overwrite: bool = False
    ) -> StoredObject:
        if key in self.objects and not overwrite:
            raise ObjectExists(key)
        data = source.read()
        self.objects[key] = data
        return StoredObject(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    async def download(self, key: str, target: Path) -> StoredObject:
        raise NotImplementedError

    async def read_bytes(self, key: str) -> bytes:
        return self.objects[key]

    async def digest(self, key: str) -> StoredObject:
        data = self.objects[key]
        return StoredObject(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def ping(self) -> None:
        return None

    def location(self, key: str) -> str:
        return f"memory://{key}"


# --- scans, good and bad ---------------------------------------------------------------------


def image_bytes(
    fmt: str = "PNG",
    *,
    size: tuple[int, int] = (1654, 2339),
    mode: str = "RGB",
    dpi: int | None = 200,
    colour: object = "white",
    frames: int = 1,
) -> bytes:
    """A blank page (A4 at 200 dpi by default) with a mark of ``colour`` so versions differ."""
    image = Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0))
    image.paste(colour if mode == "RGB" else 0, (10, 10, 60, 60))  # type: ignore[arg-type]
    buffer = io.BytesIO()
    extra: dict[str, object] = {} if dpi is None else {"dpi": (dpi, dpi)}
    if frames > 1:
        more = [image.copy() for _ in range(frames - 1)]
        image.save(buffer, fmt, save_all=True, append_images=more, **extra)
    else:
        image.save(buffer, fmt, **extra)
    return buffer.getvalue()


def png_declaring(width: int, height: int, body: bytes) -> bytes:
    """A PNG whose header declares ``width × height`` RGB over the given compressed body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def bomb_png() -> bytes:
    """20000 × 20000 px of zeros in a few hundred kilobytes (1.2 GB once decoded)."""
    row = b"\x00" + b"\x00" * (20000 * 3)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(2000)) + compressor.flush()
    return png_declaring(20000, 20000, body)


def pdf_bytes(*, pages: int = 1, encrypted: bool = False) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    if encrypted:
        secret = "bí mật"  # noqa: S105 (a test document's password)
        pdf.save(buffer, encryption=pikepdf.Encryption(owner=secret, user=secret))
    else:
        pdf.save(buffer)
    return buffer.getvalue()
