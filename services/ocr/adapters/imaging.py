"""Page clean-up with OpenCV: what tesseract needs to read an archival scan well, measured.

Every step is generic (no knowledge of how test pages are rendered): orientation from text
line direction and tesseract's OSD, deskew by projection profiles, dark scanner edges
removed, red seals and blue ink dropped where they cross text, uneven paper (yellowing,
stains, show-through) flattened, then Otsu binarisation of the flattened page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from cv2.typing import MatLike
from PIL import Image, ImageOps

from services.ocr.domain import PageQuality, UnreadableImage
from shared.errors import DECODER_FAILURES

Gray = MatLike  # one channel, 8 bits
Colour = MatLike  # three channels, BGR
A4_LONG_INCHES = 11.69
TARGET_DPI = 300
MAX_DPI = 400  # above this, a page is reduced to TARGET_DPI: tesseract gains nothing from more
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

    for_ocr: Gray  # flattened greyscale, upright, deskewed, at 300 dpi
    for_people: Gray  # what people see: the same page today
    dpi: int  # of both images
    quality: PageQuality  # measurements; flags are added once the page is read
    steps: tuple[Step, ...] = ()


UNDECODABLE: tuple[type[Exception], ...] = (*DECODER_FAILURES, Image.DecompressionBombError)


def load(path: Path) -> tuple[MatLike, int | None, bool]:
    """Decode any format Pillow reads; honour EXIF orientation; return the pixels (BGR for
    colour, else one grey channel: a greyscale scan is never tripled and reduced again), the
    declared dpi and whether the scan is in colour."""
    try:
        with Image.open(path) as image:
            image.load()
            dpi_info = image.info.get("dpi")
            upright = ImageOps.exif_transpose(image)
            colour = upright.mode not in ("1", "L", "LA", "I", "I;16", "F")
            if colour:
                pixels = cv2.cvtColor(np.asarray(upright.convert("RGB")), cv2.COLOR_RGB2BGR)
            else:
                pixels = np.asarray(upright if upright.mode == "L" else upright.convert("L"))
    except UNDECODABLE as exc:
        raise UnreadableImage(f"cannot decode {path.name}: {exc}") from exc
    dpi = round(float(dpi_info[0])) if dpi_info and float(dpi_info[0]) >= 50 else None
    return pixels, dpi, colour


def effective_dpi(width: int, height: int, declared: int | None) -> float:
    """Declared dpi when plausible, else assume an A4 sheet (the administrative norm)."""
    if declared:
        return float(declared)
    return max(width, height) / A4_LONG_INCHES


def drop_colour_ink(bgr: Colour) -> Gray:
    """Greyscale in which saturated red (seals) and blue (pen) strokes become paper.

    Black print under a seal stays dark: only bright, saturated pixels are dropped.
    """
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hue, sat, val = cv2.split(hsv)
    red = (hue <= 10) | (hue >= 160)
    blue = (hue >= 95) & (hue <= 135)
    coloured = (sat >= 70) & (val >= 70) & (red | blue)
    if coloured.mean() < 0.0005:
        return gray
    mask = cv2.dilate(coloured.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    # Replace dropped strokes with the local paper level, not pure white, to avoid halos.
    paper = cv2.medianBlur(gray, 31)
    out = gray.copy()
    out[mask & (gray < paper)] = paper[mask & (gray < paper)]
    return out


def flatten(gray: Gray) -> Gray:
    """Divide by the paper's own brightness: removes yellowing, stains, uneven light."""
    height, width = gray.shape
    small = cv2.resize(
        gray, (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA
    )
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    background = cv2.medianBlur(background, 9)
    background = cv2.resize(background, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(background, 1), scale=255)


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


def _coarse_angle(ink: Gray, limit: float) -> tuple[float, float]:
    """(angle, score) levelling text lines best, in 1° steps."""
    scores = {float(a): _profile_score(ink, float(a)) for a in np.arange(-limit, limit + 0.01, 1.0)}
    best = max(scores, key=scores.__getitem__)
    return best, scores[best]


def _refined_angle(ink: Gray, around: float) -> float:
    """The best angle within ±1° of ``around``, in 0.05° steps."""
    steps = np.arange(around - 1.0, around + 1.01, 0.05)
    scores = {float(a): _profile_score(ink, float(a)) for a in steps}
    best = max(scores, key=scores.__getitem__)
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
    across_angle, across = _coarse_angle(ink, limit)
    down_angle, down = _coarse_angle(sideways, limit)
    if down > 1.2 * across:
        return 90, _refined_angle(sideways, down_angle)
    return 0, _refined_angle(ink, across_angle)


def rotate(image: Gray, angle: float, fill: int = 255) -> Gray:
    """Rotate by ``angle`` degrees counter-clockwise around the centre, keeping every pixel."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=(fill,))


def turn(image: Gray, clockwise: int) -> Gray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if clockwise % 360 == 0 else cv2.rotate(image, codes[clockwise % 360])


def upright_evidence(bw: Gray) -> float:
    """Log ratio of ink above the x-height band to ink below it, over every text line.

    Vietnamese (and Latin) print carries far more ink above the core band (tone marks,
    capitals, ascenders) than below it (descenders, dấu nặng): positive means upright,
    negative upside down, near zero undecided. Costs milliseconds where OSD costs most of a
    second.
    """
    ink = (bw[::2, ::2] < 128).astype(np.float64)
    rows = ink.sum(axis=1)
    text_rows = rows > max(2.0, 0.02 * ink.shape[1])
    above = below = 0.0
    start = None
    for index, is_text in enumerate([*text_rows.tolist(), False]):
        if is_text and start is None:
            start = index
        elif not is_text and start is not None:
            band = rows[start:index]
            if len(band) >= 6:
                core = np.flatnonzero(band >= 0.5 * band.max())
                above += float(band[: core[0]].sum())
                below += float(band[core[-1] + 1 :].sum())
            start = None
    return float(np.log((above + 1.0) / (below + 1.0)))


OrientationGuess = Callable[[Gray], tuple[int, float]]  # (clockwise degrees, confidence)


@dataclass(frozen=True)
class Orientation:
    """Whether a levelled page must be turned over, who said so, and how sure they were."""

    over: int  # 0 or 180
    confidence: float
    decided_by: str  # "ink" (tone marks above the lines), "osd" or "undecided"


def orient(levelled: Gray, guess: OrientationGuess, min_evidence: float = 0.25) -> Orientation:
    """0 or 180: a guess only; the pipeline confirms a turn (or doubt) by reading both ways.

    Ink asymmetry decides when it is clear; the engine's orientation detection is the second
    opinion when it is not.
    """
    evidence = upright_evidence(levelled)
    if abs(evidence) >= min_evidence:
        return Orientation(0 if evidence > 0 else 180, round(abs(evidence), 2), "ink")
    rotation, confidence = guess(levelled)
    if confidence >= 3.0 and rotation in (0, 180):
        return Orientation(rotation, confidence, "osd")
    return Orientation(0, round(abs(evidence), 2), "undecided")


def clean_page(path: Path, guess: OrientationGuess) -> Cleaned:
    trace = _Trace()
    pixels, dpi, colour = load(path)
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
    resampled = found_dpi < TARGET_DPI * 0.9 or found_dpi > MAX_DPI
    if resampled:  # small letters lose their diacritics; huge ones only cost time
        factor = TARGET_DPI / found_dpi
        method = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=method)
        trace("resample", f"×{factor:.2f} to {TARGET_DPI} dpi")
    noise = speckle_level(gray)
    if noise > NOISY:  # scanner speckle breaks letters into dust: a median keeps strokes
        gray = cv2.medianBlur(gray, 3)
    trace("despeckle", f"noise {noise:.2f}: {'median 3×3' if noise > NOISY else 'kept'}")
    blur = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    low, high = grey_percentiles(gray, (2, 98))
    flat = flatten(gray)
    trace("flatten", f"grey levels {low:.0f}–{high:.0f} divided by the paper's brightness")
    quarter, skew = find_layout(binarise(flat))
    flat = turn(flat, quarter)
    if abs(skew) >= 0.1:
        flat = rotate(flat, skew)
    trace("layout", f"turned {quarter}°, deskewed {skew}°")
    bw = binarise(flat)
    trace("binarise", "Otsu")
    orientation = orient(bw, guess)
    if orientation.over:
        flat, bw = turn(flat, 180), turn(bw, 180)
    rotation = (quarter + orientation.over) % 360
    trace(
        "orient",
        f"guess {orientation.over}° by {orientation.decided_by} ({orientation.confidence})",
    )
    residual = _refined_angle(_reduced_ink(bw), 0.0)
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
    # tesseract reads the grey levels, not a binarisation of them: it thresholds for its
    # layout itself and its recogniser reads the grey line images, where anti-aliased strokes
    # and diacritics survive that a global threshold breaks (200 dpi, JPEG scans)
    return Cleaned(
        flat, flat, TARGET_DPI if resampled else round(found_dpi), quality, tuple(trace.steps)
    )
