"""A page's images as people and biên mục tự động read them: the hOCR (layout) and the
cleaned image, from the derivatives area; the original scan, from the originals area."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PIL import Image

from shared.objectstore import ObjectMissing, ObjectStore

SHOWN_AS_STORED = frozenset({"image/jpeg", "image/png"})
"""Originals a browser shows as they are; TIFF and JPEG 2000 are re-encoded as JPEG."""
PREVIEW_LONG_SIDE = 3508  # an A4 page at 300 dpi: enough to compare, never the master's size


class StoredHocr:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    async def hocr(self, key: str) -> str | None:
        """The page's hOCR, or None when it is not stored (the text is read instead)."""
        found = await self._read(key)
        return found.decode("utf-8") if found is not None else None

    async def image(self, key: str) -> bytes | None:
        """The cleaned page image (JPEG), or None when it is not stored."""
        return await self._read(key)

    async def _read(self, key: str) -> bytes | None:
        try:
            return await self._store.read_bytes(key)
        except ObjectMissing:
            return None


class StoredOriginals:
    """Originals for the page viewer: downloaded to disk and streamed from there; a TIFF or
    JPEG 2000 is decoded (a few at a time: a scan may be hundreds of megapixels' worth of
    memory) into a JPEG no longer than :data:`PREVIEW_LONG_SIDE`."""

    def __init__(self, store: ObjectStore, decodes: int = 2) -> None:
        self._store = store
        self._decodes = asyncio.Semaphore(decodes)

    async def preview(
        self, key: str, media_type: str | None, work: Path
    ) -> tuple[Path, str] | None:
        original = work / "original"
        try:
            await self._store.download(key, original)
        except ObjectMissing:
            return None
        if media_type in SHOWN_AS_STORED:
            return original, str(media_type)
        preview = work / "preview.jpg"
        async with self._decodes:
            await asyncio.to_thread(_jpeg_preview, original, preview)
        original.unlink()
        return preview, "image/jpeg"


def _jpeg_preview(original: Path, target: Path) -> None:
    """The scan as a JPEG no longer than :data:`PREVIEW_LONG_SIDE`; ingest has already refused
    images past its pixel bound, so decoding it is safe."""
    with Image.open(original) as image:
        image.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE))
        shown: Image.Image = image
        if image.mode.startswith("I"):  # 16-bit grey: scaled to 8 bits, not clipped
            shown = image.convert("I").point(lambda v: v / 256).convert("L")
        shown = shown.convert("L" if shown.mode in ("1", "L") else "RGB")
        shown.save(target, "JPEG", quality=85)
