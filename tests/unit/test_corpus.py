"""The OCR test corpus: every class renders, deterministically, with the page's true text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from services.ops.samples import render_document
from tests.support import corpus
from tests.support.corpus import VARIANT_CLASSES, CorpusPage, render_variant, write_corpus

pytestmark = pytest.mark.unit

SEED = 7
A4_300 = (2480, 3508)


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[Image.Image, str]]:
    return {variant: render_variant(variant, SEED) for variant in VARIANT_CLASSES}


def _rgb(image: Image.Image) -> NDArray[np.int16]:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def _red(pixels: NDArray[np.int16]) -> NDArray[np.bool_]:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (r > 150) & (r - g > 70) & (r - b > 60)


def _blue(pixels: NDArray[np.int16]) -> NDArray[np.bool_]:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (b > 110) & (b - r > 50) & (b - g > 30)


def test_the_classes_are_the_agreed_ones() -> None:
    assert VARIANT_CLASSES == (
        "clean",
        "skew_pos",
        "skew_neg",
        "rot90",
        "rot180",
        "rot270",
        "noise",
        "blur",
        "faded",
        "stains",
        "jpeg_heavy",
        "seal_signature",
        "dpi200",
        "tiff_input",
        "jpeg_input",
        "sparse",
        "sparse_rot180",
        "dpi200_jpeg",
        "times300",
        "times200_jpeg",
        "stamp_handwriting",
    )


def test_every_class_renders_an_a4_page_with_its_dpi(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    for variant, (image, _) in rendered.items():
        dpi = 200 if variant.startswith(("dpi200", "times200")) else 300
        assert image.info["dpi"] == (dpi, dpi), variant
        assert image.mode in ("L", "RGB"), variant
        width, height = sorted(image.size)
        assert abs(width - 210 * dpi / 25.4) <= 1
        assert abs(height - 297 * dpi / 25.4) <= 1
        if variant != "clean":
            clean = rendered["clean"][0]
            assert image.size != clean.size or image.tobytes() != clean.tobytes(), variant


def test_rotations_turn_the_page(rendered: dict[str, tuple[Image.Image, str]]) -> None:
    clean = rendered["clean"][0]
    assert clean.size == A4_300
    assert rendered["rot90"][0].size == (A4_300[1], A4_300[0])
    assert rendered["rot270"][0].size == (A4_300[1], A4_300[0])
    assert rendered["rot180"][0].size == A4_300
    turned = clean.transpose(Image.Transpose.ROTATE_180)
    assert rendered["rot180"][0].tobytes() == turned.tobytes()  # exact: nothing resampled


def _deskew_angle(image: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes text lines most horizontal: the
    row profile of a page is sharpest when its lines are level."""
    small = image.convert("L").resize((image.width // 4, image.height // 4))

    def sharpness(angle: float) -> float:
        level = small.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
        rows = (255.0 - np.asarray(level, dtype=np.float64)).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    angles: list[float] = np.arange(-5.0, 5.01, 0.25).tolist()
    return max(angles, key=sharpness)


def test_skews_keep_the_size_and_lean_opposite_ways(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    positive, negative = rendered["skew_pos"][0], rendered["skew_neg"][0]
    assert positive.size == negative.size == A4_300
    assert _deskew_angle(rendered["clean"][0]) == 0.0
    assert -4.25 <= _deskew_angle(positive) <= -0.75  # turned back clockwise
    assert 0.75 <= _deskew_angle(negative) <= 4.25


def test_same_inputs_same_pixels(rendered: dict[str, tuple[Image.Image, str]]) -> None:
    corpus._document.cache_clear()  # from scratch, not from the cached render
    for variant in ("noise", "faded", "stains", "seal_signature", "skew_neg"):
        image, truth = render_variant(variant, SEED)
        assert image.tobytes() == rendered[variant][0].tobytes(), variant
        assert truth == rendered[variant][1]


def test_seeds_and_pages_differ() -> None:
    first, _ = render_variant("noise", SEED)
    other_seed, _ = render_variant("noise", SEED + 1)
    other_page, _ = render_variant("noise", SEED, page_index=1)
    assert first.tobytes() != other_seed.tobytes()
    assert first.tobytes() != other_page.tobytes()


def test_truth_is_the_printed_text_whatever_the_damage(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    clean_truth = rendered["clean"][1]
    assert clean_truth == render_document(SEED, pages=2, dpi=300).pages[0].text
    for variant, (_, truth) in rendered.items():
        assert truth == unicodedata.normalize("NFC", truth), variant
        dpi = 200 if variant.startswith(("dpi200", "times200")) else 300
        family = "Liberation Serif" if variant.startswith("times") else None
        # same words; the line breaks are those of the resolution's and the font's layout
        page_text = render_document(SEED, pages=2, dpi=dpi, family=family).pages[0].text
        if variant.startswith("sparse"):  # only the closing block is left on the page
            assert truth == page_text[page_text.index("Nơi nhận:") :], variant
        else:
            assert truth == page_text, variant


def test_a_sparse_page_keeps_only_its_closing_block(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    image, truth = rendered["sparse"]
    ink = np.asarray(image.convert("L")) < 128
    assert truth.startswith("Nơi nhận:")
    assert not ink[: ink.shape[0] // 2].any()  # the upper half is blank paper
    assert ink[ink.shape[0] // 2 :].mean() > 0.002
    upside_down, same = rendered["sparse_rot180"]
    assert same == truth
    assert not (np.asarray(upside_down.convert("L")) < 128)[ink.shape[0] // 2 :].any()


def test_the_stamp_and_handwriting_are_coloured_ink_over_the_page(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    pixels = _rgb(rendered["stamp_handwriting"][0])
    height = pixels.shape[0]
    coloured = _blue(pixels) | _red(pixels) | _purple(pixels)
    assert coloured[: height // 3].mean() > 0.001  # the incoming-mail stamp near the top
    assert _blue(pixels)[height // 3 :].mean() > 0.0005  # notes written across the body


def _purple(pixels: NDArray[np.int16]) -> NDArray[np.bool_]:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (b > 120) & (r > 90) & (r - g > 40) & (b - g > 60)


def test_seal_and_signature_sit_in_the_lower_half(
    rendered: dict[str, tuple[Image.Image, str]],
) -> None:
    image, truth = rendered["seal_signature"]
    pixels = _rgb(image)
    half = pixels.shape[0] // 2
    assert _red(pixels[half:]).sum() > 5_000
    assert _blue(pixels[half:]).sum() > 1_000
    assert _red(pixels[:half]).sum() == 0
    assert _blue(pixels[:half]).sum() == 0
    assert "*" not in truth  # the seal's lettering is not part of the document's text


def test_a_continuation_page_gets_a_seal_across_the_edge() -> None:
    image, _ = render_variant("seal_signature", SEED, page_index=1)
    pixels = _rgb(image)
    red = _red(pixels)
    assert red.sum() > 1_000
    assert np.flatnonzero(red.any(axis=0)).max() >= pixels.shape[1] - 3  # cut by the edge
    assert _blue(pixels).sum() == 0


def test_other_classes_have_no_seal_colours(rendered: dict[str, tuple[Image.Image, str]]) -> None:
    for variant in ("stains", "jpeg_input"):
        pixels = _rgb(rendered[variant][0])
        assert _red(pixels).sum() == 0, variant
        assert _blue(pixels).sum() == 0, variant


def test_write_corpus_formats_by_suffix(tmp_path: Path) -> None:
    variants = ("clean", "dpi200", "tiff_input", "jpeg_input", "seal_signature")
    pages = write_corpus(tmp_path, [SEED], variants)
    assert [page.variant for page in pages] == list(variants)
    expected = {
        "clean": (".png", "PNG"),
        "dpi200": (".png", "PNG"),
        "tiff_input": (".tif", "TIFF"),
        "jpeg_input": (".jpg", "JPEG"),
        "seal_signature": (".png", "PNG"),
    }
    for page in pages:
        suffix, kind = expected[page.variant]
        assert isinstance(page, CorpusPage)
        assert page.path.suffix == suffix
        assert page.path.name == f"{page.variant}-s{SEED}-p0{suffix}"
        with Image.open(page.path) as image:
            assert image.format == kind
            assert round(image.info["dpi"][0]) == page.dpi
            if kind == "TIFF":
                assert image.info["compression"] == "tiff_adobe_deflate"
        assert page.path.with_suffix(".txt").read_text(encoding="utf-8") == page.truth + "\n"
    assert {page.dpi for page in pages} == {200, 300}


def test_write_corpus_orders_seeds_outermost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tiny(variant: str, seed: int, *, page_index: int = 0) -> tuple[Image.Image, str]:
        image = Image.new("L", (8, 8), 255)
        image.info["dpi"] = (300, 300)
        return image, f"{variant} {seed} {page_index}"

    monkeypatch.setattr(corpus, "render_variant", tiny)  # only the order is under test
    pages = write_corpus(tmp_path, [1, 2], ("rot90", "rot180"), pages=(0, 1))
    assert [(p.seed, p.variant, p.page_index) for p in pages] == [
        (1, "rot90", 0),
        (1, "rot90", 1),
        (1, "rot180", 0),
        (1, "rot180", 1),
        (2, "rot90", 0),
        (2, "rot90", 1),
        (2, "rot180", 0),
        (2, "rot180", 1),
    ]


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        render_variant("coffee", SEED)
    with pytest.raises(ValueError, match="page_index"):
        render_variant("clean", SEED, page_index=2)
