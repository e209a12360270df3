"""The handover PDF/A of a page clean-up had to turn and deskew: real tesseract reads the scan,
the colour scan is drawn through the map OCR recorded, and the invisible words must lie over
its printed ones — judged on the page as poppler renders it, not on our own arithmetic."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from services.handover.adapters.pdfa import PdfMetadata, PdfPage, build_pdfa
from services.ocr.pipeline import process_image
from tests.support.corpus import render_variant

pytestmark = pytest.mark.integration
RENDER_DPI = 100


def _scan(how: str, path: Path) -> None:
    """A colour scan as the archive stored it: fed sideways and crooked, or crooked at 200 dpi
    as a JPEG from a phone that says in EXIF how to show it."""
    if how == "sideways and crooked, 300 dpi PNG":
        page, _ = render_variant("clean", 2)
        scan = page.convert("RGB").transpose(Image.Transpose.ROTATE_270)
        scan.rotate(2.0, Image.Resampling.BICUBIC, expand=True, fillcolor="white").save(
            path, dpi=(300, 300)
        )
        return
    page, _ = render_variant("dpi200", 3)
    crooked = page.convert("RGB").rotate(
        -1.5, Image.Resampling.BICUBIC, expand=True, fillcolor="white"
    )
    exif = Image.Exif()
    exif[0x0112] = 8  # show the stored pixels turned 90° anticlockwise: upright
    crooked.transpose(Image.Transpose.ROTATE_270).save(
        path, dpi=(200, 200), quality=90, exif=exif.tobytes()
    )


def _ink_under_words(pdf: Path, work: Path) -> tuple[np.ndarray, float]:
    """The share of dark pixels under each word of the text layer, and on the whole page."""
    subprocess.run(
        ["pdftoppm", "-r", str(RENDER_DPI), "-gray", "-png", "-singlefile", pdf, work / "shown"],
        check=True,
    )
    dark = np.asarray(Image.open(work / "shown.png")) < 128
    layout = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, check=True)
    words = etree.fromstring(layout.stdout, etree.XMLParser(recover=True)).iter("{*}word")
    scale, shares = RENDER_DPI / 72, []
    for word in words:
        if len(word.text or "") < 3:  # punctuation and short words: too few pixels to judge
            continue
        x0, y0, x1, y1 = (float(word.get(k)) * scale for k in ("xMin", "yMin", "xMax", "yMax"))
        box = dark[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
        if box.size:
            shares.append(float(box.mean()))
    return np.array(shares), float(dark.mean())


@pytest.mark.parametrize(
    "how", ["sideways and crooked, 300 dpi PNG", "crooked 200 dpi JPEG turned by its EXIF"]
)
def test_the_invisible_words_lie_over_the_printed_words_of_a_turned_deskewed_scan(
    tmp_path: Path, how: str
) -> None:
    scan = tmp_path / ("scan.png" if "PNG" in how else "scan.jpg")
    _scan(how, scan)
    reading = process_image(scan)
    assert reading.quality.rotation or reading.quality.skew  # clean-up did move the page
    hocr = tmp_path / "page.hocr"
    hocr.write_text(reading.hocr, encoding="utf-8")
    pdf = tmp_path / "page.pdf"
    build_pdfa([PdfPage(scan, hocr)], PdfMetadata(title="t", identifier="x"), pdf)
    under_words, page = _ink_under_words(pdf, tmp_path)
    assert len(under_words) > 100
    # over the printed words about a fifth of the box is ink; the page as a whole has a
    # few per cent: a text layer off by the turn or the skew falls over paper as often
    assert np.median(under_words) > 3 * page, (np.median(under_words), page)
    assert (under_words > 0.05).mean() > 0.95


def test_a_page_read_before_the_map_was_recorded_gets_its_scan_stretched_over_it(
    tmp_path: Path,
) -> None:
    """An hOCR stored by an older OCR has no map: the scan fills the page, as it always did."""
    scan = tmp_path / "scan.png"
    page, _ = render_variant("clean", 2)
    page.convert("RGB").save(scan, dpi=(300, 300))
    reading = process_image(scan)
    hocr = tmp_path / "page.hocr"
    hocr.write_text(re.sub(r"; x_scan_transform[^'\"]*", "", reading.hocr), encoding="utf-8")
    pdf = tmp_path / "page.pdf"
    build_pdfa([PdfPage(scan, hocr)], PdfMetadata(title="t", identifier="x"), pdf)
    under_words, page_ink = _ink_under_words(pdf, tmp_path)
    assert np.median(under_words) > 3 * page_ink
