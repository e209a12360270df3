"""Decoding a scan fully (not just its header) so a truncated or corrupt file is refused."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from services.ingest.domain import SNIFF_BYTES, CorruptImage, ImageFacts, sniff_media_type

Image.MAX_IMAGE_PIXELS = 400_000_000  # A0 at 600 dpi; above that is a decompression bomb


def inspect_image(path: Path) -> ImageFacts:
    with open(path, "rb") as handle:
        media_type = sniff_media_type(handle.read(SNIFF_BYTES))
    try:
        with Image.open(path) as image:
            image.load()
            width, height = image.size
            dpi_info = image.info.get("dpi")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise CorruptImage(f"không giải mã được ảnh: {exc}") from exc
    dpi = round(float(dpi_info[0])) if dpi_info and dpi_info[0] else None
    return ImageFacts(media_type=media_type, width=width, height=height, dpi=dpi)
