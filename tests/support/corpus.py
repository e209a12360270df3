"""The OCR test corpus: sample pages degraded the way archival scans really are.

OCR quality can only be measured against known text, and clean renders flatter every engine.
Real intake is skewed or sideways, grainy, soft, faded, water-stained and yellowed, JPEG'd to
death, stamped with a red seal and signed in blue ink, scanned at 200 dpi or delivered as TIFF
and JPEG. Each variant class here reproduces mainly one of those faults (with at most a mild
touch of the others) on a page from :func:`services.ops.samples.render_document`, so a bench
can say which fault costs how much. Everything is deterministic for (variant, seed, page).

The ground truth is always the printed text of the page: a seal's own lettering and a
signature are not text of the document, just as an archivist would transcribe it.
"""

from __future__ import annotations

import functools
import io
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from services.ops.samples import SampleDocument, render_document

__all__ = [
    "VARIANT_CLASSES",
    "CorpusPage",
    "file_suffix",
    "render_variant",
    "save_page",
    "write_corpus",
]

VARIANT_CLASSES: tuple[str, ...] = (
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
"""Every kind of degraded scan the corpus makes, one fault (mainly) per class."""


@dataclass(frozen=True)
class CorpusPage:
    """One corpus image on disk and the text printed on it (NFC, one line per printed line)."""

    variant: str
    seed: int
    path: Path
    truth: str
    page_index: int = 0
    dpi: int = 300


_Array = NDArray[np.float32]
_RNG = np.random.Generator

_PAGES = 2  # page 0: the full NĐ 30 first page; page 1: body continuation
_SUFFIXES = {  # everything else is lossless PNG
    "tiff_input": ".tif",
    "jpeg_input": ".jpg",
    "dpi200_jpeg": ".jpg",
    "times200_jpeg": ".jpg",
}
_JPEG_QUALITY = {"jpeg_input": 75, "times200_jpeg": 80, "dpi200_jpeg": 85}  # scanner settings
_AT_200_DPI = {"dpi200", "dpi200_jpeg", "times200_jpeg"}
_TIMES = {"times300", "times200_jpeg"}  # Times New Roman metrics (Liberation Serif)


def _mm(value: float, dpi: int) -> int:
    return round(value * dpi / 25.4)


@functools.lru_cache(maxsize=4)
def _document(seed: int, dpi: int, family: str | None = None) -> SampleDocument:
    """Rendering a page takes a second; every variant of a seed starts from the same one."""
    return render_document(seed, pages=_PAGES, dpi=dpi, family=family)


def _rng(variant: str, seed: int, page_index: int) -> _RNG:
    """An independent stream per (variant, seed, page): adding a class changes no other."""
    return np.random.default_rng(
        [abs(seed), int(seed < 0), zlib.crc32(variant.encode("ascii")), page_index]
    )


# --------------------------------------------------------------------------------------------
# Pixel helpers: float32 arrays in grey levels 0-255
# --------------------------------------------------------------------------------------------


def _array(image: Image.Image) -> _Array:
    return np.asarray(image, dtype=np.float32)


def _image(pixels: _Array) -> Image.Image:
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def _grain(pixels: _Array, rng: _RNG, std: float) -> _Array:
    """Sensor noise: independent Gaussian grain on every pixel (and channel)."""
    return pixels + rng.standard_normal(pixels.shape, dtype=np.float32) * np.float32(std)


def _smooth_field(rng: _RNG, size: tuple[int, int], cells: tuple[int, int]) -> _Array:
    """Smooth random relief in roughly [-1, 1] over an image of ``size`` (width, height):
    a coarse grid of ``cells`` (columns, rows) of random values, bicubically interpolated."""
    coarse = rng.uniform(-1.0, 1.0, (cells[1], cells[0])).astype(np.float32)
    field = Image.fromarray(coarse, mode="F").resize(size, Image.Resampling.BICUBIC)
    return np.clip(_array(field), -1.0, 1.0)


def _paper_and_ink(pixels: _Array) -> tuple[float, float]:
    """Grey levels of bare paper and of solid ink, from a subsample (text covers < 15 %)."""
    sample = pixels[::4, ::4]
    return float(np.percentile(sample, 90)), float(np.percentile(sample, 0.3))


def _ink_alpha(pixels: _Array) -> _Array:
    """How much ink covers each pixel, 0 (paper) to 1 (solid stroke)."""
    paper, ink = _paper_and_ink(pixels)
    alpha: _Array = np.clip((paper - pixels) / np.float32(max(paper - ink, 1.0)), 0.0, 1.0)
    return alpha


def _soften(mask: _Array, radius: float) -> _Array:
    """Gaussian blur of a 0..1 mask (PIL blurs 8-bit images only; 1/255 steps are plenty)."""
    eight_bit = Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return _array(eight_bit.filter(ImageFilter.GaussianBlur(radius))) / np.float32(255.0)


def _multiply(rgb: _Array, mask: _Array, colour: tuple[int, int, int], at: tuple[int, int]) -> None:
    """Multiply-blend ``colour`` through ``mask`` (0..1) onto ``rgb`` with its top-left at
    ``at`` (x, y), clipped to the page: ink on ink stays dark, ink on paper takes its colour."""
    height, width = rgb.shape[:2]
    x, y = at
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + mask.shape[1], width), min(y + mask.shape[0], height)
    if x0 >= x1 or y0 >= y1:
        return
    part = mask[y0 - y : y1 - y, x0 - x : x1 - x, None]
    tint = np.asarray(colour, dtype=np.float32) / np.float32(255.0)
    rgb[y0:y1, x0:x1] *= 1.0 - part * (1.0 - tint)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold sans for seal lettering; seal text is not ground truth, so any fallback will do."""
    for name in ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf", "NotoSerif-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


# --------------------------------------------------------------------------------------------
# Degradations, one per class
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """What a degradation starts from: the clean scan, its text and its resolution."""

    image: Image.Image
    truth: str
    dpi: int


def _clean(source: _Source, rng: _RNG) -> Image.Image:
    return source.image.copy()


def _skew(sign: float) -> Callable[[_Source, _RNG], Image.Image]:
    def skew(source: _Source, rng: _RNG) -> Image.Image:
        """A sheet laid crooked on the glass; the uncovered corners show the scanner lid."""
        angle = sign * float(rng.uniform(1.0, 4.0))
        paper, _ = _paper_and_ink(_array(source.image))
        rotated = source.image.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=round(paper)
        )
        return _image(_grain(_array(rotated), rng, 1.5))

    return skew


def _turn(method: Image.Transpose) -> Callable[[_Source, _RNG], Image.Image]:
    def turn(source: _Source, rng: _RNG) -> Image.Image:
        """A sheet fed sideways or upside down: an exact quarter turn, nothing lost."""
        return source.image.transpose(method)

    return turn


def _noise(source: _Source, rng: _RNG) -> Image.Image:
    """A dirty, noisy scanner: strong grain, salt-and-pepper pixels and dust specks."""
    pixels = _grain(_array(source.image), rng, float(rng.uniform(12.0, 18.0)))
    density = float(rng.uniform(0.002, 0.004))
    hits = rng.random(pixels.shape, dtype=np.float32) < density
    salt = rng.random(pixels.shape, dtype=np.float32) < 0.5
    pixels[hits & salt] = 255.0
    pixels[hits & ~salt] = rng.uniform(0.0, 40.0)
    image = _image(pixels)
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(int(rng.integers(60, 160))):  # dust on the glass: 1-3 px dark dots
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = float(rng.uniform(0.8, 3.0))
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=int(rng.integers(20, 90))
        )
    return image


def _blur(source: _Source, rng: _RNG) -> Image.Image:
    """Out of focus (a book cradle, a warped sheet off the glass): Gaussian blur 1.0-1.5 px."""
    blurred = source.image.filter(ImageFilter.GaussianBlur(float(rng.uniform(1.0, 1.5))))
    return _image(_grain(_array(blurred), rng, 1.5))


def _faded(source: _Source, rng: _RNG) -> Image.Image:
    """Old typewriter or photocopy ink: grey 90-130 on ~225 paper, uneven stroke by stroke,
    and a smooth gradient of lightness across the page (uneven lamp, yellowed edge)."""
    pixels = _array(source.image)
    alpha = _ink_alpha(pixels)
    height, width = pixels.shape
    patches = _smooth_field(rng, (width, height), (48, 68))  # word-sized patches of weak ink
    blotches = _smooth_field(rng, (width, height), (6, 8))
    alpha *= 0.76 + 0.16 * patches + 0.08 * blotches
    speckle = _soften(rng.random((height, width), dtype=np.float32), 1.2)  # worn ribbon, toner
    speckle = (speckle - speckle.mean()) / np.float32(max(float(speckle.std()), 1e-3))
    alpha *= np.clip(1.0 + 0.22 * speckle, 0.45, 1.15)
    direction = float(rng.uniform(0.0, 2.0 * math.pi))
    xs = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    ys = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    slope = np.float32(rng.uniform(8.0, 14.0))
    gradient = (math.cos(direction) * xs + math.sin(direction) * ys) * slope
    paper = np.float32(rng.uniform(220.0, 230.0)) + gradient + 3.0 * blotches
    ink = np.float32(rng.uniform(90.0, 130.0)) + 0.6 * gradient
    faded = paper * (1.0 - alpha) + ink * alpha
    softened = _image(faded).filter(ImageFilter.GaussianBlur(0.6))
    return _image(_grain(_array(softened), rng, 2.5))


def _stain_mask(rng: _RNG, size: tuple[int, int], dpi: int) -> _Array:
    """Irregular water stains as a 0..1 mask, computed at 1/4 scale: a mottled light tint
    inside, a crisp outline and, just inside it, the darker tide line where the water dried."""
    scale = 4
    width, height = (size[0] + scale - 1) // scale, (size[1] + scale - 1) // scale
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    mottle = 0.75 + 0.25 * _smooth_field(rng, (width, height), (24, 34))
    mask = np.zeros((height, width), dtype=np.float32)
    for _ in range(int(rng.integers(2, 5))):
        cx, cy = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.05, 1.05) * height
        rx = _mm(float(rng.uniform(25.0, 55.0)), dpi) / scale
        ry = rx * float(rng.uniform(0.6, 1.3))
        turn = float(rng.uniform(0.0, math.pi))
        dx, dy = xs - np.float32(cx), ys - np.float32(cy)
        u = (dx * math.cos(turn) + dy * math.sin(turn)) / np.float32(rx)
        v = (-dx * math.sin(turn) + dy * math.cos(turn)) / np.float32(ry)
        theta = np.arctan2(v, u)
        wobble = np.ones_like(theta)
        for k in range(2, 7):  # low harmonics bend the ellipse into a puddle outline
            wobble += np.float32(rng.uniform(0.0, 0.2 / k)) * np.cos(
                k * theta + np.float32(rng.uniform(0, 2 * math.pi))
            )
        distance = np.sqrt(u * u + v * v) / wobble
        inside = np.clip((1.0 - distance) / 0.015, 0.0, 1.0)
        tide = np.exp(-(((distance - 0.975) / 0.022) ** 2)) * inside
        tint = np.float32(rng.uniform(0.12, 0.25))
        rim = np.float32(rng.uniform(0.25, 0.4))
        mask = np.maximum(mask, (tint * mottle * inside + rim * tide).astype(np.float32))
    small = Image.fromarray(_soften(mask, 0.8), mode="F")
    return _array(small.resize(size, Image.Resampling.BILINEAR))


def _stains(source: _Source, rng: _RNG) -> Image.Image:
    """Aged paper: yellowed (sepia), water-stained, with the verso faintly showing through."""
    pixels = _array(source.image)
    alpha = _ink_alpha(pixels)
    height, width = pixels.shape
    paper_colour = np.asarray(
        [rng.uniform(228, 238), rng.uniform(208, 220), rng.uniform(160, 180)], dtype=np.float32
    )
    ink_colour = np.asarray([58, 44, 34], dtype=np.float32)  # iron-gall brown-black
    shade = 1.0 + 0.03 * _smooth_field(rng, (width, height), (7, 9))
    rgb = paper_colour[None, None, :] * shade[:, :, None]
    # Show-through: the mirrored page, diffused by the paper, at ~8 % opacity.
    verso = _soften(alpha[:, ::-1], 3.0)
    through = verso[:, :, None] * np.float32(rng.uniform(0.07, 0.09))
    rgb = rgb * (1.0 - through) + ink_colour * through
    rgb = rgb * (1.0 - alpha[:, :, None]) + ink_colour * alpha[:, :, None]
    stain = _stain_mask(rng, (width, height), source.dpi)
    _multiply(rgb, stain, (172, 128, 72), (0, 0))
    return Image.fromarray(np.clip(_grain(rgb, rng, 2.0) + 0.5, 0, 255).astype(np.uint8), "RGB")


def _jpeg_heavy(source: _Source, rng: _RNG) -> Image.Image:
    """A scan saved at JPEG quality 15-25 by a space-saving scanner profile: blocks, ringing."""
    grainy = _image(_grain(_array(source.image), rng, 2.0))
    buffer = io.BytesIO()
    grainy.save(buffer, "JPEG", quality=int(rng.integers(15, 26)))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("L")


# --- seal and signature ---------------------------------------------------------------------


@dataclass(frozen=True)
class _SignerBlock:
    """Where the right footer column sits: chức vụ lines, the signing gap, the họ tên line."""

    centre_x: int
    title_bottom: int
    name_top: int


def _row_runs(rows: NDArray[np.bool_], bridge: int) -> list[tuple[int, int]]:
    """[start, end) of each run of True rows, runs less than ``bridge`` apart joined (a tone
    mark above or a dot below leaves a thin blank band inside one printed line)."""
    padded = np.concatenate(([False], rows, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] < bridge:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def _signer_block(image: Image.Image, dpi: int) -> _SignerBlock | None:
    """Find the signer block of a first page from its ink: in the right half, the last printed
    line is the họ tên, and the tall blank band above it is the gap left for chữ ký and dấu.

    The renderer does not report positions, and reading them off the pixels also keeps the
    corpus honest if the layout changes.
    """
    ink = np.asarray(image.convert("L")) < 128
    height, width = ink.shape
    right = ink[:, width // 2 : width * 9 // 10]
    runs = _row_runs(np.count_nonzero(right, axis=1) >= 2, _mm(2, dpi))
    if len(runs) < 2:
        return None
    (_, title_bottom), (name_top, name_bottom) = runs[-2], runs[-1]
    one_line = name_bottom - name_top < _mm(10, dpi)
    if name_top < height // 2 or not one_line or name_top - title_bottom < _mm(20, dpi):
        return None  # no lone name under a signing gap: a continuation page
    name_columns = np.flatnonzero(right[name_top:name_bottom].any(axis=0))
    centre_x = width // 2 + int(name_columns[0] + name_columns[-1]) // 2
    return _SignerBlock(centre_x, title_bottom, name_top)


def _sparse_source(source: _Source) -> _Source:
    """A sparse last page: only the recipients ("Nơi nhận") beside the signer block, on an
    otherwise blank sheet, the page whose orientation a guess gets wrong most easily."""
    block = _signer_block(source.image, source.dpi)
    lines = source.truth.splitlines()
    if block is None or "Nơi nhận:" not in lines:
        raise ValueError("a sparse page needs a first page with its signer block")
    ink = np.asarray(source.image.convert("L")) < 128
    runs = _row_runs(np.count_nonzero(ink, axis=1) >= 2, _mm(2, source.dpi))
    top = next(start for start, end in runs if start <= block.title_bottom < end)
    pixels = _array(source.image).copy()
    paper = pixels[: _mm(10, source.dpi)]  # the top margin: blank paper of the same scan
    cut = top - _mm(3, source.dpi)
    for row in range(0, cut, paper.shape[0]):
        rows = min(paper.shape[0], cut - row)
        pixels[row : row + rows] = paper[:rows]
    truth = "\n".join(lines[lines.index("Nơi nhận:") :])
    return _Source(_image(pixels), truth, source.dpi)


def _issuer(truth: str) -> str:
    """Cơ quan chủ quản and cơ quan ban hành: the left header lines above "Số:"."""
    lines: list[str] = []
    for line in truth.splitlines():
        if line.startswith("Số"):
            break
        lines.append(line)
    return " ".join(lines) or "SỞ NỘI VỤ"


def _seal(rng: _RNG, diameter: int, text: str) -> _Array:
    """A round official seal (con dấu) as a 0..1 mask: two rings, the agency's name around,
    a star in the middle, then stamp texture (uneven pressure, specks where ink missed)."""
    ss = 2  # supersampling for smooth edges
    size = diameter * ss
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    r = size / 2
    outer_width = max(2, round(size * 0.028))
    draw.ellipse((1, 1, size - 2, size - 2), outline=255, width=outer_width)
    inner = r * 0.66
    draw.ellipse((r - inner, r - inner, r + inner, r + inner), outline=255, width=outer_width // 2)
    star = r * 0.22
    points = [
        (
            r + (star if k % 2 == 0 else star * 0.4) * math.sin(k * math.pi / 5),
            r - (star if k % 2 == 0 else star * 0.4) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(points, fill=255)
    # Lettering around the ring, upright towards the centre, evenly spread with a gap at 6 o'clock.
    letters = f"{text} * "
    band = r - outer_width - inner
    text_radius = inner + band * 0.45
    step = 340.0 / max(len(letters), 1)
    font_size = max(8, round(min(band * 0.55, 2 * math.pi * text_radius * step / 360 * 1.05)))
    font = _font(font_size)
    for index, letter in enumerate(letters):
        if letter == " ":
            continue
        angle = -170.0 + step * (index + 0.5)  # degrees clockwise from 12 o'clock
        glyph = Image.new("L", (font_size * 2, font_size * 2), 0)
        ImageDraw.Draw(glyph).text((font_size, font_size), letter, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        gx = r + text_radius * math.sin(math.radians(angle)) - font_size
        gy = r - text_radius * math.cos(math.radians(angle)) - font_size
        canvas.paste(glyph, (round(gx), round(gy)), glyph)
    canvas = canvas.rotate(float(rng.uniform(-25.0, 25.0)), resample=Image.Resampling.BICUBIC)
    mask = _array(canvas.resize((diameter, diameter), Image.Resampling.LANCZOS)) / 255.0
    pressure = 0.82 + 0.18 * _smooth_field(rng, (diameter, diameter), (5, 5))
    misses = rng.random((diameter, diameter), dtype=np.float32) < 0.06
    texture: _Array = np.clip(mask * pressure * np.where(misses, 0.35, 1.0), 0.0, 1.0)
    return texture


def _bezier(p0: _Array, p1: _Array, p2: _Array, p3: _Array, steps: int) -> _Array:
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    curve: _Array = (
        (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
    )
    return curve


def _signature(rng: _RNG, box: tuple[int, int], pen: float) -> _Array:
    """A pen signature as a 0..1 mask of ``box`` (width, height): a chain of smooth cubic
    Bézier strokes drifting left to right with loops, then an underline flourish."""
    ss = 3
    width, height = box[0] * ss, box[1] * ss
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    segments = int(rng.integers(6, 10))
    point = np.asarray([width * 0.05, height * rng.uniform(0.3, 0.7)], dtype=np.float32)
    path: list[_Array] = []
    for index in range(segments):
        x_end = width * (0.05 + 0.8 * (index + 1) / segments)
        end = np.asarray([x_end, height * rng.uniform(0.2, 0.8)], dtype=np.float32)
        reach = width * 0.12  # controls behind the stroke make the loops of a cursive hand
        c1 = np.asarray(
            [point[0] + rng.uniform(-0.3, 1.0) * reach, height * rng.uniform(-0.1, 0.5)],
            dtype=np.float32,
        )
        c2 = np.asarray(
            [x_end - rng.uniform(-0.8, 1.0) * reach, height * rng.uniform(0.5, 1.1)],
            dtype=np.float32,
        )
        if index % 2:
            c1[1], c2[1] = height - c1[1], height - c2[1]
        path.append(_bezier(point, c1, c2, end, 60))
        point = end
    tail = np.asarray([width * rng.uniform(0.1, 0.3), height * 0.9], dtype=np.float32)
    control = np.asarray([width * 0.95, height * 1.0], dtype=np.float32)
    path.append(_bezier(point, control, control * np.float32(0.9), tail, 60))
    line = np.concatenate(path)
    draw.line(
        [(float(x), float(y)) for x, y in line], fill=255, width=round(pen * ss), joint="curve"
    )
    mask = _array(canvas.resize(box, Image.Resampling.LANCZOS)) / np.float32(255.0)
    ink: _Array = np.clip(mask * np.float32(0.92), 0.0, 1.0)  # ballpoint never fully covers
    return ink


def _seal_signature(source: _Source, rng: _RNG) -> Image.Image:
    """Signed in blue ballpoint in the signing gap, then sealed in red over the left third of
    the signature and the chức vụ lines, as NĐ 30 prescribes (and as real seals land).

    A continuation page gets a dấu giáp lai instead: part of a seal straddling the right edge.
    """
    dpi = source.dpi
    rgb = np.repeat(_array(source.image)[:, :, None], 3, axis=2)
    height, width = rgb.shape[:2]
    diameter = _mm(float(rng.uniform(34.0, 40.0)), dpi)
    seal = _seal(rng, diameter, _issuer(source.truth))
    red = (int(rng.integers(195, 220)), int(rng.integers(25, 50)), int(rng.integers(35, 60)))
    block = _signer_block(source.image, dpi)
    if block is None:
        x = width - round(diameter * float(rng.uniform(0.35, 0.5)))
        y = round(height * float(rng.uniform(0.3, 0.6)))
        _multiply(rgb, seal * np.float32(0.85), red, (x, y))
    else:
        gap = block.name_top - block.title_bottom
        box = (_mm(float(rng.uniform(38.0, 48.0)), dpi), round(gap * 0.72))
        pen = _mm(float(rng.uniform(0.25, 0.34)), dpi)  # a 3-4 px ballpoint line at 300 dpi
        scribble = _signature(rng, box, pen)
        sx = block.centre_x - box[0] // 2 + _mm(float(rng.uniform(-3.0, 6.0)), dpi)
        sy = block.title_bottom + round(gap * 0.14)
        blue = (int(rng.integers(20, 45)), int(rng.integers(35, 70)), int(rng.integers(140, 185)))
        _multiply(rgb, scribble, blue, (sx, sy))
        cx = sx + round(box[0] * float(rng.uniform(0.1, 0.25)))  # over the left third
        cy = block.title_bottom + round(gap * float(rng.uniform(0.05, 0.25)))
        opacity = np.float32(rng.uniform(0.8, 0.9))
        _multiply(rgb, seal * opacity, red, (cx - diameter // 2, cy - diameter // 2))
    return Image.fromarray(np.clip(_grain(rgb, rng, 1.5) + 0.5, 0, 255).astype(np.uint8), "RGB")


def _stamp(rng: _RNG, dpi: int) -> _Array:
    """The incoming-mail stamp (dấu đến) a văn thư presses in a margin: a box with ĐẾN,
    Số and Ngày, the number and date then written in by hand."""
    w, h = _mm(float(rng.uniform(42.0, 50.0)), dpi), _mm(float(rng.uniform(20.0, 24.0)), dpi)
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    line = max(2, _mm(0.5, dpi))
    draw.rectangle((line, line, w - line, h - line), outline=255, width=line)
    font = _font(_mm(3.2, dpi))
    draw.text((w // 2, h // 5), "ĐẾN", fill=255, font=font, anchor="mm")
    draw.text((_mm(3, dpi), h * 2 // 5), "Số: ..........", fill=255, font=font)
    draw.text((_mm(3, dpi), h * 7 // 10), "Ngày: .........", fill=255, font=font)
    mask = _array(canvas.rotate(float(rng.uniform(-6.0, 6.0)), expand=True)) / np.float32(255.0)
    stamp: _Array = np.clip(mask * np.float32(rng.uniform(0.75, 0.9)), 0.0, 1.0)
    return stamp


def _stamp_handwriting(source: _Source, rng: _RNG) -> Image.Image:
    """An incoming-mail stamp over the top right of the text, purple or red, and notes
    written across the page in blue or black ballpoint (a bút phê, a number, a tick) — the
    marks a real signed scan carries that a rendering does not. None of it is ground truth."""
    dpi = source.dpi
    rgb = np.repeat(_array(source.image)[:, :, None], 3, axis=2)
    height, width = rgb.shape[:2]
    stamp = _stamp(rng, dpi)
    ink = (
        (int(rng.integers(110, 150)), int(rng.integers(30, 60)), int(rng.integers(150, 190)))
        if rng.random() < 0.5
        else (int(rng.integers(195, 220)), int(rng.integers(25, 50)), int(rng.integers(35, 60)))
    )
    at = (width - stamp.shape[1] - _mm(float(rng.uniform(8.0, 25.0)), dpi), _mm(45, dpi))
    _multiply(rgb, stamp, ink, at)
    pen = _mm(float(rng.uniform(0.3, 0.4)), dpi)
    blue = (int(rng.integers(20, 45)), int(rng.integers(35, 70)), int(rng.integers(140, 185)))
    for _ in range(int(rng.integers(2, 4))):  # notes across the body, the number in the stamp
        box = (_mm(float(rng.uniform(40.0, 70.0)), dpi), _mm(float(rng.uniform(8.0, 14.0)), dpi))
        x = int(rng.integers(_mm(25, dpi), width - box[0] - _mm(15, dpi)))
        y = int(rng.integers(_mm(60, dpi), height - box[1] - _mm(30, dpi)))
        _multiply(rgb, _signature(rng, box, pen) * np.float32(0.8), blue, (x, y))
    number = (stamp.shape[1] // 2, stamp.shape[0] // 4)
    _multiply(rgb, _signature(rng, number, pen), blue, (at[0] + stamp.shape[1] // 3, at[1]))
    return Image.fromarray(np.clip(_grain(rgb, rng, 1.5) + 0.5, 0, 255).astype(np.uint8), "RGB")


# --- formats and resolution -----------------------------------------------------------------


def _mild_grain(std: float) -> Callable[[_Source, _RNG], Image.Image]:
    def mild(source: _Source, rng: _RNG) -> Image.Image:
        """Only a little extra sensor noise: the class is about resolution or file format."""
        return _image(_grain(_array(source.image), rng, std))

    return mild


def _jpeg_input(source: _Source, rng: _RNG) -> Image.Image:
    """A colour office scan on slightly warm paper; the JPEG encoding happens on save."""
    grey = _grain(_array(source.image), rng, 2.0)
    warmth = np.asarray([1.0, rng.uniform(0.975, 0.99), rng.uniform(0.92, 0.95)], dtype=np.float32)
    rgb = grey[:, :, None] * warmth[None, None, :]
    return Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")


_DEGRADATIONS: dict[str, Callable[[_Source, _RNG], Image.Image]] = {
    "clean": _clean,
    "skew_pos": _skew(+1.0),
    "skew_neg": _skew(-1.0),
    "rot90": _turn(Image.Transpose.ROTATE_90),
    "rot180": _turn(Image.Transpose.ROTATE_180),
    "rot270": _turn(Image.Transpose.ROTATE_270),
    "noise": _noise,
    "blur": _blur,
    "faded": _faded,
    "stains": _stains,
    "jpeg_heavy": _jpeg_heavy,
    "seal_signature": _seal_signature,
    "dpi200": _mild_grain(1.5),
    "tiff_input": _mild_grain(4.0),
    "jpeg_input": _jpeg_input,
    "sparse": _mild_grain(1.5),
    "sparse_rot180": _turn(Image.Transpose.ROTATE_180),
    "dpi200_jpeg": _jpeg_input,
    "times300": _mild_grain(2.0),
    "times200_jpeg": _jpeg_input,
    "stamp_handwriting": _stamp_handwriting,
}
_SPARSE = {"sparse", "sparse_rot180"}
assert set(_DEGRADATIONS) == set(VARIANT_CLASSES)


def _dpi_of(image: Image.Image) -> int:
    """The resolution the renderer stamped on the page: every size in mm is converted with it."""
    dpi = image.info.get("dpi")
    if not isinstance(dpi, tuple):
        raise ValueError("page image has no info['dpi']")
    return round(float(dpi[0]))


def render_variant(variant: str, seed: int, *, page_index: int = 0) -> tuple[Image.Image, str]:
    """The degraded image of page ``page_index`` of document ``seed`` and its ground truth.

    The truth is the page's printed text exactly as the renderer reports it, so it is the same
    for every class of a seed (``dpi200`` lays out the same words; line breaks may differ).
    The image carries its resolution in ``info["dpi"]``.
    """
    if variant not in _DEGRADATIONS:
        known = ", ".join(VARIANT_CLASSES)
        raise ValueError(f"unknown variant class {variant!r}; known: {known}")
    if not 0 <= page_index < _PAGES:
        raise ValueError(f"page_index must be within 0-{_PAGES - 1}, not {page_index}")
    family = "Liberation Serif" if variant in _TIMES else None
    page = _document(seed, 200 if variant in _AT_200_DPI else 300, family).pages[page_index]
    dpi = _dpi_of(page.image)
    source = _Source(page.image, page.text, dpi)
    if variant in _SPARSE:
        source = _sparse_source(source)
    image = _DEGRADATIONS[variant](source, _rng(variant, seed, page_index))
    image.info = {"dpi": (dpi, dpi)}
    return image, source.truth


def file_suffix(variant: str) -> str:
    """How a class is delivered: TIFF, JPEG at its scanner quality, else lossless PNG."""
    return _SUFFIXES.get(variant, ".png")


def save_page(image: Image.Image, path: Path, variant: str) -> int:
    """Write a rendered page as its class is delivered; return its dpi."""
    dpi = _dpi_of(image)
    _save(image, path, dpi, variant)
    return dpi


def _save(image: Image.Image, path: Path, dpi: int, variant: str) -> None:
    if path.suffix == ".tif":
        image.save(path, "TIFF", dpi=(dpi, dpi), compression="tiff_adobe_deflate")
    elif path.suffix == ".jpg":
        image.save(path, "JPEG", dpi=(dpi, dpi), quality=_JPEG_QUALITY[variant])
    else:
        image.save(path, "PNG", dpi=(dpi, dpi))


def write_corpus(
    directory: Path,
    seeds: Sequence[int],
    variants: Sequence[str] = VARIANT_CLASSES,
    *,
    pages: Sequence[int] = (0,),
) -> list[CorpusPage]:
    """Write ``<variant>-s<seed>-p<page>.<png|tif|jpg>`` with a ``.txt`` truth beside each.

    Seeds are the outer loop, so the first ``len(variants)`` pages cover every class once.
    Page 0 (the two-column first page, seal and signature) is the default: it is the hard one.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[CorpusPage] = []
    for seed in seeds:
        for variant in variants:
            for page_index in pages:
                image, truth = render_variant(variant, seed, page_index=page_index)
                dpi = _dpi_of(image)
                stem = f"{variant}-s{seed}-p{page_index}"
                path = directory / f"{stem}{file_suffix(variant)}"
                _save(image, path, dpi, variant)
                (directory / f"{stem}.txt").write_text(truth + "\n", encoding="utf-8")
                written.append(CorpusPage(variant, seed, path, truth, page_index, dpi))
    return written
