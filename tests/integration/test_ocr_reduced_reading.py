"""A page whose letters are large is recognised from a reduced copy (faster, as accurate);
every derivative must still be in the pixels and resolution of the page people see."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from services.ocr.domain import ALTO, hocr_lines
from services.ocr.pipeline import process_image
from tests.support.corpus import render_variant, save_page
from tests.support.textmetrics import cer

pytestmark = pytest.mark.integration


def test_a_page_read_reduced_gives_its_derivatives_in_the_pixels_people_see(
    tmp_path: Path,
) -> None:
    image, truth = render_variant("clean", 1)  # DejaVu Serif 13 pt at 300 dpi: x-height 30 px
    path = tmp_path / "page.png"
    save_page(image, path, "clean")
    result = process_image(path)
    (step,) = [s for s in result.steps if s.step == "letter-size"]
    assert "read at ×" in step.detail
    shown = cv2.imdecode(np.frombuffer(result.clean_jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert shown is not None
    height, width = shown.shape
    assert (width, height) == image.size  # people see the page whole
    page = re.search(r"ocr_page[^>]*title=['\"]([^'\"]*)", result.hocr)
    assert page is not None
    assert f"bbox 0 0 {width} {height}" in page.group(1)
    assert "scan_res 300 300" in page.group(1)
    words = [w for line in hocr_lines(result.hocr) for w in line]
    alto = ET.fromstring(result.alto)
    strings = list(alto.iter(f"{{{ALTO}}}String"))
    assert len(strings) == len(words) > 100  # every word found again in the reordered ALTO
    first = strings[0]
    assert (int(first.get("HPOS", 0)), int(first.get("VPOS", 0))) == (words[0].x0, words[0].y0)
    assert max(w.x1 for w in words) <= width
    assert max(w.y1 for w in words) <= height
    assert cer(truth, result.text) < 0.01
