"""Page clean-up with OpenCV: what tesseract needs to read an archival scan well, measured.

Every step is generic (no knowledge of how test pages are rendered): orientation from text
line direction and tesseract's OSD, deskew by projection profiles, dark scanner edges
removed, red seals and blue ink dropped where they cross text, uneven paper (yellowing,
stains, show-through) flattened; the flattened grey page is what tesseract reads, at the
size it was scanned unless its letters are too small.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from cv2.typing import MatLike
from PIL import Image, ImageOps

from services.ocr.domain import PageQuality, UnreadableImage
from shared.errors import DECODER_FAILURES
from shared.geometry import IDENTITY, Affine

Gray = MatLike  # one channel, 8 bits
Colour = MatLike  # three channels, BGR
A4_LONG_INCHES = 11.69
TARGET_DPI = 300
# Scans are read at their own resolution between these: on the project's corpus, enlarging
# 150 and 200 dpi pages to 300 dpi made tesseract slower and its reading worse, while 100 dpi
# pages need it; above MAX_DPI every step only costs more.
MIN_NATIVE_DPI = 140
MAX_DPI = 400
X_HEIGHT_MIN = 12.0  # px: smaller letters lose strokes and tone marks (small print at 150 dpi)
X_HEIGHT_TARGET = 24.0  # px: 13 pt Times at 300 dpi, the size too small letters are brought to
MAX_ENLARGEMENT = 3.0  # a misread x-height must never blow a page up past what tesseract takes
# tesseract's LSTM reads best with capitals 20–30 px high (its authors' advice); larger letters
# cost layout time without adding accuracy, so they are read from a reduced copy, brought to a
# 22 px x-height (capitals ≈ 32 px): at 20 px the slash of a số ký hiệu ("277/TTr") was lost
X_HEIGHT_MAX = 22.0  # px: above it the page is read reduced …
X_HEIGHT_READ = 22.0  # px: … to this x-height
MIN_REDUCTION = 0.6  # a misread x-height must never shrink a page past what letters survive
MEASURED_AT_DPI = 270  # sharpness and speckle thresholds hold for pages of at least this dpi
ANALYSIS_WIDTH = 1000  # pixels; skew and orientation are measured on a reduced copy


@dataclass(frozen=True)
class Step:
    """One clean-up step as it ran on this page: a regression is traced to its step."""

    step: str
    seconds: float
    detail: str


class _Trace:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._last = time.perf_counter()

    def __call__(self, step: str, detail: str) -> None:
        now = time.perf_counter()
        self.steps.append(Step(step, round(now - self._last, 4), detail))
        self._last = now


@dataclass(frozen=True)
class Cleaned:
    """A page ready for recognition, and what was found on the way."""

    for_ocr: Gray  # flattened greyscale, upright, deskewed, at the size its letters read best
    for_people: Gray  # what people see: the same page, only ever enlarged with it
    dpi: int  # of for_people
    quality: PageQuality  # measurements; flags are added once the page is read
    steps: tuple[Step, ...] = ()
    reduced: float = 1.0  # for_ocr's size to for_people's: under 1 when large letters are
    from_scan: Affine = IDENTITY  # where a point of the stored scan lands in for_people

    @property
    def ocr_dpi(self) -> int:
        """The resolution of for_ocr, as tesseract is told it."""
        return round(self.dpi * self.reduced)


UNDECODABLE: tuple[type[Exception], ...] = (*DECODER_FAILURES, Image.DecompressionBombError)


EXIF_ORIENTATION = 0x0112
TIFF_BITS_PER_SAMPLE = 258
_DECODED_BY_OPENCV = {"L": cv2.IMREAD_GRAYSCALE, "RGB": cv2.IMREAD_COLOR}
_FORMATS_BY_OPENCV = ("PNG", "JPEG", "TIFF")


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation, read from the header: a PNG's eXIf comes before its pixels, and
    asking Pillow for a PNG's EXIF it has not met would decode the whole image to look."""
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    return int(image.getexif().get(EXIF_ORIENTATION, 1))


def _opencv_decodes_as_pillow(image: Image.Image, path: Path) -> bool:
    """Whether OpenCV gives this scan's very pixels, and refuses it where Pillow would: 8-bit
    PNG, JPEG or TIFF, upright. A JPEG must end with its EOI marker (OpenCV fills a cut-off
    one with grey where Pillow refuses it); a TIFF must have 8 bits a sample (Pillow reports
    a 16-bit RGB TIFF as RGB, and the two reduce it differently). A PNG's EXIF is read from
    before its pixels only."""
    if image.format not in _FORMATS_BY_OPENCV or _orientation(image) != 1:
        return False
    if image.format == "TIFF":
        bits = image.tag_v2.get(TIFF_BITS_PER_SAMPLE, 8)  # type: ignore[attr-defined]
        return all(b == 8 for b in (bits if isinstance(bits, tuple) else (bits,)))
    if image.format == "JPEG":
        with path.open("rb") as raw:
            raw.seek(-2, os.SEEK_END)
            return raw.read(2) == b"\xff\xd9"
    return True


class Scan(NamedTuple):
    """A decoded scan: pixels (BGR for colour, else one grey channel: a greyscale scan is never
    tripled and reduced again), the declared dpi, whether it is in colour, and where a point
    of the stored image lands in ``pixels`` (its EXIF orientation applied)."""

    pixels: MatLike
    dpi: int | None
    colour: bool
    from_stored: Affine


def load(path: Path) -> Scan:
    """Decode any format Pillow reads, honouring its EXIF orientation.

    Pillow reads the header (dpi, mode, orientation); the common scans (8-bit grey or RGB
    PNG, JPEG, TIFF, upright) are decoded by OpenCV, straight into the array the clean-up
    works on and with the same pixels: a colour page costs one copy less, a JPEG half."""
    try:
        with Image.open(path) as image:
            dpi_info = image.info.get("dpi")
            flag = _DECODED_BY_OPENCV.get(image.mode)
            pixels, from_stored = None, IDENTITY
            if flag is not None and _opencv_decodes_as_pillow(image, path):
                pixels = cv2.imread(str(path), flag | cv2.IMREAD_IGNORE_ORIENTATION)
            if pixels is not None:
                colour = image.mode == "RGB"
            else:
                image.load()  # then getexif() sees what exif_transpose will: XMP, late eXIf
                shown_as = int(image.getexif().get(EXIF_ORIENTATION, 1))
                from_stored = Affine.exif(shown_as, *image.size)
                turned = ImageOps.exif_transpose(image)
                colour = turned.mode not in ("1", "L", "LA", "I", "I;16", "F")
                if colour:
                    pixels = cv2.cvtColor(np.asarray(turned.convert("RGB")), cv2.COLOR_RGB2BGR)
                else:
                    pixels = np.asarray(turned if turned.mode == "L" else turned.convert("L"))
    except UNDECODABLE as exc:
        raise UnreadableImage(f"cannot decode {path.name}: {exc}") from exc
    dpi = round(float(dpi_info[0])) if dpi_info and float(dpi_info[0]) >= 50 else None
    return Scan(pixels, dpi, colour, from_stored)


def effective_dpi(width: int, height: int, declared: int | None) -> float:
    """Declared dpi when plausible, else assume an A4 sheet (the administrative norm)."""
    if declared:
        return float(declared)
    return max(width, height) / A4_LONG_INCHES


def _colour_ink(bgr: Colour) -> np.ndarray:
    """Where saturated red (seals) and blue (pen) strokes are: a boolean mask."""
    hue, sat, val = cv2.split(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV))
    red = (hue <= 10) | (hue >= 160)
    blue = (hue >= 95) & (hue <= 135)
    return (sat >= 70) & (val >= 70) & (red | blue)


COLOUR_INK_SHARE = 0.0005  # of the pixels; below it a colour scan carries no seal or pen


def drop_colour_ink(bgr: Colour) -> Gray:
    """Greyscale in which saturated red (seals) and blue (pen) strokes become paper.

    Black print under a seal stays dark: only bright, saturated pixels are dropped. Whether
    there is any colour ink is asked of every fourth pixel in each direction first (a sample,
    not an average: thin pen strokes keep their saturation), so a page without any costs
    one grey conversion.
    """
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    if _colour_ink(np.ascontiguousarray(bgr[::4, ::4])).mean() < COLOUR_INK_SHARE:
        return gray
    coloured = _colour_ink(bgr)
    if coloured.mean() < COLOUR_INK_SHARE:
        return gray
    mask = cv2.dilate(coloured.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    # Replace dropped strokes with the local paper level, not pure white, to avoid halos.
    paper = paper_level(gray)
    darker = mask & (gray < paper)
    out = gray.copy()
    out[darker] = paper[darker]
    return out


def paper_level(gray: Gray) -> Gray:
    """The paper's own brightness at every pixel, ink closed away on a copy reduced 8×."""
    height, width = gray.shape
    small = cv2.resize(
        gray, (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA
    )
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    background = cv2.medianBlur(background, 9)
    return cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)


def flatten(gray: Gray) -> Gray:
    """Divide by the paper's own brightness: removes yellowing, stains, uneven light."""
    return cv2.divide(gray, np.maximum(paper_level(gray), 1), scale=255)


def _large_dark_border_regions(dark: Gray) -> bool:
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    height, width = dark.shape
    for label in range(1, count):
        x, y, w, h, area = stats[label]
        touches = x == 0 or y == 0 or x + w >= width or y + h >= height
        if touches and area > 0.001 * width * height and (w > 0.15 * width or h > 0.15 * height):
            return True
    return False


def whiten_dark_edges(gray: Gray) -> Gray:
    """Scanner lids and book edges leave dark bands touching the border: make them paper.

    Looked for on a reduced copy first (with looser bounds): most pages have none, and then
    the full-resolution labelling is skipped."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    if not _large_dark_border_regions((small < 80).astype(np.uint8)):
        return gray
    dark = (gray < 80).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    height, width = gray.shape
    out = gray
    for label in range(1, count):
        x, y, w, h, area = stats[label]
        touches = x == 0 or y == 0 or x + w >= width or y + h >= height
        large = area > 0.002 * width * height and (w > 0.2 * width or h > 0.2 * height)
        if touches and large:
            if out is gray:
                out = gray.copy()
            out[labels == label] = 255
    return out


NOISY = 4.0  # grey levels; clean, stained, faded and JPEG scans measure below 2.5


def grey_percentiles(gray: Gray, points: tuple[float, float]) -> tuple[float, float]:
    """Percentiles of an 8-bit image from its histogram: a sort of every pixel costs more."""
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram) / histogram.sum()
    low, high = (float(np.searchsorted(cumulative, p / 100)) for p in points)
    return low, high


def speckle_level(gray: Gray) -> float:
    return float(cv2.absdiff(gray, cv2.medianBlur(gray, 3)).mean())


def sharpness(gray: Gray) -> float:
    """Variance of the Laplacian (lower is blurrier), in 16-bit integers: a uint8 page's
    Laplacian fits them exactly, and doubles cost ten times as much on a whole page."""
    _, deviation = cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S))
    return float(deviation[0, 0]) ** 2


def binarise(flat: Gray) -> Gray:
    _, bw = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return bw


def _reduced_ink(bw: Gray) -> Gray:
    scale = ANALYSIS_WIDTH / max(bw.shape)
    small = cv2.resize(255 - bw, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return (small > 64).astype(np.uint8) * 255


def _profile_score(ink: Gray, angle: float) -> float:
    """Sharpness of the row profile after rotating by ``angle``: peaks when lines are level."""
    height, width = ink.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    rotated = cv2.warpAffine(ink, matrix, (width, height), flags=cv2.INTER_NEAREST)
    rows = rotated.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def _best_angle(ink: Gray, angles: np.ndarray) -> tuple[float, float]:
    """Of ``angles``, the one whose rotation levels the text lines best, and its score."""
    scores = {float(a): _profile_score(ink, float(a)) for a in angles}
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]


def _refined_angle(ink: Gray, around: float) -> float:
    """The best angle near ``around`` to 0.05°: the best quarter degree within ±1°, then the
    best 0.05° step within ±0.2° of it (18 rotations where one pass of 0.05° steps over ±1°
    takes 41). A local search: a quarter degree apart, the profile's peak is still one hill."""
    quarter, _ = _best_angle(ink, np.arange(around - 1.0, around + 1.01, 0.25))
    best, _ = _best_angle(ink, np.arange(quarter - 0.2, quarter + 0.21, 0.05))
    return round(best, 2)


def find_layout(bw: Gray, limit: float = 15.0) -> tuple[int, float]:
    """(quarter turn clockwise, skew) that make text lines level and horizontal.

    Both quarter turns are levelled and compared, so a skewed page is never mistaken for a
    page on its side (the row profile of a skewed page is flat until it is levelled).
    """
    ink = _reduced_ink(bw)
    if ink.mean() < 0.5:
        return 0, 0.0
    sideways = np.ascontiguousarray(np.rot90(ink, k=-1))
    whole_degrees = np.arange(-limit, limit + 0.01, 1.0)
    across_angle, across = _best_angle(ink, whole_degrees)
    down_angle, down = _best_angle(sideways, whole_degrees)
    if down > 1.2 * across:
        return 90, _refined_angle(sideways, down_angle)
    return 0, _refined_angle(ink, across_angle)


def _rotation(shape: tuple[int, ...], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The warp matrix and canvas (width, height) of a rotation that keeps every pixel."""
    height, width = shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return matrix, (new_w, new_h)


def rotate(image: Gray, angle: float, fill: int = 255) -> Gray:
    """Rotate by ``angle`` degrees counter-clockwise around the centre, keeping every pixel."""
    matrix, size = _rotation(image.shape, angle)
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_CUBIC, borderValue=(fill,))


def _resized(before: Gray, after: Gray) -> Affine:
    """The map of a resize, from the sizes it made (they are rounded to whole pixels)."""
    return Affine.scaled(after.shape[1] / before.shape[1], after.shape[0] / before.shape[0])


def turn(image: Gray, clockwise: int) -> Gray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if clockwise % 360 == 0 else cv2.rotate(image, codes[clockwise % 360])


RULE_LENGTH = 0.25  # of the page width: an unbroken run of ink that long is a rule, not print


def _without_rules(ink: np.ndarray) -> np.ndarray:
    """``ink`` (0/1) less its horizontal rules (tables, registers, fill-in lines, underlines):
    no run of print is unbroken for a quarter of the page, and a rule under a line of text
    would pass for the line's core."""
    length = max(3, round(RULE_LENGTH * ink.shape[1]))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    return ink - rules


def _bands(ink: np.ndarray) -> list[np.ndarray]:
    """The row profile (ink per row) of every text line of ``ink`` (0/1, a level page)."""
    rows = ink.sum(axis=1, dtype=np.float64)
    text_rows = rows > max(2.0, 0.02 * ink.shape[1])
    bands: list[np.ndarray] = []
    start = None
    for index, is_text in enumerate([*text_rows.tolist(), False]):
        if is_text and start is None:
            start = index
        elif not is_text and start is not None:
            if index - start >= 6:
                bands.append(rows[start:index])
            start = None
    return bands


def _core(band: np.ndarray) -> np.ndarray:
    """Rows of a line's core (x-height) band: those carrying at least half its densest row."""
    return np.flatnonzero(band >= 0.5 * band.max())


def upright_evidence(bands: list[np.ndarray]) -> float:
    """Log ratio of ink above the x-height band to ink below it, over every text line.

    Vietnamese (and Latin) print carries far more ink above the core band (tone marks,
    capitals, ascenders) than below it (descenders, dấu nặng): positive means upright,
    negative upside down, near zero undecided. Costs milliseconds where OSD costs most of a
    second.
    """
    above = below = 0.0
    for band in bands:
        core = _core(band)
        above += float(band[: core[0]].sum())
        below += float(band[core[-1] + 1 :].sum())
    return float(np.log((above + 1.0) / (below + 1.0)))


MIN_LINES = 3  # a page with fewer text lines has no x-height to speak of


@dataclass(frozen=True)
class Lines:
    """The text lines of a level page, read once at half resolution: their row profiles as
    printed, each half of the page on its own (the orientation evidence: the two columns of
    an NĐ 30 header and signer block sit at slightly different heights, and a band holding
    both reads one column's letters as the other's ascenders or descenders — a sparse last
    page was guessed upside down so), and the letters' x-height with horizontal rules left out
    (a rule under a line would pass for the line's core)."""

    bands: list[np.ndarray]
    x_height: float | None  # full-resolution pixels; None with fewer than MIN_LINES lines


def read_lines(bw: Gray) -> Lines:
    """The lines of ``bw`` and the median height of their core bands: the size of the letters
    themselves, which is what recognition depends on, whatever the declared dpi. A core spans
    from its first to its last dense row (in crisp serif print the x-line and the baseline
    are the densest rows, those between lighter)."""
    ink = np.ascontiguousarray(bw[::2, ::2] < 128).astype(np.uint8)
    cores = [_core(band) for band in _bands(_without_rules(ink))]
    spans = [int(core[-1] - core[0] + 1) for core in cores]
    letters = 2.0 * float(np.median(spans)) if len(spans) >= MIN_LINES else None
    half = ink.shape[1] // 2
    columns = (np.ascontiguousarray(ink[:, :half]), np.ascontiguousarray(ink[:, half:]))
    return Lines([band for column in columns for band in _bands(column)], letters)


def _letter_size(
    flat: Gray, letters: float | None, dpi: int, *, grainy: bool = False
) -> tuple[Gray, float, str]:
    """The page at the size its letters are read best, the factor, and why: tiny letters
    enlarged, large ones reduced (the reduced copy is for recognition alone) unless the page
    is grainy: speckle the median left would merge with the strokes in a reduced copy. A
    reduction lands on a whole dpi (tesseract is told one), so the page PDF it writes keeps
    the sheet's size."""
    if letters is None:
        return flat, 1.0, "too few lines for an x-height: read as it is"
    if letters > X_HEIGHT_MAX and grainy:
        return flat, 1.0, f"x-height {letters:.0f} px, grainy: read as it is"
    if letters > X_HEIGHT_MAX:
        factor = round(dpi * max(X_HEIGHT_READ / letters, MIN_REDUCTION)) / dpi
        smaller = cv2.resize(flat, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        return smaller, factor, f"x-height {letters:.0f} px: read at ×{factor:.2f}"
    if letters >= X_HEIGHT_MIN:
        return flat, 1.0, f"x-height {letters:.0f} px: read as it is"
    enlarge = min(X_HEIGHT_TARGET / letters, MAX_ENLARGEMENT)
    bigger = cv2.resize(flat, None, fx=enlarge, fy=enlarge, interpolation=cv2.INTER_CUBIC)
    return bigger, enlarge, f"x-height {letters:.0f} px: ×{enlarge:.2f}"


def _as_if_300_dpi(gray: Gray, dpi: float) -> Gray:
    """A copy for measuring sharpness and speckle, whose thresholds were set at 300 dpi: a
    200 dpi page measured as scanned looks sharper and grainier than it is."""
    if dpi >= MEASURED_AT_DPI:
        return gray
    factor = TARGET_DPI / dpi
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


OrientationGuess = Callable[[Gray], tuple[int, float]]  # (clockwise degrees, confidence)


@dataclass(frozen=True)
class Orientation:
    """Whether a levelled page must be turned over, who said so, and how sure they were."""

    over: int  # 0 or 180
    confidence: float
    decided_by: str  # "ink" (tone marks above the lines), "osd" or "undecided"


def orient(
    levelled: Gray, bands: list[np.ndarray], guess: OrientationGuess, min_evidence: float = 0.25
) -> Orientation:
    """0 or 180: a guess only; the pipeline confirms a turn (or doubt) by reading both ways.

    Ink asymmetry decides when it is clear; the engine's orientation detection is the second
    opinion when it is not.
    """
    evidence = upright_evidence(bands)
    if abs(evidence) >= min_evidence:
        return Orientation(0 if evidence > 0 else 180, round(abs(evidence), 2), "ink")
    rotation, confidence = guess(levelled)
    if confidence >= 3.0 and rotation in (0, 180):
        return Orientation(rotation, confidence, "osd")
    return Orientation(0, round(abs(evidence), 2), "undecided")


def clean_page(path: Path, guess: OrientationGuess) -> Cleaned:
    trace = _Trace()
    pixels, dpi, colour, from_scan = load(path)
    height, width = pixels.shape[:2]
    found_dpi = effective_dpi(width, height, dpi)
    trace("load", f"{width}×{height} px, {found_dpi:.0f} dpi ({'declared' if dpi else 'A4'})")
    if colour:
        gray = drop_colour_ink(pixels)
        trace("drop-colour-ink", "red and blue strokes made paper, black print kept")
    else:
        gray = pixels
    gray = whiten_dark_edges(gray)
    trace("whiten-dark-edges", "dark scanner borders made paper")
    scale = 1.0
    if not MIN_NATIVE_DPI <= found_dpi <= MAX_DPI:  # before any step that looks at pixels
        scale = TARGET_DPI / found_dpi
        method = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        scanned, gray = gray, cv2.resize(gray, None, fx=scale, fy=scale, interpolation=method)
        from_scan = from_scan.then(_resized(scanned, gray))
        trace("resample", f"×{scale:.2f} to {TARGET_DPI} dpi")
    measured = _as_if_300_dpi(gray, found_dpi * scale)
    noise = speckle_level(measured)
    if noise > NOISY:  # scanner speckle breaks letters into dust: a median keeps strokes
        gray = cv2.medianBlur(gray, 3)
    trace("despeckle", f"noise {noise:.2f}: {'median 3×3' if noise > NOISY else 'kept'}")
    blur = sharpness(measured)
    low, high = grey_percentiles(gray, (2, 98))
    flat = flatten(gray)
    trace("flatten", f"grey levels {low:.0f}–{high:.0f} divided by the paper's brightness")
    quarter, skew = find_layout(binarise(flat))
    from_scan = from_scan.then(Affine.turned(quarter, flat.shape[1], flat.shape[0]))
    flat = turn(flat, quarter)
    if abs(skew) >= 0.1:
        matrix, _size = _rotation(flat.shape, skew)
        from_scan = from_scan.then(Affine.of_opencv(matrix))
        flat = rotate(flat, skew)
    trace("layout", f"turned {quarter}°, deskewed {skew}°")
    bw = binarise(flat)
    trace("binarise", "Otsu")
    lines = read_lines(bw)  # the same read upside down: a turn over changes neither
    orientation = orient(bw, lines.bands, guess)
    if orientation.over:
        from_scan = from_scan.then(Affine.turned(180, flat.shape[1], flat.shape[0]))
        flat, bw = turn(flat, 180), turn(bw, 180)
    rotation = (quarter + orientation.over) % 360
    trace(
        "orient",
        f"guess {orientation.over}° by {orientation.decided_by} ({orientation.confidence})",
    )
    residual = _refined_angle(_reduced_ink(bw), 0.0)
    trace("measure", f"residual skew {residual}°, sharpness {blur:.0f}")
    quality = PageQuality(
        effective_dpi=round(found_dpi, 1),
        rotation=rotation,  # degrees clockwise applied to make the page upright
        rotation_confidence=round(orientation.confidence, 2),
        rotation_decided_by=orientation.decided_by,
        skew=skew,  # degrees found and corrected
        residual_skew=residual,
        blur=round(blur, 1),  # variance of the Laplacian: lower is blurrier
        noise=round(noise, 2),  # mean distance of a pixel from its 3×3 median
        contrast=high - low,  # spread of grey levels between paper and ink
        mean_level=round(float(gray.mean()), 1),
        ink_coverage=round(float((bw < 128).mean()), 4),  # share of ink on the binarised page
        colour=colour,
    )
    shown_dpi = round(found_dpi * scale)
    sized, factor, why = _letter_size(flat, lines.x_height, shown_dpi, grainy=noise > NOISY)
    trace("letter-size", why)
    # tesseract reads the grey levels, not a binarisation of them: it thresholds for its
    # layout itself and its recogniser reads the grey line images, where anti-aliased strokes
    # and diacritics survive that a global threshold breaks (200 dpi, JPEG scans)
    if factor < 1:  # people see the page whole; its reading is scaled back to it
        return Cleaned(sized, flat, shown_dpi, quality, tuple(trace.steps), factor, from_scan)
    dpi = round(found_dpi * scale * factor)
    from_scan = from_scan.then(_resized(flat, sized))
    return Cleaned(sized, sized, dpi, quality, tuple(trace.steps), from_scan=from_scan)
