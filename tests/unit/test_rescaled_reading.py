"""A page with large letters is read from a reduced copy; its hOCR is scaled back to the page
people see, and the ALTO built from it names the same boxes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from services.ocr.domain import ALTO, alto_of, hocr_lines, ordered_blocks, rescaled_hocr

pytestmark = pytest.mark.unit
READ = (1653, 2339)  # a 2480 × 3508 px page (300 dpi) read at ×2/3
SHOWN = (2480, 3508)

HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<div class='ocr_page' id='page_1'
 title='image "page.pgm"; bbox 0 0 1653 2339; ppageno 0; scan_res 200 200'>
<div class='ocr_carea' id='block_1_1' title="bbox 101 133 587 167">
<p class='ocr_par' id='par_1_1' lang='vie' title="bbox 101 133 587 167">
<span class='ocr_line' id='line_1_1'
 title="bbox 101 133 587 167; baseline 0.002 -7; x_size 29.5; x_descenders 6; x_ascenders 8">
<span class='ocrx_word' id='word_1_1' title='bbox 101 133 221 167; x_wconf 96'>Quyết</span>
<span class='ocrx_word' id='word_1_2' title='bbox 237 137 324 167; x_wconf 95'>định</span>
<span class='ocrx_word' id='word_1_3' title='bbox 341 134 587 161; x_wconf 91'>số 12/QĐ-UBND</span>
</span></p></div></div></body></html>"""


def test_hocr_read_reduced_is_in_the_pixels_and_resolution_of_the_page_shown() -> None:
    hocr = rescaled_hocr(HOCR, SHOWN, 300)
    assert "bbox 0 0 2480 3508" in hocr
    assert "scan_res 300 300" in hocr
    assert 'image "page.pgm"' in hocr  # what is not a length is left as it was
    ((first, *_),) = hocr_lines(hocr)
    fx, fy = SHOWN[0] / READ[0], SHOWN[1] / READ[1]
    assert (first.x0, first.y0, first.x1, first.y1) == (
        round(101 * fx),
        round(133 * fy),
        round(221 * fx),
        round(167 * fy),
    )
    assert first.confidence == 96
    line = re.search(r'ocr_line[^>]*title="([^"]*)"', hocr)
    assert line is not None
    metrics = dict(part.split(" ", 1) for part in line.group(1).split("; "))
    assert float(metrics["x_size"]) == pytest.approx(29.5 * fy, abs=0.01)
    slope, offset = (float(v) for v in metrics["baseline"].split())
    assert slope == pytest.approx(0.002, abs=1e-4)
    assert offset == round(-7 * fy)  # whole pixels, as tesseract writes it


def test_the_alto_built_from_a_reading_read_reduced_names_the_boxes_of_its_hocr() -> None:
    lines = hocr_lines(rescaled_hocr(HOCR, SHOWN, 300))
    root = ET.fromstring(alto_of(ordered_blocks(lines), SHOWN, "tesseract 5.3.0"))
    page = root.find(f".//{{{ALTO}}}Page")
    assert page is not None
    assert (page.get("WIDTH"), page.get("HEIGHT")) == ("2480", "3508")
    strings = list(root.iter(f"{{{ALTO}}}String"))
    corners = [[int(s.get(k, 0)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] for s in strings]
    boxes = [(x, y, x + width, y + height) for x, y, width, height in corners]
    assert boxes == [(w.x0, w.y0, w.x1, w.y1) for w in lines[0]]
    assert [s.get("CONTENT") for s in strings] == ["Quyết", "định", "số 12/QĐ-UBND"]
    assert [s.get("WC") for s in strings] == ["0.96", "0.95", "0.91"]
    software = root.find(f".//{{{ALTO}}}softwareName")
    assert software is not None
    assert software.text == "tesseract 5.3.0"


def test_a_reading_without_a_page_box_is_left_as_it_is() -> None:
    assert rescaled_hocr("<html/>", SHOWN, 300) == "<html/>"
