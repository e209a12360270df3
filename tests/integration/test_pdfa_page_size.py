"""The PDF/A page is as large as the paper: sized by the resolution OCR read the page at (the
hOCR's ``scan_res``), whether the scan declared its dpi or not, and whether OCR read it as
scanned, enlarged or reduced."""

from __future__ import annotations

import resource
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from services.handover.adapters.pdfa import PdfMetadata, PdfPage, build_pdfa, pdfa_problems

pytestmark = pytest.mark.integration
A4_POINTS = (595.3, 841.9)


def _hocr(width: int, height: int, dpi: int) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="vi"><head><title></title></head><body>
<div class="ocr_page" id="page_1" title="image page.pgm; bbox 0 0 {width} {height}; ppageno 0; scan_res {dpi} {dpi}">
<div class="ocr_carea" id="block_1_1" title="bbox 100 100 700 160">
<p class="ocr_par" id="par_1_1" title="bbox 100 100 700 160">
<span class="ocr_line" id="line_1_1" title="bbox 100 100 700 160; baseline 0 0; x_size 40">
<span class="ocrx_word" id="word_1_1" title="bbox 100 100 700 160; x_wconf 95">QUYẾT ĐỊNH</span>
</span></p></div></div></body></html>"""  # noqa: E501


@pytest.mark.parametrize(
    ("scan", "declared", "read_as", "read_dpi"),
    [
        ((1654, 2339), None, (1654, 2339), 200),  # 200 dpi, no dpi tag: read as scanned
        ((1654, 2339), 200, (1654, 2339), 200),
        ((827, 1170), 100, (2481, 3510), 300),  # 100 dpi: OCR read it enlarged 3×
        ((4960, 7016), 600, (2480, 3508), 300),  # 600 dpi: OCR read it reduced
    ],
)
def test_the_page_is_a4_however_ocr_read_the_scan(
    tmp_path: Path,
    scan: tuple[int, int],
    declared: int | None,
    read_as: tuple[int, int],
    read_dpi: int,
) -> None:
    image = tmp_path / "0001.png"
    if declared:
        Image.new("L", scan, 240).save(image, dpi=(declared, declared))
    else:
        Image.new("L", scan, 240).save(image)
    hocr = tmp_path / "0001.hocr"
    hocr.write_text(_hocr(*read_as, read_dpi), encoding="utf-8")
    target = tmp_path / "page.pdf"
    build_pdfa([PdfPage(image, hocr)], PdfMetadata(title="Quyết định", identifier="x"), target)
    with pikepdf.open(target) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
    assert box[2] - box[0] == pytest.approx(A4_POINTS[0], rel=0.01)
    assert box[3] - box[1] == pytest.approx(A4_POINTS[1], rel=0.01)


def _scan(path: Path, kind: str) -> None:
    """A small scan of one kind ingest accepts, in its stored form."""
    size = (827, 1170)
    if kind == "16-bit grey TIFF":
        Image.new("I;16", size, 30000).save(path, "TIFF", dpi=(100, 100))
    elif kind == "JPEG 2000":
        Image.new("RGB", size, (230, 220, 200)).save(path, "JPEG2000")
    elif kind == "CMYK JPEG":
        Image.new("CMYK", size, (10, 10, 30, 0)).save(path, "JPEG", dpi=(100, 100))
    elif kind == "palette PNG":
        Image.new("RGB", size, (230, 220, 200)).convert("P").save(path, "PNG", dpi=(100, 100))
    elif kind == "grey with alpha PNG":
        Image.new("LA", size, (230, 255)).save(path, "PNG", dpi=(100, 100))
    elif kind == "RGB JPEG":
        Image.new("RGB", size, (230, 220, 200)).save(path, "JPEG", dpi=(100, 100))


@pytest.mark.parametrize(
    "kind",
    [
        "16-bit grey TIFF",
        "JPEG 2000",
        "CMYK JPEG",
        "palette PNG",
        "grey with alpha PNG",
        "RGB JPEG",
    ],
)
def test_every_kind_of_scan_ingest_takes_makes_a_valid_pdfa_page(tmp_path: Path, kind: str) -> None:
    """JPEG 2000, CMYK and 16-bit scans go in as an 8-bit PNG of their pixels (a PDF/A-2b
    cannot hold them as stored); the rest as stored."""
    image = tmp_path / "0001.scan"
    _scan(image, kind)
    hocr = tmp_path / "0001.hocr"
    hocr.write_text(_hocr(2481, 3510, 300), encoding="utf-8")
    target = tmp_path / "page.pdf"
    build_pdfa([PdfPage(image, hocr)], PdfMetadata(title="Quyết định", identifier="x"), target)
    assert pdfa_problems(target, expected_pages=1) == []
    with pikepdf.open(target) as pdf:
        (drawn,) = pdf.pages[0].get_images().values()
        if kind == "RGB JPEG":
            assert drawn.Filter == pikepdf.Name.DCTDecode  # the scan's own bytes
            assert drawn.read_raw_bytes() == image.read_bytes()
        elif kind in ("16-bit grey TIFF", "JPEG 2000", "CMYK JPEG"):  # as an 8-bit PNG
            assert drawn.Filter == pikepdf.Name.FlateDecode
            assert drawn.ColorSpace in (pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceGray)
            assert drawn.BitsPerComponent == 8


def test_a_van_ban_of_more_pages_than_the_soft_open_file_limit_is_built(tmp_path: Path) -> None:
    """Every page's scan stays open until the PDF is written: the soft limit is raised."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    pages = []
    for n in range(120):
        image = tmp_path / f"{n:04d}.png"
        Image.new("L", (200, 280), 240).save(image, dpi=(24, 24))
        hocr = tmp_path / f"{n:04d}.hocr"
        hocr.write_text(_hocr(200, 280, 24), encoding="utf-8")
        pages.append(PdfPage(image, hocr))
    resource.setrlimit(resource.RLIMIT_NOFILE, (60, hard))  # fewer than pages + spare
    try:
        target = tmp_path / "long.pdf"
        build_pdfa(pages, PdfMetadata(title="Quyết định", identifier="x"), target)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 120
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert pdfa_problems(target, expected_pages=120) == []
