"""Where a point of the stored scan lands on the page OCR read.

Clean-up turns, deskews and resizes a page before it is read, so the words of its hOCR are in
the cleaned page's pixels, not the scan's. The OCR service records the whole change as one
affine map (``x_scan_transform`` in the hOCR's ``ocr_page`` title); the handover service draws
the unchanged colour scan through it, so the invisible text lies exactly over the printed
words. Coordinates are continuous pixel edges: (0, 0) is the top-left corner of the top-left
pixel, (width, height) the bottom-right corner of the bottom-right one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

HOCR_PROPERTY = "x_scan_transform"  # hOCR engine-specific properties start with x_
_IN_TITLE = re.compile(rf"{HOCR_PROPERTY}((?:\s+-?[\d.e+-]+){{6}})")
_PAGE_TITLE = re.compile(r"""(class=(['"])ocr_page\2[^>]*?title=(['"]))(.*?)(\3)""")


@dataclass(frozen=True)
class Affine:
    """x' = a·x + b·y + c, y' = d·x + e·y + f."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    e: float = 1.0
    f: float = 0.0

    def then(self, other: Affine) -> Affine:
        """This map followed by ``other``."""
        return Affine(
            other.a * self.a + other.b * self.d,
            other.a * self.b + other.b * self.e,
            other.a * self.c + other.b * self.f + other.c,
            other.d * self.a + other.e * self.d,
            other.d * self.b + other.e * self.e,
            other.d * self.c + other.e * self.f + other.f,
        )

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f

    def inverse(self) -> Affine:
        """Where a point of the page came from on the scan."""
        det = self.a * self.e - self.b * self.d
        return Affine(
            self.e / det,
            -self.b / det,
            (self.b * self.f - self.e * self.c) / det,
            -self.d / det,
            self.a / det,
            (self.d * self.c - self.a * self.f) / det,
        )

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, ...]:
        """The upright box around where a box's four corners land."""
        corners = [self.apply(x, y) for x in (x0, x1) for y in (y0, y1)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def is_identity(self) -> bool:
        return all(
            math.isclose(mine, unit, abs_tol=1e-9)
            for mine, unit in zip(self.values, (1, 0, 0, 0, 1, 0), strict=True)
        )

    @property
    def values(self) -> tuple[float, float, float, float, float, float]:
        return self.a, self.b, self.c, self.d, self.e, self.f

    @classmethod
    def scaled(cls, fx: float, fy: float | None = None) -> Affine:
        return cls(a=fx, e=fx if fy is None else fy)

    @classmethod
    def turned(cls, clockwise: int, width: float, height: float) -> Affine:
        """A quarter turn of a ``width``×``height`` image, as ``cv2.rotate`` makes it."""
        turns = {
            0: cls(),
            90: cls(a=0, b=-1, c=height, d=1, e=0, f=0),
            180: cls(a=-1, b=0, c=width, d=0, e=-1, f=height),
            270: cls(a=0, b=1, c=0, d=-1, e=0, f=width),
        }
        return turns[clockwise % 360]

    @classmethod
    def of_opencv(cls, matrix: object) -> Affine:
        """A ``cv2.warpAffine`` matrix (pixel centres) as a map of pixel edges."""
        rows = [[float(v) for v in row] for row in matrix]  # type: ignore[attr-defined]
        (a, b, c), (d, e, f) = rows
        centred = cls(c=-0.5, f=-0.5)
        return centred.then(cls(a, b, c, d, e, f)).then(cls(c=0.5, f=0.5))

    @classmethod
    def exif(cls, orientation: int, width: float, height: float) -> Affine:
        """What ``PIL.ImageOps.exif_transpose`` does to a stored ``width``×``height`` image."""
        flips = {
            2: cls(a=-1, c=width),  # mirrored left to right
            4: cls(e=-1, f=height),  # mirrored top to bottom
            5: cls(a=0, b=1, d=1, e=0),  # transposed
            7: cls(a=0, b=-1, c=height, d=-1, e=0, f=width),  # transversed
        }
        turns = {3: 180, 6: 90, 8: 270}
        if orientation in turns:
            return cls.turned(turns[orientation], width, height)
        return flips.get(orientation, cls())

    def hocr_value(self) -> str:
        return f"{HOCR_PROPERTY} " + " ".join(f"{round(v, 6):g}" for v in self.values)


IDENTITY = Affine()


def with_scan_transform(hocr: str, transform: Affine) -> str:
    """``hocr`` whose page says how its scan was changed into the page that was read."""

    def marked(match: re.Match[str]) -> str:
        title = _IN_TITLE.sub("", match.group(4)).rstrip("; ")
        return f"{match.group(1)}{title}; {transform.hocr_value()}{match.group(5)}"

    return _PAGE_TITLE.sub(marked, hocr, count=1)


def scan_transform(hocr: str) -> Affine | None:
    """The map an hOCR's page records, or None for a page read before it was recorded."""
    page = _PAGE_TITLE.search(hocr)
    found = _IN_TITLE.search(page.group(4)) if page else None
    if found is None:
        return None
    return Affine(*(float(v) for v in found.group(1).split()))
