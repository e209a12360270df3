"""The PDF/A page is as large as the paper: sized by the resolution OCR read the page at (the
hOCR's ``scan_res``), whether the scan declared its dpi or not, and whether OCR read it as
scanned, enlarged or reduced."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from services.handover.adapters.pdfa import PdfMetadata, PdfPage, build_pdfa

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
