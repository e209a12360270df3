"""The sample-scan renderer: deterministic, A4 at the asked dpi, and truthful ground truth.

The OCR check is the one that matters: tesseract reading page 1 must agree with the text the
renderer says it printed, which also proves the font draws every Vietnamese letter.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytesseract
import pytest
from PIL import Image

from services.ops import samples
from services.ops.samples import (
    CORPUS,
    VIETNAMESE_LETTERS,
    SampleDocument,
    SampleFontError,
    degrade,
    render_document,
    save_page,
    write_sample_file,
)

pytestmark = pytest.mark.unit

SEED = 20240305
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
DATE_LINE = re.compile(r", ngày (\d{2}) tháng (\d{1,2}) năm (\d{4})$")


@pytest.fixture(scope="module")
def document_300() -> SampleDocument:
    return render_document(SEED, pages=2, dpi=300)


@pytest.fixture(scope="module")
def document_low() -> SampleDocument:
    """Cheap renders for the checks that do not need print resolution."""
    return render_document(SEED, pages=3, dpi=100)


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _edit_distance(truth: str, found: str, *, anywhere: bool = False) -> int:
    """Levenshtein distance; with ``anywhere``, to the best-matching substring of ``found``."""
    previous = [0] * (len(found) + 1) if anywhere else list(range(len(found) + 1))
    for i, wanted in enumerate(truth, start=1):
        current = [i]
        for j, seen in enumerate(found, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wanted != seen))
            )
        previous = current
    return min(previous) if anywhere else previous[-1]


def test_edit_distance_helper() -> None:
    assert _edit_distance("lưu trữ", "lưu trữ") == 0
    assert _edit_distance("lưu trữ", "luu tru") == 2
    assert _edit_distance("", "abc") == 3
    assert _edit_distance("hồ sơ", "xx hồ so yy", anywhere=True) == 1


def test_same_seed_gives_identical_pixels_and_text() -> None:
    first = render_document(7, pages=2, dpi=100)
    second = render_document(7, pages=2, dpi=100)
    assert first.title == second.title
    for a, b in zip(first.pages, second.pages, strict=True):
        assert a.text == b.text
        assert a.image.tobytes() == b.image.tobytes()


def test_different_seeds_give_different_text() -> None:
    texts = {render_document(seed, pages=1, dpi=72).pages[0].text for seed in range(6)}
    assert len(texts) == 6


@pytest.mark.parametrize("dpi", [100, 200])
def test_pages_are_a4_at_the_requested_dpi(dpi: int) -> None:
    _assert_a4(render_document(SEED, pages=2, dpi=dpi), dpi)


def test_pages_are_a4_at_300_dpi(document_300: SampleDocument) -> None:
    _assert_a4(document_300, 300)
    assert document_300.pages[0].image.size == (2480, 3508)


def _assert_a4(document: SampleDocument, dpi: int) -> None:
    width, height = 210 / 25.4 * dpi, 297 / 25.4 * dpi
    assert [page.sequence for page in document.pages] == [1, 2]
    for page in document.pages:
        assert page.image.info["dpi"] == (dpi, dpi)
        assert page.image.mode in ("L", "RGB")
        assert abs(page.image.width - width) <= 2
        assert abs(page.image.height - height) <= 2


def test_page_looks_scanned_not_synthetic(document_low: SampleDocument) -> None:
    pixels = np.asarray(document_low.pages[0].image)
    paper = np.median(pixels)
    assert 225 <= paper < 250  # off-white paper
    assert pixels.min() < 80  # dark text
    assert len(np.unique(pixels[:50, :50])) > 3  # grain, not one flat value


def test_text_is_nfc_vietnamese_with_the_nd30_header(document_low: SampleDocument) -> None:
    first, *rest = document_low.pages
    for page in document_low.pages:
        assert unicodedata.is_normalized("NFC", page.text)
        assert "\n\n" not in page.text
    everything = "\n".join(page.text for page in document_low.pages)
    assert {"ư", "ơ", "đ"} <= set(everything.lower())
    lines = first.text.splitlines()
    assert NATION in lines
    assert "Độc lập - Tự do - Hạnh phúc" in lines
    assert any(line.startswith("Số: ") for line in lines)
    # left column (cơ quan, số) reads before the right one (Quốc hiệu, ngày)
    number = next(i for i, line in enumerate(lines) if line.startswith("Số: "))
    assert number < lines.index(NATION)
    assert "Nơi nhận:" in lines
    assert "- Lưu: VT, VP." in lines
    assert lines.index("- Lưu: VT, VP.") > lines.index("Nơi nhận:")
    for page in rest:  # later pages: page number at the top, then body
        assert page.text.splitlines()[0] == str(page.sequence)
        assert NATION not in page.text
    assert document_low.title.split()[0] in {"Kế", "Báo", "Tờ", "Thông", "Quyết", "Hướng"}


@pytest.mark.parametrize("seed", range(8))
def test_date_line_pads_day_and_first_two_months(seed: int) -> None:
    lines = render_document(seed, pages=1, dpi=72).pages[0].text.splitlines()
    match = next(m for line in lines if (m := DATE_LINE.search(line)))
    day, month, _year = match.groups()
    assert 1 <= int(day) <= 31
    assert month == (f"{int(month):02d}" if int(month) <= 2 else str(int(month)))


def test_corpus_is_varied_and_uses_every_vietnamese_letter() -> None:
    assert len(set(CORPUS)) == len(CORPUS) >= 40
    assert all(unicodedata.is_normalized("NFC", sentence) for sentence in CORPUS)
    used = set("".join(CORPUS).lower())
    assert set(VIETNAMESE_LETTERS.lower()) <= used
    assert "Đ" in "".join(CORPUS)
    assert len(VIETNAMESE_LETTERS) == 2 * (12 * 6 + 1)


def _require_tesseract() -> None:
    reason = ""
    if shutil.which("tesseract") is None:
        reason = "tesseract is not installed"
    elif "vie" not in pytesseract.get_languages(config=""):
        reason = "tesseract has no 'vie' traineddata (apt-get install tesseract-ocr-vie)"
    if reason and os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)


def test_ocr_of_page_one_matches_the_ground_truth(document_300: SampleDocument) -> None:
    """Character error rate of tesseract against the ground truth, below 5 %.

    Tesseract reads NĐ 30's two-column header and footer row by row ("UBND TỈNH … CỘNG HÒA
    …"), while the ground truth keeps each column together; so those lines are each matched
    to their best place in the OCR text, and the single-column middle (tên loại, trích yếu,
    body) is compared as one string, order included.
    """
    _require_tesseract()
    page = document_300.pages[0]
    ocr = _collapse(pytesseract.image_to_string(page.image, lang="vie"))
    lines = page.text.splitlines()
    header_end = next(i for i, line in enumerate(lines) if DATE_LINE.search(line)) + 1
    footer_start = lines.index("Nơi nhận:")
    columns = [_collapse(line) for line in lines[:header_end] + lines[footer_start:]]
    middle = _collapse(" ".join(lines[header_end:footer_start]))

    errors = _edit_distance(middle, ocr, anywhere=True)
    errors += sum(_edit_distance(line, ocr, anywhere=True) for line in columns)
    total = len(middle) + sum(len(line) for line in columns)
    cer = errors / total
    assert cer < 0.05, f"CER {cer:.2%}; OCR said:\n{ocr}"
    # and nothing printed that the ground truth lacks
    assert abs(len(ocr) - len(_collapse(page.text))) / len(_collapse(page.text)) < 0.05


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_save_page_round_trips_with_dpi(
    document_low: SampleDocument, tmp_path: Path, suffix: str
) -> None:
    page = document_low.pages[1]
    path = save_page(page, tmp_path / f"page{suffix}")
    assert path.is_file()
    with Image.open(path) as reopened:
        reopened.load()
        assert reopened.size == page.image.size
        assert reopened.info["dpi"] == pytest.approx((100, 100), abs=0.1)
        original = np.asarray(page.image, dtype=np.int16)
        saved = np.asarray(reopened.convert(page.image.mode), dtype=np.int16)
        if suffix == ".jpg":
            assert reopened.format == "JPEG"
            assert np.abs(original - saved).mean() < 3
        else:
            assert np.array_equal(original, saved)  # lossless
        if suffix == ".tif":
            assert reopened.info["compression"] in ("tiff_lzw", "tiff_adobe_deflate")


def test_save_page_honours_an_explicit_format(document_low: SampleDocument, tmp_path: Path) -> None:
    path = save_page(document_low.pages[0], tmp_path / "scan.bin", format="tiff")
    with Image.open(path) as reopened:
        assert reopened.format == "TIFF"
    with pytest.raises(ValueError, match="unsupported"):
        save_page(document_low.pages[0], tmp_path / "scan.gif")


def test_write_sample_file_puts_ground_truth_beside_each_image(tmp_path: Path) -> None:
    target = tmp_path / "lo-01"
    document, paths = write_sample_file(target, 5, pages=2, dpi=72, suffix=".tif")
    assert [p.name for p in paths] == ["page-0001.tif", "page-0002.tif"]
    for page, path in zip(document.pages, paths, strict=True):
        assert path.parent == target
        assert path.with_suffix(".txt").read_text(encoding="utf-8") == page.text + "\n"


def test_degrade_is_deterministic_and_keeps_size_and_dpi(document_low: SampleDocument) -> None:
    image = document_low.pages[0].image
    options = {"skew_degrees": 1.2, "noise": 6.0, "blur": 0.7}
    first = degrade(image, seed=3, jpeg_quality=60, **options)
    again = degrade(image, seed=3, jpeg_quality=60, **options)
    assert first.tobytes() == again.tobytes()
    assert first.size == image.size
    assert first.info["dpi"] == image.info["dpi"]
    assert first.tobytes() != image.tobytes()
    assert degrade(image, seed=3).tobytes() == image.tobytes()


@pytest.mark.parametrize(("pages", "dpi"), [(0, 300), (1, 10), (1, 5000)])
def test_render_rejects_nonsense(pages: int, dpi: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        render_document(1, pages=pages, dpi=dpi)


def test_missing_fonts_name_the_debian_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(samples, "_FONT_DIRS", (tmp_path,))
    monkeypatch.setattr(shutil, "which", lambda _name: None)  # no fc-match either
    samples._font_files.cache_clear()
    try:
        with pytest.raises(SampleFontError, match=r"fonts-noto-core.*fonts-dejavu-core"):
            samples._font_files()
    finally:
        samples._font_files.cache_clear()
