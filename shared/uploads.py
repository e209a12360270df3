"""Spooling an HTTP upload to local disk: constant memory, digest taken on arrival, size capped.
Ingest spools page scans this way (one body, or each file part of a multipart body), the
catalogue inventory spreadsheets."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from shared.errors import SohoaError
from shared.text import nfc

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks


@dataclass(frozen=True)
class Upload:
    """An upload spooled to local disk, with the digest taken while it arrived."""

    path: Path
    sha256: str
    size: int


@asynccontextmanager
async def spooled(
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    directory: str | None,
    too_large: type[SohoaError],
    empty: type[SohoaError],
) -> AsyncIterator[Upload]:
    """The upload in a temporary file, removed afterwards. ``too_large`` and ``empty`` are the
    caller's own errors (each service names its refusals)."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(prefix="upload-", dir=directory) as spool:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise too_large(f"tệp vượt quá {max_bytes} byte")
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise empty("yêu cầu không có dữ liệu")
        spool.flush()
        yield Upload(path=Path(spool.name), sha256=digest.hexdigest(), size=size)


@dataclass(frozen=True)
class Part:
    """One file part of a ``multipart/form-data`` upload, spooled: its place in the body (from
    1) and the file name its sender gave it."""

    number: int
    file_name: str | None
    upload: Upload


@dataclass(frozen=True)
class PartRefusals:
    """The caller's own errors for what a multipart body can do wrong (each service names its
    refusals): a part over the size cap, an empty part or body, more parts than allowed, and a
    body or part that is not a file upload at all."""

    too_large: type[SohoaError]
    empty: type[SohoaError]
    too_many: type[SohoaError]
    malformed: type[SohoaError]


class _PartSpooler:
    """The callbacks of python-multipart's streaming parser: each part's headers are gathered
    (they are small and bounded by the parser), its data written to a file of its own as it
    comes, hashed on the way, and cut off past the cap."""

    def __init__(self, folder: Path, limits: tuple[int, int, int], refusals: PartRefusals) -> None:
        self.parts: list[Part] = []
        self.ended = False
        self._folder = folder
        self._max_bytes, self._max_total, self._max_parts = limits
        self._total = 0
        self._refusals = refusals
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = bytearray(), bytearray()
        self._name: str | None = None
        self._file: BinaryIO | None = None
        self._digest = hashlib.sha256()
        self._size = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header,
            "on_headers_finished": self._open,
            "on_part_data": self._data,
            "on_part_end": self._close,
            "on_end": self._end,
        }

    @property
    def _number(self) -> int:
        return len(self.parts) + 1

    def _facts(self) -> dict[str, object]:
        return {"part": self._number, "file_name": self._name}

    def _begin(self) -> None:
        if self._number > self._max_parts:
            raise self._refusals.too_many(
                f"tối đa {self._max_parts} tệp trong một yêu cầu", max_parts=self._max_parts
            )
        self._headers, self._name = {}, None

    def _header(self) -> None:
        self._headers[bytes(self._field).strip().lower()] = bytes(self._value).strip()
        self._field.clear()
        self._value.clear()

    def _open(self) -> None:
        kind, options = parse_options_header(self._headers.get(b"content-disposition"))
        if kind != b"form-data" or b"filename" not in options:
            raise self._refusals.malformed(
                f"phần {self._number} không phải một tệp (Content-Disposition: form-data; "
                'name="…"; filename="…")',
                part=self._number,
            )
        self._name = nfc(options[b"filename"].decode("utf-8", "replace")) or None
        self._file = open(self._folder / f"{self._number:05d}", "wb")  # noqa: SIM115 (see close_file)
        self._digest, self._size = hashlib.sha256(), 0

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:  # data before the part's headers ended: the parser says no
            raise self._refusals.malformed("phần không có tiêu đề", part=self._number)
        self._size += end - start
        self._total += end - start
        if self._total > self._max_total:
            raise self._refusals.too_large(
                f"các tệp của yêu cầu vượt quá {self._max_total} byte cộng lại: chia thành "
                "nhiều yêu cầu",
                max_request_bytes=self._max_total,
                **self._facts(),
            )
        if self._size > self._max_bytes:
            raise self._refusals.too_large(
                f"phần {self._number} ({self._name}) vượt quá {self._max_bytes} byte",
                **self._facts(),
            )
        chunk = data[start:end]
        self._digest.update(chunk)
        self._file.write(chunk)

    def _close(self) -> None:
        if self._file is None:
            raise self._refusals.malformed("phần không có tiêu đề", part=self._number)
        self.close_file()
        if self._size == 0:
            raise self._refusals.empty(f"phần {self._number} ({self._name}) rỗng", **self._facts())
        upload = Upload(self._folder / f"{self._number:05d}", self._digest.hexdigest(), self._size)
        self.parts.append(Part(self._number, self._name, upload))

    def _end(self) -> None:
        self.ended = True

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@asynccontextmanager
async def spooled_parts(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    max_bytes: int,
    max_total_bytes: int,
    max_parts: int,
    directory: str | None,
    refusals: PartRefusals,
) -> AsyncIterator[list[Part]]:
    """Each file part of a ``multipart/form-data`` body in a temporary file of its own, in body
    order, parsed as it streams (python-multipart, FastAPI's own parser) so memory stays flat
    whatever the parts' sizes; the folder is removed afterwards. ``max_bytes`` caps each part,
    ``max_total_bytes`` all of them together (the spool folder's disk is finite, and the
    answer comes only once every part is checked and stored).
    A field without a file name is refused: what applies to all parts travels elsewhere."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise refusals.malformed("multipart/form-data cần tham số boundary")
    with tempfile.TemporaryDirectory(prefix="upload-", dir=directory) as folder:
        limits = (max_bytes, max_total_bytes, max_parts)
        spooler = _PartSpooler(Path(folder), limits, refusals)
        try:
            parser = MultipartParser(boundary, spooler.callbacks())
            async for chunk in chunks:
                parser.write(chunk)
            parser.finalize()
        except FormParserError as exc:
            raise refusals.malformed(f"nội dung multipart không đọc được: {exc}") from exc
        finally:
            spooler.close_file()
        if not spooler.ended:
            raise refusals.malformed("nội dung multipart bị cắt giữa chừng (thiếu boundary cuối)")
        if not spooler.parts:
            raise refusals.empty("yêu cầu không có tệp nào")
        yield spooler.parts
