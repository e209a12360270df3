"""Orientation is a guess until recognition confirms it: a stand-in engine replaces tesseract
so the decision rule is tested alone, with a guess that is wrong on purpose."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from cv2.typing import MatLike

from services.ocr.adapters.tesseract import RawReading
from services.ocr.pipeline import process_image

pytestmark = pytest.mark.unit


def _hocr(confidence: int, y0: int, y1: int) -> str:
    """Two words on one line at rows [y0, y1) of the image read."""
    return (
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><div class="ocr_page">'
        f'<span class="ocr_line" title="bbox 300 {y0} 400 {y1}">'
        f'<span class="ocrx_word" title="bbox 300 {y0} 340 {y1}; x_wconf {confidence}">'
        "Nơi</span> "
        f'<span class="ocrx_word" title="bbox 350 {y0} 400 {y1}; x_wconf {confidence}">'
        "nhận</span></span></div></body></html>"
    )


def _text_layer(image: Path, dpi: int) -> bytes:
    """What tesseract's text-only PDF is to the pipeline: one page the image's size."""
    pixels = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
    assert pixels is not None
    height, width = pixels.shape
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width * 72 / dpi, height * 72 / dpi))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


class StandInEngine:
    """Guesses ``guess`` for orientation; reads "upright" when the ink sits in the left half
    (the test page's lines start at the left margin), as a real engine would be surer."""

    name = "stand-in"

    def __init__(self, guess: tuple[int, float]) -> None:
        self.guess = guess
        self.reads = 0
        self.strips = 0

    def orientation(self, image: MatLike) -> tuple[int, float]:
        return self.guess

    def read(self, image: Path, *, dpi: int, languages: str) -> RawReading:
        self.reads += 1
        return RawReading(self._hocr(image), _text_layer(image, dpi))

    def hocr(self, image: Path, *, dpi: int, languages: str) -> str:
        self.strips += 1
        return self._hocr(image)

    def _hocr(self, image: Path) -> str:
        pixels = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        assert pixels is not None
        ink = pixels < 128
        width = ink.shape[1]
        columns = ink.sum(axis=0)
        upright = columns[: width // 2].sum() > columns[width // 2 :].sum()
        first_row = int(np.flatnonzero(ink.any(axis=1))[0])  # the words sit on the ink
        return _hocr(95 if upright else 40, y0=first_row, y1=first_row + 20)


def _sparse_page(path: Path, marks: str) -> Path:
    """A 300-dpi A4 sheet with six lines of "print" near the top and the rest blank. Each line
    is a bar with small marks above it, below it, or both: marks are what the ink test reads
    as tone marks, so they make its guess right, wrong, or undecided."""
    page = np.full((3508, 2480), 235, np.uint8)
    for index in range(6):
        top = 400 + index * 90
        page[top : top + 36, 300:1500] = 30
        for x in range(320, 1480, 60):
            if marks in ("above", "both"):
                page[top - 14 : top, x : x + 12] = 30
            if marks in ("below", "both"):
                page[top + 36 : top + 50, x : x + 12] = 30
    cv2.imwrite(str(path), page)
    return path


def test_a_misleading_ink_guess_is_undone_by_recognition(tmp_path: Path) -> None:
    engine = StandInEngine((0, 0.0))
    result = process_image(_sparse_page(tmp_path / "page.png", "below"), engine=engine)
    assert result.quality.rotation == 0
    assert result.quality.rotation_decided_by == "recognition"
    assert result.quality.rotation_kept_confidence == 95
    assert result.quality.rotation_other_confidence == 40
    assert result.confidence == 95
    assert engine.reads == 2  # the strip read surer turned over: the whole page was re-read
    assert engine.strips == 1


@pytest.mark.parametrize(
    ("misleading", "reads"),
    [((180, 12.0), 2), ((180, 1.0), 1)],  # a sure wrong turn is undone; a doubt only checked
)
def test_a_misleading_orientation_detection_is_undone_by_recognition(
    tmp_path: Path, misleading: tuple[int, float], reads: int
) -> None:
    engine = StandInEngine(misleading)
    result = process_image(_sparse_page(tmp_path / "page.png", "both"), engine=engine)
    assert result.quality.rotation == 0
    assert result.quality.rotation_decided_by == "recognition"
    assert result.quality.rotation_kept_confidence == 95
    assert result.quality.rotation_other_confidence == 40
    assert result.confidence == 95
    assert engine.reads == reads
    assert engine.strips == 1


def test_an_upside_down_page_guessed_right_is_turned_and_both_ways_are_reported(
    tmp_path: Path,
) -> None:
    upright = cv2.imread(str(_sparse_page(tmp_path / "up.png", "above")), cv2.IMREAD_GRAYSCALE)
    assert upright is not None
    cv2.imwrite(str(tmp_path / "down.png"), cv2.rotate(upright, cv2.ROTATE_180))
    engine = StandInEngine((180, 12.0))
    result = process_image(tmp_path / "down.png", engine=engine)
    assert result.quality.rotation == 180
    assert result.quality.rotation_decided_by == "recognition"
    assert result.quality.rotation_kept_confidence == 95
    assert result.quality.rotation_other_confidence == 40
    assert (engine.reads, engine.strips) == (1, 1)  # confirmed on a strip only


def test_a_sure_upright_reading_is_read_once(tmp_path: Path) -> None:
    engine = StandInEngine((180, 12.0))  # never asked: the ink is clear
    result = process_image(_sparse_page(tmp_path / "page.png", "above"), engine=engine)
    assert result.quality.rotation == 0
    assert result.quality.rotation_decided_by == "ink"
    assert result.quality.rotation_other_confidence is None
    assert engine.reads == 1


def test_each_clean_up_step_is_traced_with_its_time_and_finding(tmp_path: Path) -> None:
    page = cv2.imread(str(_sparse_page(tmp_path / "page.png", "above")), cv2.IMREAD_GRAYSCALE)
    assert page is not None
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(page, None, fx=0.4, fy=0.4))  # 120 dpi on A4
    result = process_image(small, engine=StandInEngine((0, 12.0)))
    steps = [step.step for step in result.steps]
    assert steps[0] == "load"
    assert steps[-1] == "recognise"
    assert {"resample", "orient", "letter-size"} <= set(steps)
    resample = next(step for step in result.steps if step.step == "resample")
    assert "×2.50" in resample.detail
    assert all(step.seconds >= 0 for step in result.steps)
