"""Spooling an HTTP upload to local disk: constant memory, digest taken on arrival, size capped.
Ingest spools page scans this way, the catalogue inventory spreadsheets."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.errors import SohoaError


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
