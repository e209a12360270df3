"""A sparse last page (Nơi nhận beside the signer block, little else) read by real tesseract
with an orientation guess that is wrong on purpose: recognition must bring it out upright."""

from __future__ import annotations

from pathlib import Path

import pytest
from cv2.typing import MatLike

from services.ocr.adapters import imaging
from services.ocr.adapters.tesseract import TesseractCommand
from services.ocr.domain import hocr_lines, reading_order
from services.ocr.pipeline import process_image
from tests.support.corpus import write_corpus
from tests.support.textmetrics import cer

pytestmark = pytest.mark.integration


class MisleadingTesseract(TesseractCommand):
    """Real recognition, but orientation detection that swears the page is upside down."""

    def orientation(self, image: MatLike) -> tuple[int, float]:
        return 180, 30.0


@pytest.mark.parametrize(("variant", "upright_as"), [("sparse", 0), ("sparse_rot180", 180)])
def test_a_sparse_page_with_a_misleading_orientation_guess_comes_out_upright(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str, upright_as: int
) -> None:
    (page,) = write_corpus(tmp_path, [4], [variant])
    # The ink test says the opposite of the truth, sure of it, and so does OSD.
    truth_sign = 1.0 if upright_as == 0 else -1.0
    monkeypatch.setattr(imaging, "upright_evidence", lambda _bands: -truth_sign)
    result = process_image(page.path, engine=MisleadingTesseract())
    quality = result.quality
    assert quality.rotation == upright_as
    assert quality.rotation_decided_by == "recognition"
    assert quality.rotation_kept_confidence is not None
    assert quality.rotation_other_confidence is not None
    assert quality.rotation_kept_confidence > quality.rotation_other_confidence + 20
    assert cer(page.truth, result.text) < 0.03, result.text


def test_a_sparse_page_never_comes_out_worse_than_read_as_it_came(tmp_path: Path) -> None:
    (page,) = write_corpus(tmp_path, [5], ["sparse"])
    result = process_image(page.path, engine=MisleadingTesseract())
    read = TesseractCommand().read(page.path, dpi=page.dpi, languages="vie")
    as_it_came = reading_order(hocr_lines(read.hocr))
    assert result.quality.rotation == 0
    assert cer(page.truth, result.text) <= cer(page.truth, as_it_came), result.text
