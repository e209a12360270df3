"""The page PDF: the cleaned page as people see it (its JPEG, embedded as it is) under the
invisible text tesseract wrote. tesseract is asked for the text layer alone: embedding the
greyscale page itself, it re-compresses every pixel and takes longer than recognition."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Name


def with_page_image(text_only_pdf: bytes, jpeg: bytes, width: int, height: int) -> bytes:
    """``text_only_pdf`` (one page) with ``jpeg`` (``width`` × ``height`` px, greyscale) drawn
    under its text, filling the page. The JPEG is embedded as DCT data, never decoded."""
    with pikepdf.open(io.BytesIO(text_only_pdf)) as pdf:
        page = pdf.pages[0]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        image = pikepdf.Stream(
            pdf,
            jpeg,
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=width,
            Height=height,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
        )
        name = page.add_resource(image, Name.XObject, prefix="Page")
        drawn = f"q {x1 - x0:.4f} 0 0 {y1 - y0:.4f} {x0:.4f} {y0:.4f} cm {name} Do Q\n"
        page.contents_add(pikepdf.Stream(pdf, drawn.encode("ascii")), prepend=True)
        out = io.BytesIO()
        pdf.save(out, compress_streams=True)
    return out.getvalue()
