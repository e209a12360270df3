"""A page's images as people and biên mục tự động read them: the hOCR (layout) and the
cleaned image, from the derivatives area; the original scan, from the originals area."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image

from shared.objectstore import ObjectMissing, ObjectStore
from shared.pictures import eight_bit

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

    async def image(self, key: str, width: int | None = None) -> bytes | None:
        """The cleaned page image (JPEG), at most ``width`` pixels wide when asked (a preview:
        JPEG decoding scales by powers of two on the way, so it costs less than the whole),
        or None when it is not stored."""
        found = await self._read(key)
        if found is None or width is None:
            return found
        return await asyncio.to_thread(_downscaled, found, width)

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
        self, key: str, media_type: str | None, work: Path, width: int | None = None
    ) -> tuple[Path, str] | None:
        original = work / "original"
        try:
            await self._store.download(key, original)
        except ObjectMissing:
            return None
        if media_type in SHOWN_AS_STORED and width is None:
            return original, str(media_type)
        preview = work / "preview.jpg"
        async with self._decodes:
            await asyncio.to_thread(_jpeg_preview, original, preview, width)
        original.unlink()
        return preview, "image/jpeg"


def _bound(image: Image.Image, width: int | None) -> tuple[int, int]:
    """The size of a preview: no longer than :data:`PREVIEW_LONG_SIDE` on either side (a JPEG
    cannot be taller than 65 535 px, and a preview is never the master's size), and no wider
    than ``width`` when asked, at the image's proportions."""
    scale = min(1.0, PREVIEW_LONG_SIDE / max(image.width, image.height, 1))
    if width is not None:
        scale = min(scale, width / max(image.width, 1))
    return max(1, round(image.width * scale)), max(1, round(image.height * scale))


def _as_jpeg(image: Image.Image, target: Path | io.BytesIO, width: int | None) -> None:
    """``image`` (opened, not yet decoded) fitted into :func:`_bound`, saved as a JPEG; a JPEG
    is decoded already scaled down by its DCT (draft), nothing else is decoded twice."""
    box = _bound(image, width)
    image.draft(image.mode, box)
    image.thumbnail(box)
    eight_bit(image).save(target, "JPEG", quality=85 if width is None else 80)


def _jpeg_preview(original: Path, target: Path, width: int | None = None) -> None:
    """The scan as a JPEG no longer than :data:`PREVIEW_LONG_SIDE`, or no wider than
    ``width``; ingest has already refused images past its pixel bound, so decoding is safe."""
    with Image.open(original) as image:
        _as_jpeg(image, target, width)


def _downscaled(jpeg: bytes, width: int) -> bytes:
    """The cleaned page's JPEG no wider than ``width``: the same bytes when it already is."""
    with Image.open(io.BytesIO(jpeg)) as image:
        if image.width <= width:
            return jpeg
        out = io.BytesIO()
        _as_jpeg(image, out, width)
        return out.getvalue()
