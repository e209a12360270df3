"""Spooling an HTTP upload to local disk: constant memory, digest taken on arrival, size capped."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.ingest.domain import EmptyUpload, Upload, UploadTooLarge


@asynccontextmanager
async def spooled(
    chunks: AsyncIterator[bytes], *, max_bytes: int, directory: str | None
) -> AsyncIterator[Upload]:
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(prefix="upload-", dir=directory) as spool:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise UploadTooLarge(f"tệp vượt quá {max_bytes} byte")
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise EmptyUpload("không có dữ liệu ảnh trong yêu cầu")
        spool.flush()
        yield Upload(path=Path(spool.name), sha256=digest.hexdigest(), size=size)
