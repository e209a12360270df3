"""The page PDF is the JPEG people see, embedded byte for byte, under the text layer."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pikepdf
import pytest

from services.ocr.adapters.pagepdf import with_page_image

pytestmark = pytest.mark.unit


def _text_layer(width_pt: float, height_pt: float) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width_pt, height_pt))
    pdf.pages[0].contents_add(pikepdf.Stream(pdf, b"BT 3 Tr ET"))  # invisible text mode
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_the_jpeg_fills_the_page_under_the_text_and_is_never_recoded() -> None:
    page = np.full((700, 500), 255, np.uint8)
    cv2.putText(page, "SO NOI VU", (40, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    ok, encoded = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    jpeg = encoded.tobytes()
    result = with_page_image(_text_layer(120.0, 168.0), jpeg, 500, 700)

    with pikepdf.open(io.BytesIO(result)) as pdf:
        (only,) = pdf.pages
        assert [float(v) for v in only.mediabox] == [0.0, 0.0, 120.0, 168.0]
        (image,) = only.get_images().values()
        assert image.read_raw_bytes() == jpeg  # DCT data as people see it
        assert (int(image.Width), int(image.Height)) == (500, 700)
        drawn = only.Contents.read_bytes() if isinstance(only.Contents, pikepdf.Stream) else b""
        if not drawn:
            drawn = b"".join(part.read_bytes() for part in only.Contents)
        assert drawn.index(b"Do") < drawn.index(b"BT")  # the image first, the text over it
        assert b"120.0000 0 0 168.0000 0.0000 0.0000 cm" in drawn
