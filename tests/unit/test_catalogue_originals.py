"""The original scan as the page viewer gets it from the catalogue: JPEG and PNG as stored,
TIFF re-encoded as a JPEG no longer than an A4 page at 300 dpi, nothing for a missing one."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from services.catalogue.adapters.hocr import PREVIEW_LONG_SIDE, StoredHocr, StoredOriginals
from shared.objectstore import LocalStore

pytestmark = pytest.mark.unit


def _stored(tmp_path: Path, key: str, image: Image.Image, kind: str) -> StoredOriginals:
    store = LocalStore(tmp_path)
    data = io.BytesIO()
    image.save(data, kind)
    data.seek(0)
    asyncio.run(store.put(key, data, content_type=f"image/{kind.lower()}"))
    return StoredOriginals(store)


def _work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return work


def test_a_png_original_is_shown_as_it_is_stored(tmp_path: Path) -> None:
    originals = _stored(tmp_path, "f/1.png", Image.new("RGB", (40, 60), "white"), "PNG")
    shown = asyncio.run(originals.preview("f/1.png", "image/png", _work(tmp_path)))
    assert shown is not None
    path, media_type = shown
    assert media_type == "image/png"
    assert path.read_bytes() == (tmp_path / "f/1.png").read_bytes()


def test_a_tiff_original_becomes_a_jpeg_of_the_same_shape_at_most_a4_at_300_dpi(
    tmp_path: Path,
) -> None:
    bitonal = Image.new("1", (4000, 6000), 1)  # A3-ish at 400 dpi, a browser cannot show TIFF
    originals = _stored(tmp_path, "f/2.tif", bitonal, "TIFF")
    shown = asyncio.run(originals.preview("f/2.tif", "image/tiff", _work(tmp_path)))
    assert shown is not None
    path, media_type = shown
    assert media_type == "image/jpeg"
    assert [p.name for p in path.parent.iterdir()] == ["preview.jpg"]  # the TIFF is gone
    with Image.open(path) as preview:
        assert preview.format == "JPEG"
        assert preview.height == PREVIEW_LONG_SIDE
        assert abs(preview.width / preview.height - 4000 / 6000) < 0.01


def test_a_missing_original_is_none(tmp_path: Path) -> None:
    missing = StoredOriginals(LocalStore(tmp_path)).preview("f/x.tif", None, _work(tmp_path))
    assert asyncio.run(missing) is None


def test_a_16_bit_grey_tiff_is_scaled_to_8_bits_not_clipped_white(tmp_path: Path) -> None:
    grey = Image.new("I;16", (40, 60), 30000)  # 30000 of 65535: a mid grey
    originals = _stored(tmp_path, "f/1.tif", grey, "TIFF")
    shown = asyncio.run(originals.preview("f/1.tif", "image/tiff", _work(tmp_path)))
    assert shown is not None
    with Image.open(shown[0]) as preview:
        levels = sorted(set(preview.convert("L").getdata()))
    assert 100 <= levels[0] <= levels[-1] <= 135  # 30000 / 256 ≈ 117, give or take JPEG


@pytest.mark.parametrize(("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_an_original_asked_no_wider_than_a_width_is_a_jpeg_preview_of_that_width(
    tmp_path: Path, kind: str, media_type: str
) -> None:
    scan = Image.new("RGB", (2480, 3508), "white")
    scan.paste((200, 30, 30), (1240, 0, 2480, 3508))  # the right half red
    originals = _stored(tmp_path, "f/1", scan, kind)
    shown = asyncio.run(originals.preview("f/1", media_type, _work(tmp_path), width=120))
    assert shown is not None
    path, shown_type = shown
    assert shown_type == "image/jpeg"
    with Image.open(path) as preview:
        assert preview.size == (120, 170)  # 3508 × 120 / 2480, proportions kept
        pixel = preview.convert("RGB").getpixel((100, 80))
        assert isinstance(pixel, tuple)
        assert pixel[0] > 150 > pixel[1]  # red: the picture is the scan's, only smaller


def test_the_cleaned_image_asked_no_wider_than_a_width_is_downscaled_and_a_small_one_kept(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path)
    data = io.BytesIO()
    Image.new("L", (2480, 3508), 240).save(data, "JPEG")
    asyncio.run(store.put("f/clean.jpg", io.BytesIO(data.getvalue()), content_type="image/jpeg"))
    images = StoredHocr(store)
    preview = asyncio.run(images.image("f/clean.jpg", width=1520))
    assert preview is not None
    with Image.open(io.BytesIO(preview)) as shown:
        assert shown.size == (1520, 2150)
    assert len(preview) < len(data.getvalue())
    assert asyncio.run(images.image("f/clean.jpg", width=4000)) == data.getvalue()
    assert asyncio.run(images.image("f/clean.jpg")) == data.getvalue()


def test_a_preview_of_a_long_narrow_scan_stays_within_a4_at_300_dpi(tmp_path: Path) -> None:
    """A roll scanned whole (a map, a long register) asked 4 000 wide is not taller than a
    JPEG can be: every preview fits the A4-at-300-dpi bound."""
    roll = Image.new("L", (2000, 70000), 255)  # 140 megapixels, within ingest's bound
    originals = _stored(tmp_path, "f/roll.png", roll, "PNG")
    shown = asyncio.run(originals.preview("f/roll.png", "image/png", _work(tmp_path), width=4000))
    assert shown is not None
    with Image.open(shown[0]) as preview:
        assert PREVIEW_LONG_SIDE - 50 < preview.height <= PREVIEW_LONG_SIDE
        assert abs(preview.width / preview.height - 2000 / 70000) < 0.002
