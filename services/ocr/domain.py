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
XSI = "http://www.w3.org/2001/XMLSchema-instance"
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


def alto_of(blocks: list[list[Segment]], size: tuple[int, int], software: str) -> str:
    """ALTO (v3, pixels) of a reading, built from its words in the reading order of the text
    and hOCR: a TextBlock per block, a TextLine per segment, a String per word (``WC`` its
    confidence) with an SP between words. Built here rather than asked of tesseract, whose
    ALTO renderer costs a twentieth of a page's recognition and would be reordered anyway."""
    ET.register_namespace("", ALTO)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(
        f"{{{ALTO}}}alto",
        {f"{{{XSI}}}schemaLocation": f"{ALTO} http://www.loc.gov/alto/v3/alto-3-0.xsd"},
    )
    description = ET.SubElement(root, f"{{{ALTO}}}Description")
    ET.SubElement(description, f"{{{ALTO}}}MeasurementUnit").text = "pixel"
    processing = ET.SubElement(description, f"{{{ALTO}}}OCRProcessing", {"ID": "OCR_0"})
    step = ET.SubElement(processing, f"{{{ALTO}}}ocrProcessingStep")
    program = ET.SubElement(step, f"{{{ALTO}}}processingSoftware")
    ET.SubElement(program, f"{{{ALTO}}}softwareName").text = software
    layout = ET.SubElement(root, f"{{{ALTO}}}Layout")
    width, height = (str(v) for v in size)
    page = ET.SubElement(
        layout,
        f"{{{ALTO}}}Page",
        {"WIDTH": width, "HEIGHT": height, "PHYSICAL_IMG_NR": "0", "ID": "page_0"},
    )
    space = ET.SubElement(
        page, f"{{{ALTO}}}PrintSpace", {"HPOS": "0", "VPOS": "0", "WIDTH": width, "HEIGHT": height}
    )

    def placed(
        parent: ET.Element, tag: str, box: tuple[int, int, int, int], **extra: str
    ) -> ET.Element:
        x0, y0, x1, y1 = box
        sizes = {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}
        return ET.SubElement(parent, f"{{{ALTO}}}{tag}", {**extra, **sizes})

    strings = 0
    for number, block in enumerate(blocks):
        all_words = tuple(w for segment in block for w in segment.words)
        text_block = placed(space, "TextBlock", _union(all_words), ID=f"block_{number}")
        for index, segment in enumerate(block):
            line = placed(
                text_block, "TextLine", _union(segment.words), ID=f"line_{number}_{index}"
            )
            for position, word in enumerate(segment.words):
                if position:
                    gap = segment.words[position - 1]
                    ET.SubElement(
                        line,
                        f"{{{ALTO}}}SP",
                        {
                            "WIDTH": str(max(0, word.x0 - gap.x1)),
                            "VPOS": str(word.y0),
                            "HPOS": str(gap.x1),
                        },
                    )
                confidence = (
                    {} if word.confidence is None else {"WC": f"{word.confidence / 100:.2f}"}
                )
                box = (word.x0, word.y0, word.x1, word.y1)
                placed(line, "String", box, ID=f"string_{strings}", **confidence, CONTENT=word.text)
                strings += 1
    ET.indent(root, space="\t")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- coordinates of a copy read reduced ---------------------------------------------------

_TITLE = re.compile(r"""title=(['"])(.*?)\1""")
_PAGE_BOX = re.compile(r"ocr_page['\"][^>]*?bbox 0 0 (\d+) (\d+)")
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
            part = f"baseline {_number(slope * fy / fx)} {round(offset * fy)}"  # whole px
        elif name in _LENGTHS and len(values) == 1:
            part = f"{name} {_number(float(values[0]) * fy)}"
        elif name == "scan_res":
            part = f"scan_res {dpi} {dpi}"
        parts.append(part)
    return "; ".join(parts)


def rescaled_hocr(hocr: str, size: tuple[int, int], dpi: int) -> str:
    """hOCR of a copy read reduced (large letters read faster at the size recognition reads
    best), in the pixels of the page people see: ``size`` (width, height) at ``dpi``.
    The text and ALTO are then built from it, so every derivative names the same boxes."""
    read = _PAGE_BOX.search(hocr)
    if read is None:
        return hocr
    fx, fy = size[0] / int(read.group(1)), size[1] / int(read.group(2))

    def scaled(match: re.Match[str]) -> str:
        quote = match.group(1)
        return f"title={quote}{_scaled_title(match.group(2), fx, fy, dpi)}{quote}"

    return _TITLE.sub(scaled, hocr)


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
