"""Clean-up steps on synthetic pages: what each one must change, and what it must leave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from services.ocr.adapters.imaging import (
    _letter_size,
    binarise,
    clean_page,
    load,
    read_lines,
    upright_evidence,
    whiten_dark_edges,
)
from services.ocr.domain import UnreadableImage
from tests.support.corpus import render_variant

pytestmark = pytest.mark.unit


def test_a_dark_scanner_edge_becomes_paper_and_a_clean_page_is_left_alone() -> None:
    page = np.full((1200, 900), 235, np.uint8)
    page[300:320, 200:700] = 30  # a line of print
    assert whiten_dark_edges(page) is page
    edged = page.copy()
    edged[:, :60] = 20  # the scanner lid's shadow down the left side
    whitened = whiten_dark_edges(edged)
    assert (whitened[:, :60] == 255).all()
    assert (whitened[300:320, 200:700] == 30).all()  # print is not an edge


def _printed_page(dpi: int, core: int, lines: int = 12, *, ruled: bool = False) -> np.ndarray:
    """A white A4 page at ``dpi`` with ``lines`` rows of 'letters' ``core`` px tall, each row
    with tone marks above it and fewer descenders below (as Vietnamese print has); ``ruled``
    underlines each row across the page, as a register or a form does."""
    height, width = round(11.69 * dpi), round(8.27 * dpi)
    page = np.full((height, width), 250, np.uint8)
    pitch = core * 3
    for row in range(lines):
        top = round(0.1 * height) + row * pitch
        for left in range(round(0.1 * width), round(0.85 * width), core):
            page[top : top + core, left : left + core * 2 // 3] = 20  # the letter's body
            page[top - core // 3 : top - core // 6, left : left + core // 3] = 20  # a tone mark
        page[top + core : top + core + core // 4, round(0.1 * width) : round(0.2 * width)] = 20
        if ruled:
            page[top + core + 2 : top + core + 5, round(0.05 * width) : round(0.95 * width)] = 20
    return page


@pytest.mark.parametrize("ruled", [False, True])
@pytest.mark.parametrize("core", [10, 18, 30])
def test_the_x_height_is_the_height_of_the_letters_core_band(core: int, ruled: bool) -> None:
    bw = binarise(_printed_page(200, core, ruled=ruled))
    measured = read_lines(bw).x_height
    assert measured is not None
    assert abs(measured - core) <= 2  # measured at half resolution; a rule is no letter


@pytest.mark.parametrize("crisp", [False, True])
def test_the_x_height_of_real_serif_print_is_its_fonts(crisp: bool) -> None:
    """13–14 pt Times (Liberation Serif) at 300 dpi has an x-height of 24–26 px; in crisp,
    bitonal print the rows between the x-line and the baseline are lighter than those two."""
    image, _ = render_variant("times300", 3)
    page = np.asarray(image.convert("L"))
    if crisp:
        page = np.where(page < 160, 0, 255).astype(np.uint8)
    measured = read_lines(binarise(page)).x_height
    assert measured is not None
    assert 21 <= measured <= 29


def test_an_enlargement_never_passes_three_times() -> None:
    page = np.full((400, 300), 255, np.uint8)
    bigger, enlarge, why = _letter_size(page, 2.0, 300)  # a misread x-height
    assert enlarge == 3.0
    assert bigger.shape == (1200, 900)
    assert "×3.00" in why


@pytest.mark.parametrize(("letters", "factor"), [(25.0, 0.88), (30.0, 220 / 300), (60.0, 0.6)])
def test_large_letters_are_read_from_a_copy_reduced_to_twenty_two_pixels(
    letters: float, factor: float
) -> None:
    page = np.full((1000, 700), 255, np.uint8)
    smaller, reduced, why = _letter_size(page, letters, 300)
    assert reduced == pytest.approx(factor)  # 60 px is a misreading: never under ×0.6
    assert smaller.shape == (round(1000 * factor), round(700 * factor))
    assert "read at ×" in why


def test_a_reduction_lands_on_a_whole_dpi_so_the_page_pdf_keeps_the_sheet_s_size() -> None:
    page = np.full((3508, 2480), 255, np.uint8)
    smaller, reduced, _why = _letter_size(page, 32.0, 300)  # ×0.625 would be 187.5 dpi
    assert 300 * reduced == pytest.approx(round(300 * reduced), abs=1e-9)
    assert smaller.shape[1] / (300 * reduced) == pytest.approx(2480 / 300, rel=0.001)


def test_letters_of_twenty_two_pixels_and_grainy_pages_are_read_as_they_are() -> None:
    page = np.full((1000, 700), 255, np.uint8)
    assert _letter_size(page, 22.0, 300)[1] == 1.0
    same, factor, why = _letter_size(page, 30.0, 300, grainy=True)
    assert (same is page, factor) == (True, 1.0)
    assert "grainy" in why


def test_a_page_with_too_few_lines_has_no_x_height() -> None:
    assert read_lines(binarise(_printed_page(300, 20, lines=2))).x_height is None


def _no_guess(_image: np.ndarray) -> tuple[int, float]:
    return 0, 0.0


@pytest.mark.parametrize(
    ("dpi", "core", "read_at", "recognised_at"),
    [
        (200, 17, 200, (200, 200)),  # 13 pt Times at 200 dpi: read as scanned, never enlarged
        (150, 13, 150, (150, 150)),  # still large enough
        (100, 9, 300, (180, 230)),  # too small: enlarged before any clean-up step, then its
        # letters (x-height 27 px, and blurred by the enlargement) read from a reduced copy
        (600, 50, 300, (230, 250)),  # more pixels than needed: reduced; x-height ≈ 28 px → 22
        (200, 8, 600, (600, 600)),  # tiny print on a 200 dpi page: enlarged by its x-height
    ],
)
def test_a_scan_is_read_at_its_own_resolution_unless_its_letters_are_too_small(
    tmp_path: Path, dpi: int, core: int, read_at: int, recognised_at: tuple[int, int]
) -> None:
    """``read_at`` is the resolution of the clean page people see; recognition reads a copy
    reduced to an x-height of 22 px where the letters are larger than 22 px."""
    path = tmp_path / "page.png"
    Image.fromarray(_printed_page(dpi, core)).save(path, dpi=(dpi, dpi))
    cleaned = clean_page(path, _no_guess)
    assert cleaned.dpi == pytest.approx(read_at, rel=0.1)
    assert cleaned.for_people.shape[0] == pytest.approx(11.69 * read_at, rel=0.1)
    low, high = recognised_at
    assert low * 0.97 <= cleaned.ocr_dpi <= high * 1.03
    assert cleaned.for_ocr.shape[0] == pytest.approx(11.69 * cleaned.ocr_dpi, rel=0.1)
    assert "letter-size" in {step.step for step in cleaned.steps}


@pytest.mark.parametrize(
    ("suffix", "mode"), [(".png", "L"), (".png", "RGB"), (".tif", "L"), (".jpg", "RGB")]
)
def test_a_scan_decodes_to_the_pixels_pillow_reads_whoever_decodes_it(
    tmp_path: Path, suffix: str, mode: str
) -> None:
    rng = np.random.default_rng(7)
    shape = (60, 40) if mode == "L" else (60, 40, 3)
    Image.fromarray(rng.integers(0, 256, shape, np.uint8), mode).save(tmp_path / f"p{suffix}")
    pixels, _dpi, colour, _from = load(tmp_path / f"p{suffix}")
    with Image.open(tmp_path / f"p{suffix}") as image:
        expected = np.asarray(image.convert(mode))
    if colour:
        expected = expected[:, :, ::-1]  # BGR, as OpenCV works
    assert colour == (mode == "RGB")
    assert np.array_equal(pixels, expected)


def test_a_cut_off_jpeg_is_refused_as_pillow_refuses_it(tmp_path: Path) -> None:
    """OpenCV would fill the missing rows with grey and read the page; Pillow refuses it."""
    page = np.random.default_rng(3).integers(0, 256, (300, 200, 3), np.uint8)
    Image.fromarray(page).save(tmp_path / "p.jpg", quality=90)
    whole = (tmp_path / "p.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableImage):
        load(tmp_path / "cut.jpg")


def test_a_scan_turned_by_its_exif_orientation_is_read_upright(tmp_path: Path) -> None:
    page = np.full((60, 40, 3), 255, np.uint8)
    page[:10] = 0  # ink along the top edge of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the stored pixels turned 90° clockwise
    Image.fromarray(page).save(tmp_path / "p.jpg", exif=exif.tobytes(), quality=95)
    pixels, _dpi, _colour, _from = load(tmp_path / "p.jpg")
    assert pixels.shape[:2] == (40, 60)
    assert pixels[:, -10:].mean() < 60  # the top edge is now on the right
    assert pixels[:, :10].mean() > 200


def test_a_sixteen_bit_scan_is_read_by_pillow_as_grey(tmp_path: Path) -> None:
    deep = (np.arange(60 * 40, dtype=np.uint16).reshape(60, 40) * 27).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "p.png")
    pixels, _dpi, colour, _from = load(tmp_path / "p.png")
    assert pixels.shape == (60, 40)
    assert pixels.dtype == np.dtype(np.uint8)
    assert colour is False


def _rendered(variant: str, seed: int) -> np.ndarray:
    image, _ = render_variant(variant, seed)
    return binarise(np.asarray(image.convert("L")))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_ink_tells_a_sparse_last_page_upright_from_upside_down(seed: int) -> None:
    """Nơi nhận beside the signer block: read across the whole width, the two columns' lines
    shared bands and seed 1 read upside down (−0.66), seed 2 undecided (+0.21)."""
    upright = upright_evidence(read_lines(_rendered("sparse", seed)).bands)
    over = upright_evidence(read_lines(_rendered("sparse_rot180", seed)).bands)
    assert upright > 0.5
    assert over < -0.5


def _marked_scan(how: str) -> tuple[Image.Image, bytes, list[tuple[int, int]], int]:
    """A scan as stored, with black 2.5 mm marks drawn on the stored pixels, their centres,
    its EXIF (empty unless the scan says how to show it) and its dpi."""
    page, _ = render_variant("clean", 1)
    dpi, exif = 300, Image.Exif()
    if how == "sideways and crooked":
        page = page.transpose(Image.Transpose.ROTATE_270).rotate(
            2.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
        )
    elif how == "turned by its exif":
        page = page.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6  # show the stored pixels turned 90° clockwise: upright
    elif how == "scanned at 100 dpi":
        dpi = 100
        page = page.resize((page.width // 3, page.height // 3), Image.Resampling.LANCZOS)
    page = page.convert("RGB")
    width, height = page.size
    side = dpi // 10
    centres = [
        (width // 10, height // 2),
        (width // 2, height // 12),
        (width * 9 // 10, height * 9 // 10),
    ]
    pixels = np.asarray(page).copy()
    for x, y in centres:
        pixels[y - side // 2 : y + side // 2, x - side // 2 : x + side // 2] = 0
    return Image.fromarray(pixels), exif.tobytes(), centres, dpi


@pytest.mark.parametrize(
    "how", ["sideways and crooked", "turned by its exif", "scanned at 100 dpi", "upright"]
)
def test_the_map_from_the_scan_puts_its_marks_where_the_clean_page_shows_them(
    tmp_path: Path, how: str
) -> None:
    """The handover's PDF/A draws the colour scan through ``from_scan`` under the words OCR
    found on the clean page: each mark of the scan must land on the same mark there."""
    scan, exif, centres, dpi = _marked_scan(how)
    path = tmp_path / "scan.jpg"
    scan.save(path, dpi=(dpi, dpi), exif=exif, quality=92)
    cleaned = clean_page(path, _no_guess)
    half = max(2, round(cleaned.dpi / 10 / 4))  # a quarter of a mark on the clean page
    assert how == "upright" or not cleaned.from_scan.is_identity
    for x, y in centres:
        mx, my = (round(v) for v in cleaned.from_scan.apply(x, y))
        window = cleaned.for_people[my - half : my + half, mx - half : mx + half]
        assert window.size, (how, (x, y), (mx, my))
        assert window.mean() < 60, (how, (x, y), (mx, my))


def test_a_png_turned_by_its_xmp_orientation_has_a_map_that_says_so(tmp_path: Path) -> None:
    """A 16-bit PNG (decoded by Pillow) whose orientation is in XMP, not in EXIF: the pixels
    are turned, and the map must turn with them."""
    deep = np.zeros((30, 40), dtype=np.uint16)
    deep[:5] = 60000  # bright along the stored top edge
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF>'
        b"</x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    Image.fromarray(deep).save(tmp_path / "p.png", pnginfo=info)
    pixels, _dpi, _colour, from_stored = load(tmp_path / "p.png")
    assert pixels.shape[:2] == (40, 30)  # turned a quarter
    x, y = from_stored.apply(20, 2)  # a point of the stored top edge
    assert pixels[int(y), int(x)] > 200  # is where the bright edge now is
