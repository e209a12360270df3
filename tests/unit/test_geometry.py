"""The map from a stored scan to the page OCR read: each piece agrees with the library that
really moves the pixels (OpenCV, Pillow), and the hOCR carries it unchanged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from shared.geometry import Affine, scan_transform, with_scan_transform

pytestmark = pytest.mark.unit

WIDTH, HEIGHT = 40, 30


def _marked() -> np.ndarray:
    """A grey image with a 3×3 black mark centred on pixel (11, 7), off every symmetry axis."""
    image = np.full((HEIGHT, WIDTH), 200, np.uint8)
    image[6:9, 10:13] = 0
    return image


def _lands(transform: Affine) -> tuple[float, float]:
    """Where the mark's centre lands."""
    return transform.apply(11.5, 7.5)


def _mark_in(image: np.ndarray) -> tuple[float, float]:
    """The centre of the black mark in ``image``, in pixel edges."""
    rows, cols = np.nonzero(image < 100)
    return float(cols.mean()) + 0.5, float(rows.mean()) + 0.5


@pytest.mark.parametrize(
    ("clockwise", "code"),
    [(90, cv2.ROTATE_90_CLOCKWISE), (180, cv2.ROTATE_180), (270, cv2.ROTATE_90_COUNTERCLOCKWISE)],
)
def test_a_quarter_turn_moves_a_pixel_where_opencv_moves_it(clockwise: int, code: int) -> None:
    turned = cv2.rotate(_marked(), code)
    assert _lands(Affine.turned(clockwise, WIDTH, HEIGHT)) == _mark_in(turned)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_an_exif_orientation_moves_a_pixel_where_pillow_moves_it(orientation: int) -> None:
    image = Image.fromarray(_marked())
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    shown = np.asarray(ImageOps.exif_transpose(image))
    assert _lands(Affine.exif(orientation, WIDTH, HEIGHT)) == _mark_in(shown)


def test_a_warp_matrix_of_pixel_centres_becomes_a_map_of_pixel_edges() -> None:
    matrix = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), 25.0, 1.0)
    warped = cv2.warpAffine(
        _marked(), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_NEAREST, borderValue=(200,)
    )
    found = _mark_in(warped)
    assert abs(found[0] - 11.5) + abs(found[1] - 7.5) > 3  # it moved
    landed = _lands(Affine.of_opencv(matrix))
    assert landed == pytest.approx(found, abs=0.5)


def test_maps_compose_in_the_order_they_are_applied() -> None:
    turn_then_double = Affine.turned(90, WIDTH, HEIGHT).then(Affine.scaled(2.0))
    assert turn_then_double.apply(0, 0) == (2 * HEIGHT, 0)  # top-left goes top-right, doubled
    double_then_turn = Affine.scaled(2.0).then(Affine.turned(90, WIDTH, HEIGHT))
    assert double_then_turn.apply(0, 0) == (HEIGHT, 0)  # turned as if the image were not doubled


def test_the_hocr_page_carries_the_map_and_a_page_without_one_has_none() -> None:
    hocr = (
        "<html><body><div class='ocr_page' id='page_1' "
        "title='image \"p.pgm\"; bbox 0 0 1700 2300; ppageno 0; scan_res 200 200'>"
        "<span class='ocr_line' title='bbox 1 2 3 4'>x</span></div></body></html>"
    )
    assert scan_transform(hocr) is None
    transform = Affine.turned(90, 2300, 1700).then(Affine.scaled(1.25, 0.8))
    marked = with_scan_transform(hocr, transform)
    assert scan_transform(marked) == transform
    assert "scan_res 200 200; x_scan_transform" in marked
    assert "<span class='ocr_line' title='bbox 1 2 3 4'>" in marked  # only the page's title
    again = with_scan_transform(marked, Affine.scaled(0.5))
    assert scan_transform(again) == Affine.scaled(0.5)
    assert again.count("x_scan_transform") == 1


def test_the_inverse_brings_a_point_back_and_a_box_is_bounded_where_it_lands() -> None:
    there = (
        Affine.exif(6, WIDTH, HEIGHT)
        .then(Affine.of_opencv(cv2.getRotationMatrix2D((15, 20), 2.0, 1.0)))
        .then(Affine.scaled(1.5))
    )
    x, y = there.inverse().apply(*there.apply(11.5, 7.5))
    assert (x, y) == pytest.approx((11.5, 7.5))
    assert Affine.turned(90, WIDTH, HEIGHT).box(0, 0, 10, 5) == (HEIGHT - 5, 0, HEIGHT, 10)
