"""Taking the pages out of a multi-page TIFF or a PDF, one at a time onto disk: a TIFF frame
is written as a TIFF of its own with the same compression (pixel for pixel the same), a PDF
page's image is taken out as its stored stream where the format allows (JPEG, JPEG 2000 are
copied byte for byte; others become PNG/TIFF without loss)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pikepdf
from PIL import TiffImagePlugin

from services.ingest.domain import (
    CorruptImage,
    Header,
    PdfEncrypted,
    PdfWithoutPages,
    ScanPolicy,
    check_header,
)
from shared.errors import DECODER_FAILURES


def tiff_frames(path: Path, workdir: Path, policy: ScanPolicy) -> Iterator[Path]:
    """Each frame of a multi-page TIFF as a single-page TIFF in ``workdir``, its dimensions
    checked from its header before it is decoded."""
    size = path.stat().st_size
    with TiffImagePlugin.TiffImageFile(path) as image:
        for frame in range(getattr(image, "n_frames", 1)):
            image.seek(frame)
            check_header(Header("image/tiff", *image.size, image.mode, None), size, policy)
            target = workdir / f"{frame + 1:04d}.tif"
            compression = image.info.get("compression", "raw")
            dpi = image.info.get("dpi")
            extra: dict[str, object] = {"dpi": dpi} if dpi else {}
            if compression in ("jpeg", "group3", "group4") and image.mode != "1":
                compression = "tiff_adobe_deflate"  # re-encoding JPEG would lose; deflate does not
            image.save(target, "TIFF", compression=compression, **extra)
            yield target


def pdf_pages(path: Path, workdir: Path) -> Iterator[tuple[Path, int | None]]:
    """The largest image of each PDF page, as stored, with the page's dpi from its width."""
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                raise PdfWithoutPages("tệp PDF không có trang")
            for number, page in enumerate(pdf.pages, start=1):
                images = list(page.get_images().values())
                if not images:
                    raise CorruptImage(f"trang {number} của PDF không chứa ảnh quét")
                largest = max(images, key=lambda i: int(i.Width) * int(i.Height))
                image = pikepdf.PdfImage(largest)  # type: ignore[arg-type]
                written = Path(image.extract_to(fileprefix=str(workdir / f"{number:04d}")))
                inches = float(page.mediabox[2] - page.mediabox[0]) / 72
                yield written, (round(int(image.width) / inches) if inches > 0 else None)
    except pikepdf.PasswordError as exc:
        raise PdfEncrypted("tệp PDF cần mật khẩu") from exc
    except (pikepdf.PdfError, pikepdf.models.image.UnsupportedImageTypeError) as exc:
        raise CorruptImage(f"không lấy được ảnh từ PDF: {exc}") from exc


def is_container(path: Path, media_type: str) -> bool:
    """A PDF, or a TIFF of more than one page (counted from its headers, nothing decoded)."""
    if media_type == "application/pdf":
        return True
    if media_type != "image/tiff":
        return False
    try:
        with TiffImagePlugin.TiffImageFile(path) as image:
            return int(getattr(image, "n_frames", 1)) > 1
    except DECODER_FAILURES as exc:
        raise CorruptImage(f"không đọc được TIFF: {exc}") from exc
