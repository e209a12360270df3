"""A page as the extractor reads it: lines of text, each with its box on the page when the
hOCR gives one, in reading order. Built from hOCR words (grouped into rows by their vertical
overlap and split at column gaps, so the issuer and the national motto of an NĐ 30 header are
two lines even where tesseract read them as one), or from plain text (no boxes).

``folded`` is the line's text folded letter by letter (diacritics dropped, đ→d, lower case),
the same length as the text, so a pattern found in the folded text marks the same span in
the printed one. OCR loses and confuses diacritics (``ngảy`` for ``ngày``); patterns match
the folded text and values are taken from the printed text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

import defusedxml.ElementTree as safe_xml

from shared.text import nfc

_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
_CONFIDENCE = re.compile(r"x_wconf (\d+)")


def fold_aligned(text: str) -> str:
    """Each letter without its marks, đ→d, lower case: one character for each character."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        out.append("d" if base in "đĐ" else base.lower() if len(base.lower()) == 1 else base)
    return "".join(out)


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def centre_x(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float | None


@dataclass(frozen=True)
class Line:
    """A printed line, or the part of one on one side of a column gap."""

    text: str
    box: Box | None = None
    confidence: float | None = None  # mean word confidence, 0–100

    @property
    def folded(self) -> str:
        return fold_aligned(self.text)

    @property
    def is_upper(self) -> bool:
        """Printed in capitals (headings, issuer, titles): most of its letters are."""
        letters = [c for c in self.text if c.isalpha()]
        return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


@dataclass(frozen=True)
class PageText:
    """One page of a hồ sơ: its sequence, its lines in reading order, its size if known."""

    sequence: int
    lines: tuple[Line, ...]
    width: int | None = None
    height: int | None = None

    @property
    def has_layout(self) -> bool:
        return self.width is not None and self.height is not None and bool(self.width)

    @classmethod
    def from_text(cls, sequence: int, text: str) -> PageText:
        lines = tuple(Line(" ".join(t.split())) for t in nfc(text).splitlines() if t.strip())
        return cls(sequence, lines)

    @classmethod
    def from_hocr(cls, sequence: int, hocr: str) -> PageText:
        """Lines from the words of an hOCR page, top to bottom, left to right."""
        width, height, words = hocr_words(hocr)
        return cls(sequence, tuple(_lines(words, width or 0)), width, height)

    def region(
        self, *, top: float = 0.0, bottom: float = 1.0, side: str | None = None
    ) -> list[Line]:
        """Lines whose top lies within ``top..bottom`` of the page height and, with ``side``
        ``left`` or ``right``, whose centre is on that half. Without a layout every line
        qualifies, in reading order."""
        if self.width is None or self.height is None:
            return list(self.lines)
        chosen = []
        for line in self.lines:
            if line.box is None:
                continue
            if not top * self.height <= line.box.y0 <= bottom * self.height:
                continue
            if side == "left" and line.box.centre_x > self.width / 2:
                continue
            if side == "right" and line.box.centre_x <= self.width / 2:
                continue
            chosen.append(line)
        return chosen


def hocr_words(hocr: str) -> tuple[int | None, int | None, list[Word]]:
    """The page size and every recognised word of an hOCR page, with its box and confidence,
    in the order the hOCR gives them (also what the page viewer highlights)."""
    root = safe_xml.fromstring(hocr.encode())
    width = height = None
    words: list[Word] = []
    for element in root.iter():
        classes = element.get("class", "")
        title = element.get("title", "")
        if classes == "ocr_page" and (page := _BBOX.search(title)):
            width, height = int(page.group(3)), int(page.group(4))
        if classes != "ocrx_word":
            continue
        text = nfc("".join(element.itertext()).strip())
        box = _BBOX.search(title)
        if not text or box is None:
            continue
        confidence = _CONFIDENCE.search(title)
        words.append(
            Word(
                text,
                Box(*(int(v) for v in box.groups())),
                float(confidence.group(1)) if confidence else None,
            )
        )
    return width, height, words


def _lines(words: list[Word], page_width: int) -> list[Line]:
    """Group words into rows by vertical overlap, then split each row at wide gaps."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.box.y0 + w.box.y1) / 2):
        centre = (word.box.y0 + word.box.y1) / 2
        for row in reversed(rows[-3:]):  # a word joins a recent row whose band holds its centre
            top = median(w.box.y0 for w in row)
            bottom = median(w.box.y1 for w in row)
            if top <= centre <= bottom:
                row.append(word)
                break
        else:
            rows.append([word])
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda w: w.box.x0)
        lines.extend(_split(row, page_width))
    return lines


def _split(row: list[Word], page_width: int) -> list[Line]:
    height = median(w.box.height for w in row)
    wide = max(2.5 * height, page_width / 30)
    pieces: list[list[Word]] = [[row[0]]]
    for before, after in pairwise(row):
        if after.box.x0 - before.box.x1 > wide:
            pieces.append([after])
        else:
            pieces[-1].append(after)
    lines = []
    for piece in pieces:
        box = piece[0].box
        for word in piece[1:]:
            box = box.union(word.box)
        confidences = [w.confidence for w in piece if w.confidence is not None]
        lines.append(
            Line(
                " ".join(w.text for w in piece),
                box,
                sum(confidences) / len(confidences) if confidences else None,
            )
        )
    return lines
