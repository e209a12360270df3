"""OCR rules and results. No I/O here."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import pairwise

from shared.errors import PermanentError

_WORD_CONFIDENCE = re.compile(r"x_wconf (\d+)")


class UnreadableImage(PermanentError):
    code = "ocr.unreadable-image"
    title = "Không đọc được ảnh trang"
    http_status = 422


class PageTimeout(PermanentError):
    """A page that outlives its time budget would block the partition: it goes to the DLQ."""

    code = "ocr.page-timeout"
    title = "Nhận dạng trang quá thời gian cho phép"
    http_status = 422


class FixityMismatch(PermanentError):
    """The original read back is not the one ingest stored: never read a changed page; the
    catalogue shows the failure on the page and the fixity audit names the object."""

    code = "ocr.fixity-mismatch"
    title = "Ảnh gốc không khớp mã băm SHA-256 đã ghi"
    http_status = 409


@dataclass(frozen=True)
class PageReading:
    """What recognition of one page produced (kết quả nhận dạng)."""

    text: str
    hocr: str
    confidence: float | None
    engine: str


def mean_word_confidence(hocr: str) -> float | None:
    """Mean of tesseract's per-word confidences (0–100) in an hOCR page; None without words."""
    values = [int(v) for v in _WORD_CONFIDENCE.findall(hocr)]
    return round(sum(values) / len(values), 2) if values else None


def derivative_key(file_code: str, page_id: str, name: str) -> str:
    """``<file_code>/<page_id>/<name>`` in the derivatives area."""
    return f"{file_code}/{page_id}/{name}"


# --- reading order -----------------------------------------------------------------------

_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")


@dataclass(frozen=True)
class Word:
    text: str
    x0: int
    y0: int
    x1: int
    y1: int
    confidence: float | None


@dataclass(frozen=True)
class Segment:
    """Words of one printed line that belong together (a line split at a wide gap)."""

    words: tuple[Word, ...]

    @property
    def x0(self) -> int:
        return self.words[0].x0

    @property
    def x1(self) -> int:
        return self.words[-1].x1

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def hocr_lines(hocr: str) -> list[list[Word]]:
    """Words per line, in tesseract's order, from an hOCR page."""
    root = ET.fromstring(hocr.encode())  # noqa: S314  # tesseract's own output, text escaped
    lines: list[list[Word]] = []
    for element in root.iter():
        classes = element.get("class", "")
        if classes not in ("ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat"):
            continue
        words: list[Word] = []
        for word in element.iter():
            if word.get("class") != "ocrx_word":
                continue
            text = "".join(word.itertext()).strip()
            box = _BBOX.search(word.get("title", ""))
            if not text or box is None:
                continue
            conf = _WORD_CONFIDENCE.search(word.get("title", ""))
            x0, y0, x1, y1 = (int(v) for v in box.groups())
            words.append(Word(text, x0, y0, x1, y1, float(conf.group(1)) if conf else None))
        if words:
            lines.append(words)
    return lines


def split_at_gaps(words: list[Word], page_width: int) -> list[Segment]:
    """Split a line where the gap between words is far wider than a word space."""
    if len(words) < 2:
        return [Segment(tuple(words))]
    heights = sorted(w.y1 - w.y0 for w in words)
    gaps = sorted(b.x0 - a.x1 for a, b in pairwise(words))
    # A column gap dwarfs both the line's word spaces and its letter height; justified
    # body lines stretch their spaces evenly, so their own median keeps them whole.
    typical_space = gaps[len(gaps) // 2] if len(gaps) >= 3 else 0  # too few gaps to tell
    wide = max(1.5 * heights[len(heights) // 2], 4 * typical_space, page_width / 40)
    segments: list[Segment] = []
    start = 0
    for index in range(1, len(words)):
        if words[index].x0 - words[index - 1].x1 > wide:
            segments.append(Segment(tuple(words[start:index])))
            start = index
    segments.append(Segment(tuple(words[start:])))
    return segments


def ordered_blocks(lines: list[list[Word]]) -> list[list[Segment]]:
    """Blocks of segments in reading order; two-column blocks column by column, left first.

    Administrative pages (NĐ 30/2020) set the issuer beside the national motto and the
    recipients beside the signer; tesseract may join such a row into one line. A block runs
    from one row split at a wide gap to the last such row, taking the narrow rows between
    them; the gaps give the column boundary.
    """
    if not lines:
        return []
    left_edge = min(w.x0 for line in lines for w in line)
    right_edge = max(w.x1 for line in lines for w in line)
    width = max(1, right_edge - left_edge)
    rows = [split_at_gaps(line, width) for line in lines]

    def narrow(row: list[Segment]) -> bool:
        return len(row) == 1 and row[0].x1 - row[0].x0 < 0.55 * width

    out: list[list[Segment]] = []
    plain: list[Segment] = []  # consecutive one-column rows form one block
    index = 0
    while index < len(rows):
        if len(rows[index]) < 2:
            plain.append(rows[index][0])
            index += 1
            continue
        if plain:
            out.append(plain)
            plain = []
        end = index  # last split row reachable through narrow rows
        probe = index + 1
        while probe < len(rows) and (len(rows[probe]) >= 2 or narrow(rows[probe])):
            if len(rows[probe]) >= 2:
                end = probe
            probe += 1
        # The right column starts where its leftmost split piece does (the motto line, the
        # signer's title); left pieces such as long recipients' lines may reach close to it.
        boundary = min(r[1].x0 for r in rows[index : end + 1] if len(r) >= 2)
        # Narrow rows after the last split row still belong to the block (the recipients
        # below "Nơi nhận:", the signer's name), unless one crosses the boundary or a left
        # row would jump ahead of a right row already taken.
        seen_right = False
        while end + 1 < len(rows) and narrow(rows[end + 1]):
            row = rows[end + 1][0]
            if row.x0 < boundary < row.x1 or (row.x1 <= boundary and seen_right):
                break
            seen_right = seen_right or row.x0 >= boundary
            end += 1
        segments = [s for row in rows[index : end + 1] for s in row]
        out.append([s for s in segments if s.x0 < boundary])
        out.append([s for s in segments if s.x0 >= boundary])
        index = end + 1
    if plain:
        out.append(plain)
    return out


def blocks_text(blocks: list[list[Segment]]) -> str:
    """The page text of ordered blocks: one printed line (or column piece) a line."""
    return "\n".join(s.text for block in blocks for s in block)


def reading_order(lines: list[list[Word]]) -> str:
    """The page text in reading order."""
    return blocks_text(ordered_blocks(lines))


# --- the same order in hOCR and ALTO ---------------------------------------------------

XHTML = "http://www.w3.org/1999/xhtml"
ALTO = "http://www.loc.gov/standards/alto/ns-v3#"
_Box = tuple[int, int, int, int, str]


def _key(word: Word) -> _Box:
    return (word.x0, word.y0, word.x1, word.y1, word.text)


def _union(words: tuple[Word, ...]) -> tuple[int, int, int, int]:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def _serialise(original: str, root: ET.Element) -> str:
    """The document again, with its XML declaration and doctype (ElementTree drops them)."""
    start = original.find("<" + root.tag.split("}")[-1])
    return original[: max(start, 0)] + ET.tostring(root, encoding="unicode")


def reorder_hocr(hocr: str, blocks: list[list[Segment]]) -> str:
    """hOCR whose areas, paragraphs and lines follow the reading order of the page text: one
    ocr_carea per block, one ocr_line per segment (a joined header row becomes two lines)."""
    if not blocks:
        return hocr
    ET.register_namespace("", XHTML)
    root = ET.fromstring(hocr.encode())  # noqa: S314  # tesseract's own output, text escaped
    page = next((e for e in root.iter() if e.get("class") == "ocr_page"), None)
    if page is None:
        return hocr
    words: dict[_Box, tuple[ET.Element, str]] = {}
    for line in page.iter():
        if line.get("class") not in ("ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat"):
            continue
        for word in line.iter():
            box = _BBOX.search(word.get("title", ""))
            text = "".join(word.itertext()).strip()
            if word.get("class") == "ocrx_word" and box and text:
                x0, y0, x1, y1 = (int(v) for v in box.groups())
                words[(x0, y0, x1, y1, text)] = (word, line.get("title", ""))
    for child in list(page):
        page.remove(child)
    page.text = "\n"
    for number, block in enumerate(blocks, start=1):
        all_words = tuple(w for segment in block for w in segment.words)
        bbox = "bbox {} {} {} {}".format(*_union(all_words))
        area = ET.SubElement(
            page, f"{{{XHTML}}}div", {"class": "ocr_carea", "id": f"block_{number}", "title": bbox}
        )
        par = ET.SubElement(
            area, f"{{{XHTML}}}p", {"class": "ocr_par", "id": f"par_{number}", "title": bbox}
        )
        for index, segment in enumerate(block, start=1):
            found = [words[_key(w)] for w in segment.words if _key(w) in words]
            if not found:
                continue
            title = _BBOX.sub("bbox {} {} {} {}".format(*_union(segment.words)), found[0][1], 1)
            span = ET.SubElement(
                par,
                f"{{{XHTML}}}span",
                {"class": "ocr_line", "id": f"line_{number}_{index}", "title": title},
            )
            for element, _ in found:
                element.tail = " "
                span.append(element)
    return _serialise(hocr, root)


def reorder_alto(alto: str, blocks: list[list[Segment]]) -> str:
    """ALTO whose TextBlocks and TextLines follow the same reading order as the text and hOCR."""
    if not blocks:
        return alto
    ET.register_namespace("", ALTO)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    root = ET.fromstring(alto.encode())  # noqa: S314  # tesseract's own output
    space = root.find(f".//{{{ALTO}}}PrintSpace")
    if space is None:
        return alto
    strings: dict[_Box, ET.Element] = {}
    for string in space.iter(f"{{{ALTO}}}String"):
        x0, y0 = int(string.get("HPOS", 0)), int(string.get("VPOS", 0))
        x1, y1 = x0 + int(string.get("WIDTH", 0)), y0 + int(string.get("HEIGHT", 0))
        strings[(x0, y0, x1, y1, string.get("CONTENT", "").strip())] = string
    for child in list(space):
        space.remove(child)

    def place(element: ET.Element, box: tuple[int, int, int, int]) -> None:
        element.set("HPOS", str(box[0]))
        element.set("VPOS", str(box[1]))
        element.set("WIDTH", str(box[2] - box[0]))
        element.set("HEIGHT", str(box[3] - box[1]))

    for number, block in enumerate(blocks):
        all_words = tuple(w for segment in block for w in segment.words)
        text_block = ET.SubElement(space, f"{{{ALTO}}}TextBlock", {"ID": f"block_{number}"})
        place(text_block, _union(all_words))
        for index, segment in enumerate(block):
            found = [(w, strings[_key(w)]) for w in segment.words if _key(w) in strings]
            if not found:
                continue
            line = ET.SubElement(
                text_block, f"{{{ALTO}}}TextLine", {"ID": f"line_{number}_{index}"}
            )
            place(line, _union(segment.words))
            for position, (word, string) in enumerate(found):
                if position:
                    previous = found[position - 1][0]
                    ET.SubElement(
                        line,
                        f"{{{ALTO}}}SP",
                        {
                            "WIDTH": str(max(0, word.x0 - previous.x1)),
                            "VPOS": str(word.y0),
                            "HPOS": str(previous.x1),
                        },
                    )
                line.append(string)
    return _serialise(alto, root)


# --- coordinates of a copy read reduced ---------------------------------------------------

_TITLE = re.compile(r"""title=(['"])(.*?)\1""")
_PAGE_BOX = re.compile(r"ocr_page['\"][^>]*?bbox 0 0 (\d+) (\d+)")
_TAG = re.compile(
    r"<(Page|PrintSpace|ComposedBlock|TextBlock|TextLine|String|SP|Illustration|GraphicalElement)\b[^>]*>"
)
_POSITION = re.compile(r'\b(HPOS|VPOS|WIDTH|HEIGHT)="([\d.]+)"')
_LENGTHS = ("x_size", "x_descenders", "x_ascenders")  # font metrics in (vertical) pixels


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


def _scaled_title(title: str, fx: float, fy: float, dpi: int) -> str:
    parts = []
    for part in (p.strip() for p in title.split(";")):
        if not part:
            continue
        name, *values = part.split()
        if name == "bbox" and len(values) == 4:
            x0, y0, x1, y1 = (int(v) for v in values)
            part = f"bbox {round(x0 * fx)} {round(y0 * fy)} {round(x1 * fx)} {round(y1 * fy)}"
        elif name == "baseline" and len(values) == 2:
            slope, offset = float(values[0]), float(values[1])
            part = f"baseline {_number(slope * fy / fx)} {_number(offset * fy)}"
        elif name in _LENGTHS and len(values) == 1:
            part = f"{name} {_number(float(values[0]) * fy)}"
        elif name == "scan_res":
            part = f"scan_res {dpi} {dpi}"
        parts.append(part)
    return "; ".join(parts)


def rescaled_hocr(hocr: str, size: tuple[int, int], dpi: int) -> str:
    """hOCR of a copy read reduced (large letters read faster at the size recognition reads
    best), in the pixels of the page people see: ``size`` (width, height) at ``dpi``.
    Corners are scaled, not widths, so the ALTO of the same reading keeps the same boxes."""
    read = _PAGE_BOX.search(hocr)
    if read is None:
        return hocr
    fx, fy = size[0] / int(read.group(1)), size[1] / int(read.group(2))

    def scaled(match: re.Match[str]) -> str:
        quote = match.group(1)
        return f"title={quote}{_scaled_title(match.group(2), fx, fy, dpi)}{quote}"

    return _TITLE.sub(scaled, hocr)


def rescaled_alto(alto: str, size: tuple[int, int]) -> str:
    """ALTO (pixel units) of a copy read reduced, in the pixels of the page people see; every
    box scaled by its corners exactly as :func:`rescaled_hocr` scales the hOCR's."""
    page = re.search(r'<Page\b[^>]*\bWIDTH="(\d+)"[^>]*\bHEIGHT="(\d+)"', alto)
    if page is None:
        return alto
    fx, fy = size[0] / int(page.group(1)), size[1] / int(page.group(2))

    def scaled_tag(match: re.Match[str]) -> str:
        tag = match.group(0)
        found = {name: float(value) for name, value in _POSITION.findall(tag)}
        x0, y0 = found.get("HPOS", 0.0), found.get("VPOS", 0.0)
        new = {
            "HPOS": round(x0 * fx),
            "VPOS": round(y0 * fy),
            "WIDTH": round((x0 + found.get("WIDTH", 0.0)) * fx) - round(x0 * fx),
            "HEIGHT": round((y0 + found.get("HEIGHT", 0.0)) * fy) - round(y0 * fy),
        }
        return _POSITION.sub(lambda m: f'{m.group(1)}="{new[m.group(1)]}"', tag)

    return _TAG.sub(scaled_tag, alto)


# --- page quality --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageQuality:
    """Measured facts of a scan and the reasons an archivist should re-scan it (quét lại)."""

    effective_dpi: float
    rotation: int
    rotation_confidence: float
    skew: float
    residual_skew: float
    blur: float
    noise: float
    contrast: float
    mean_level: float
    ink_coverage: float
    colour: bool
    flags: tuple[str, ...] = ()
    # How the orientation was settled: "ink", "osd", "undecided" (guesses) or "recognition"
    # (the page was read both ways and the reading tesseract was surer of was kept).
    rotation_decided_by: str = "ink"
    rotation_kept_confidence: float | None = None
    rotation_other_confidence: float | None = None

    @property
    def rescan(self) -> bool:
        return bool(set(self.flags) & RESCAN_FLAGS)


RESCAN_FLAGS = frozenset({"low-resolution", "blurred", "too-dark", "too-light", "low-contrast"})
MIN_DPI = 200  # TT 05/2025: ≥ 200 dpi for administrative documents


def quality_flags(quality: PageQuality, confidence: float | None) -> tuple[str, ...]:
    """Project defaults for kiểm tra (QC); the law only asks for legible, faithful, ≥ 200 dpi."""
    checks = {
        "low-resolution": quality.effective_dpi < MIN_DPI * 0.95,
        "blurred": quality.blur < 100,
        "too-dark": quality.mean_level < 90,
        "too-light": quality.mean_level > 250 and quality.ink_coverage < 0.002,
        "low-contrast": quality.contrast < 60,
        "blank-page": quality.ink_coverage < 0.005,
        "residual-skew": abs(quality.residual_skew) > 0.5,
        "not-colour": not quality.colour,
        "low-confidence": confidence is not None and confidence < 70,
    }
    return tuple(name for name, failed in checks.items() if failed)
