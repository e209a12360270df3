"""Scans made viewable: whatever a scanner stored (16-bit grey, CMYK, palette, bitonal, JPEG
2000), the same pixels as 8-bit grey or RGB, which every browser and a PDF/A can show."""

from __future__ import annotations

from PIL import Image


def eight_bit(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grey (``L``) or RGB: 16-bit grey scaled to 8 bits, never clipped
    white; bitonal and grey stay grey; everything else becomes RGB."""
    shown = image
    if image.mode.startswith("I"):
        shown = image.convert("I").point(lambda v: v / 256).convert("L")
    return shown.convert("L" if shown.mode in ("1", "L") else "RGB")
