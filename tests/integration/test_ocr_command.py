"""``sohoa ocr`` as an operator runs it: several images in parallel, one JSON and the
derivatives per image, a bad file reported without stopping the others."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import pytest
from PIL import Image

from services.ops.samples import render_document
from tests.support.textmetrics import cer

pytestmark = pytest.mark.integration


def test_reads_pages_in_parallel_and_reports_each(tmp_path: Path) -> None:
    page = render_document(3, pages=1, dpi=300).pages[0]
    upside_down = tmp_path / "upside-down.jpg"
    page.image.rotate(180).save(upside_down, quality=80, dpi=(300, 300))
    tiff = tmp_path / "page.tif"
    page.image.save(tiff, compression="tiff_adobe_deflate", dpi=(300, 300))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    out = tmp_path / "out"

    result = subprocess.run(
        [sys.executable, "-m", "services.ops.cli", "ocr", str(upside_down), str(tiff),
         str(broken), "--out", str(out), "--jobs", "2"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr  # one image failed
    failed = json.loads((out / "broken.json").read_text(encoding="utf-8"))
    assert failed["error"] == "ocr.unreadable-image"
    for name, rotation in (("upside-down", 180), ("page", 0)):
        report = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert report["image"] == f"{name}.{'jpg' if name != 'page' else 'tif'}"
        assert cer(page.text, report["text"]) < 0.02
        assert report["quality"]["rotation"] == rotation
        assert report["quality"]["effective_dpi"] == 300
        assert 80 < report["confidence"] <= 100
        assert report["seconds"] > 0
        assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        ET.parse(out / f"{name}.alto.xml")  # well-formed ALTO
        assert "ocrx_word" in (out / f"{name}.hocr").read_text(encoding="utf-8")
        clean = cv2.imread(str(out / f"{name}.clean.jpg"), cv2.IMREAD_GRAYSCALE)
        assert clean is not None
        assert clean.shape[0] > clean.shape[1]  # upright portrait for people
    with Image.open(upside_down) as original:
        assert original.size == page.image.size
