"""Reading a scan: its header first (dimensions refused before any pixel is decoded), then a
full decode so a truncated or corrupt file is refused too."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import (
    Image,
    ImageFile,
    Jpeg2KImagePlugin,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    UnidentifiedImageError,
)

from services.ingest.domain import (
    MODE_BITS,
    SNIFF_BYTES,
    CorruptImage,
    DecompressionBomb,
    Header,
    ImageFacts,
    ScanPolicy,
    check_header,
    sniff_media_type,
)
from shared.errors import DECODER_FAILURES

# The format's own reader, chosen by the sniffed content: it parses the header only, so our
# bound decides before PIL's (which would refuse without telling a bomb from a big scan).
READERS: dict[str, type[ImageFile.ImageFile]] = {
    "image/png": PngImagePlugin.PngImageFile,
    "image/tiff": TiffImagePlugin.TiffImageFile,
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/jp2": Jpeg2KImagePlugin.Jpeg2KImageFile,
}
DECODE_ERRORS: tuple[type[Exception], ...] = (UnidentifiedImageError, *DECODER_FAILURES)


def guard_decoders(policy: ScanPolicy) -> None:
    """PIL refuses anything above the bound by itself too (a second guard behind ours)."""
    Image.MAX_IMAGE_PIXELS = policy.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def sniff(path: Path) -> str:
    with open(path, "rb") as handle:
        return sniff_media_type(handle.read(SNIFF_BYTES))


def inspect_image(path: Path, policy: ScanPolicy | None = None) -> list[ImageFacts]:
    """Facts of every page of an image file (a multi-page TIFF has several), checked from the
    header before decoding, then decoded one frame at a time."""
    policy = policy or ScanPolicy()
    media_type = sniff(path)
    if media_type not in READERS:
        raise CorruptImage(f"{media_type} không phải một ảnh trang (tệp chứa nhiều trang?)")
    size = path.stat().st_size
    try:
        with READERS[media_type](path) as image:  # reads the header only
            frames = getattr(image, "n_frames", 1)
            header = Header(media_type, *image.size, image.mode, _dpi(image), frames)
            check_header(header, size, policy)
            pages = []
            for frame in range(frames):
                image.seek(frame)
                check_header(Header(media_type, *image.size, image.mode, None), size, policy)
                facts = _facts(media_type, image)  # before a JPEG is drafted to a smaller size
                if media_type == "image/jpeg":
                    # Every byte of the entropy-coded data is still decoded (a truncated or
                    # corrupt JPEG fails just the same); only the inverse DCT runs at 1/8
                    # scale: 6× faster on an A4 page and 1/64 of the memory. Never below 1 px:
                    # Pillow divides by the size asked for.
                    image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
                pages.append(facts)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBomb(f"bom giải nén: {exc}") from exc
    except DECODE_ERRORS as exc:
        raise CorruptImage(f"không giải mã được ảnh: {exc}") from exc
    return pages


def _dpi(image: Image.Image) -> float | None:
    dpi_info = image.info.get("dpi")
    if not dpi_info or not dpi_info[0]:
        return None
    if image.format == "JPEG" and image.info.get("jfif_unit") == 0:
        return None  # an aspect ratio, not a density
    return float(dpi_info[0])


def _facts(media_type: str, image: Image.Image) -> ImageFacts:
    dpi = _dpi(image)
    mode = image.mode
    return ImageFacts(
        media_type=media_type,
        width=image.width,
        height=image.height,
        dpi=round(dpi) if dpi else None,
        colour_mode=mode,
        bits=MODE_BITS.get(mode, 0),
    )
