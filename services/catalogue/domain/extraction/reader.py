"""Biên mục tự động: what one page prints about its văn bản, read the way NĐ 30/2020 lays it
out (domain notes §6): issuer and governing body top left above ``Số: …/…``, the national motto
top right above ``<place>, ngày … tháng … năm …``, the type heading and trích yếu centred (or
``V/v …`` under the number of a công văn), the signer's authority, title and name bottom right.

Each field comes with a confidence and the boxes it was read from. Patterns run on the folded
text, so lost or wrong diacritics (``ngảy``, ``thang``) do not hide a date; values come from the
printed text. On a page without a layout (plain text) the regions fall back to reading order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from services.catalogue.domain.codes import DocumentType
from services.catalogue.domain.dates import InvalidDate, PartialDate
from services.catalogue.domain.extraction.casing import (
    AUTHORITIES,
    name_case,
    organ_case,
    title_case,
)
from services.catalogue.domain.extraction.layout import Box, Line, PageText, fold_aligned

FIELDS = (
    "codeNumber",
    "codeNotation",
    "issuedDate",
    "issuedPlace",
    "typeName",
    "typeLabel",
    "organName",
    "parentOrganName",
    "subject",
    "signerName",
    "signerTitle",
    "signingAuthority",
)
"""What a page may print about its văn bản, by the names TT 05 and the extension use."""

HEADER_LINES = 14  # without a layout, the header is within the first lines
_NUMBER = re.compile(
    r"^\W{0,3}s[o06]\s*[:;.]?\s*(?P<number>\d{1,6})?\s*/\s*"
    r"(?P<notation>(?:(?:18|19|20)\d{2}\s*/\s*)?[a-z][a-z0-9]*(?:\s*[-–/]\s*[a-z0-9]+){0,4})"
)
_NUMBER_DASH = re.compile(  # Party and pre-1975 forms: "Số 14514-CV/VPTW", "Số 123-BNV/NC"
    r"^\W{0,3}s[o06]\s*[:;.]?\s*(?P<number>\d{1,6})\s*[-–]\s*"
    r"(?P<notation>[a-z]{1,8}\s*/\s*[a-z0-9]+(?:\s*[-/]\s*[a-z0-9]+){0,3})"
)
_NUMBER_MISREAD = re.compile(  # the slash read as a stroke at 200 dpi: "277JTTr-SNV", "277|TTr"
    # only J and |: Vietnamese has no J, while L and I begin real ký hiệu (LĐTBXH, ...)
    r"^\W{0,3}s[o06]\s*[:;.]?\s*(?P<number>\d{1,6})[j|]"
    r"(?P<notation>[a-z][a-z0-9]*(?:\s*[-–/]\s*[a-z0-9]+){1,4})"
)
MISREAD_SLASH_DOUBT = 0.7  # a number read through a misread slash is a guess to confirm
_DATE = re.compile(  # the line under the motto: "<place>, ngày 14 tháng 12 năm 2023"
    r"^\W{0,3}(?:(?P<place>[^\W\d_][^\W\d_ -]*(?:[ -]+[^\W\d_]+){0,5})\s*,\s*)?"
    r"ng\w{1,3}\s+(?P<day>\d{1,2}|[._…]+)?\s*th\w{2,4}\s+(?P<month>\d{1,2})\s+n\w{1,3}\s+"
    r"(?P<year>\d{4})"
)
_AUTHORITY = re.compile(r"^\s*(?P<prefix>tm|kt|tl|tuq|q)\s*[.,]\s*\S")
_MOTTOS = (
    *("cong hoa xa hoi chu nghia viet nam", "viet nam dan chu cong hoa", "viet nam cong hoa"),
    "dang cong san viet nam",
)
_SLOGAN = "doc lap tu do hanh phuc"
_NORMATIVE = (
    "luat",
    "nghi dinh",
    "thong tu",
    "thong tu lien tich",
    "phap lenh",
    "nghi quyet lien tich",
)
_SUBJECT_STOPS = (
    *("can cu", "kinh gui", "thuc hien", "theo de nghi", "xet de nghi", "dieu 1", "i.", "phan"),
    *("nham", "de ", "thuc hien", "tiep theo", "ngay "),
)
_TITLE = re.compile(  # a signer's title: "PHÓ GIÁM ĐỐC", "CHỦ TỊCH", "CHÁNH VĂN PHÒNG"
    r"^(?:(?:pho|q|quyen)\s+)?(?:tong\s+)?(?:chu tich|giam doc|chanh van phong|chanh thanh tra"
    r"|chanh an|bi thu|bo truong|thu truong|cuc truong|vien truong|hieu truong|truong phong"
    r"|truong ban|truong|chanh)$"
)
_ORGAN_START = re.compile(  # a line that begins an organ's name, not a continuation of one
    r"^(?:ubnd|hdnd|uy ban|so|bo|cuc|chi cuc|tong cuc|trung tam|van phong|phong|ban|hoi dong"
    r"|chinh phu|quoc hoi|tinh uy|huyen uy|thanh uy|dang uy|vien|truong|cong ty|toa an)\b"
)
_RESTORED = {"QD": "QĐ", "CD": "CĐ", "ND": "NĐ", "HDND": "HĐND", "QYD": "QyĐ"}
"""Ký hiệu segments OCR read without the stroke of Đ where only one reading exists."""
_NAME = re.compile(r"^[^\W\d_][^\d;:,()/]{2,60}$")
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Suggestion:
    """A value read from a page, how sure the reading is (0–1) and where it was read."""

    value: str
    confidence: float
    page: int
    boxes: tuple[Box, ...] = ()
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "confidence": self.confidence,
            "page": self.page,
            "boxes": [b.as_list() for b in self.boxes],
            "note": self.note,
        }


@dataclass(frozen=True)
class PageReading:
    """What one page prints: each field, or nothing; and whether a văn bản starts here."""

    sequence: int
    starts_document: bool
    fields: dict[str, Suggestion] = field(default_factory=dict)


def _words(folded: str) -> str:
    return " ".join(_WORDS.findall(folded))


def _ocr_factor(lines: Sequence[Line]) -> float:
    confidences = [line.confidence for line in lines if line.confidence is not None]
    if not confidences:
        return 0.9  # plain text: how well OCR read it is unknown
    return 0.6 + 0.4 * min(confidences) / 100


def _suggest(
    value: str | None, base: float, page: PageText, lines: Sequence[Line], note: str | None = None
) -> Suggestion | None:
    if not value:
        return None
    boxes = tuple(line.box for line in lines if line.box is not None)
    return Suggestion(value, round(base * _ocr_factor(lines), 2), page.sequence, boxes, note)


def _like(text: str, phrase: str) -> bool:
    """Whether a folded line reads ``phrase``, allowing OCR's small mistakes."""
    words = _words(text)
    if phrase in words:
        return True
    size = len(phrase)
    return any(
        SequenceMatcher(None, words[start : start + size], phrase).ratio() >= 0.8
        for start in range(0, max(1, len(words) - size + 1), 2)
    )


def _restored(notation: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: _RESTORED.get(m.group(0).upper(), m.group(0)), notation)


def _is_motto(line: Line) -> bool:
    folded = line.folded.replace("-", " ")
    return any(_like(folded, motto) for motto in _MOTTOS) or _like(folded, _SLOGAN)


class _Page:
    """One page being read: its header region, and what has been found so far."""

    def __init__(self, page: PageText) -> None:
        self.page = page
        self.header = (
            page.region(bottom=0.45) if page.has_layout else list(page.lines[:HEADER_LINES])
        )
        self.fields: dict[str, Suggestion] = {}

    def put(self, name: str, suggestion: Suggestion | None) -> None:
        if suggestion is not None:
            self.fields[name] = suggestion

    # --- số, ký hiệu ----------------------------------------------------------------------

    def number(self) -> Line | None:
        for line in self.header:
            folded = line.folded
            match = _NUMBER.match(folded) or _NUMBER_DASH.match(folded)
            misread = _NUMBER_MISREAD.match(folded) if match is None else None
            match = match or misread
            if match is None:
                continue
            number = (
                line.text[match.start("number") : match.end("number")] if match["number"] else None
            )
            notation = _restored(
                re.sub(r"\s+", "", line.text[match.start("notation") : match.end("notation")])
            )
            base = (0.97 if self.page.has_layout else 0.93) * (
                MISREAD_SLASH_DOUBT if misread else 1.0
            )
            note = "dấu / đọc thành chữ: cần xác nhận" if misread else None
            self.put("codeNumber", _suggest(number, base, self.page, [line], note))
            self.put("codeNotation", _suggest(notation, base, self.page, [line], note))
            return line
        return None

    # --- địa danh, ngày tháng ----------------------------------------------------------------

    def date(self) -> Line | None:
        for line in self.header:
            match = _DATE.search(line.folded)
            if match is None or _NUMBER.match(line.folded):
                continue
            day = match["day"] if match["day"] and match["day"].isdigit() else None
            try:
                issued = PartialDate(
                    int(match["year"]), int(match["month"]), int(day) if day else None
                )
            except InvalidDate:
                continue
            base = 0.96 if day else 0.6
            self.put("issuedDate", _suggest(issued.tt05(), base, self.page, [line]))
            if match["place"]:
                place = line.text[match.start("place") : match.end("place")].strip(" ,.")
                self.put("issuedPlace", _suggest(place, 0.9, self.page, [line]))
            return line
        return None

    # --- cơ quan ban hành ---------------------------------------------------------------------

    def issuer(self, number: Line | None) -> None:
        """The lines above the number, on the left: the issuer, and above it its governing
        body when there are two."""
        if self.page.has_layout:
            above = [
                line
                for line in self.page.region(bottom=0.3, side="left")
                if number is None or (line.box and number.box and line.box.y1 <= number.box.y0 + 2)
            ]
        else:
            index = self.page.lines.index(number) if number is not None else 0
            above = list(self.page.lines[:index])
        lines = [line for line in above if line.is_upper and not _is_motto(line)][-4:]
        if not lines:
            return
        bodies: list[list[Line]] = []
        for line in lines:
            if bodies and not _ORGAN_START.match(_words(line.folded.replace("-", " "))):
                bodies[-1].append(line)  # "TỈNH TRÀ VINH", "VÀ TRUYỀN THÔNG", "NHÀ NƯỚC"
            else:
                bodies.append([line])
        organ = bodies[-1]
        self.put(
            "organName",
            _suggest(organ_case(" ".join(ln.text for ln in organ)), 0.85, self.page, organ),
        )
        if len(bodies) > 1:
            parent = [line for body in bodies[:-1] for line in body]
            text = " ".join(ln.text for ln in parent)
            self.put("parentOrganName", _suggest(organ_case(text), 0.8, self.page, parent))

    # --- tên loại, trích yếu ----------------------------------------------------------------

    def heading(self) -> tuple[Line | None, str | None]:
        """The type heading (``KẾ HOẠCH``) and its folded name."""
        candidates = (
            self.page.region(bottom=0.6)
            if self.page.has_layout
            else list(self.page.lines[: HEADER_LINES + 6])
        )
        names = {_words(fold_aligned(t.label)): t.label for t in DocumentType}
        for line in candidates:
            words = _words(line.folded)
            if not line.is_upper or line.text.rstrip().endswith(":"):
                continue
            if words in names or words in _NORMATIVE:
                return line, words
        return None, None

    def type_name(self, heading: str | None, heading_line: Line | None) -> None:
        notation = self.fields.get("codeNotation")
        by_heading = next(
            (t for t in DocumentType if heading and _words(fold_aligned(t.label)) == heading), None
        )
        if heading in _NORMATIVE:
            by_heading = DocumentType.OTHER
        by_notation: DocumentType | None = None
        if notation is not None:
            first = re.split(r"[-/]", re.sub(r"^(?:18|19|20)\d{2}/", "", notation.value))[0]
            by_notation = DocumentType.from_abbreviation(first)
        lines = [heading_line] if heading_line else []
        if by_heading is not None and by_notation is not None and by_heading is not by_notation:
            note = (
                f"tiêu đề '{by_heading.label}' khác ký hiệu '{notation.value if notation else ''}'"
            )
            chosen, base = by_heading, 0.45
        elif by_heading is not None:
            chosen, base, note = by_heading, 0.97 if by_notation else 0.88, None
            if heading in _NORMATIVE:
                note = f"văn bản quy phạm pháp luật: {heading_line.text if heading_line else ''}"
        elif by_notation is not None:
            chosen, base, note = by_notation, 0.85, None
            lines = [
                ln for ln in self.header if notation and notation.boxes and ln.box in notation.boxes
            ]
        elif notation is not None:
            chosen, base, note = DocumentType.OFFICIAL_LETTER, 0.75, "không có tên loại: công văn"
        else:
            return
        self.put("typeName", _suggest(chosen.code, base, self.page, lines, note))
        self.put("typeLabel", _suggest(chosen.label, base, self.page, lines, note))

    def subject(self, heading_line: Line | None, number: Line | None) -> None:
        if heading_line is not None:
            following = self._after(heading_line)
            taken: list[Line] = []
            for line in following[:5]:
                words = _words(line.folded)
                if not words or words.startswith(_SUBJECT_STOPS) or line.is_upper:
                    break  # the body, or the authority that issues it ("GIÁM ĐỐC SỞ …")
                if taken and not line.text[:1].islower() and not line.text[:1].isdigit():
                    break  # a trích yếu runs on in lower case; a capital starts the body
                if line.text.rstrip().endswith(":"):
                    break  # "… trân trọng giới thiệu:": the body
                taken.append(line)
                if line.text.rstrip().endswith((".", ";")):
                    break
            text = " ".join(ln.text for ln in taken).strip()
            self.put("subject", _suggest(text, 0.85, self.page, taken))
            return
        for index, line in enumerate(self.header):  # công văn: "V/v …" under the number
            words = _words(line.folded)
            if not (
                words.startswith("v v ")
                or line.folded.lstrip().startswith(("v/v", "v.v", "ve viec"))
            ):
                continue
            taken = [line]
            for more in self.header[index + 1 : index + 4]:
                if _is_motto(more) or _words(more.folded).startswith(("kinh gui", "can cu")):
                    break
                if _DATE.search(more.folded) or more.is_upper:
                    break
                if self.page.has_layout and line.box and more.box and more.box.x0 > line.box.x1:
                    continue  # the right column beside it
                taken.append(more)
            self.put("subject", _suggest(" ".join(ln.text for ln in taken), 0.85, self.page, taken))
            return

    def _after(self, line: Line) -> list[Line]:
        lines = list(self.page.lines)
        index = lines.index(line)
        return lines[index + 1 :]

    # --- người ký ---------------------------------------------------------------------------

    def signer(self, after: Line | None) -> None:
        """The signer block: bottom right, or (plain text) after the recipients' list, or at
        least after the header."""
        lines = list(self.page.lines)
        if self.page.has_layout:
            block = self.page.region(top=0.35, side="right")
        else:
            received = [i for i, ln in enumerate(lines) if _words(ln.folded).startswith("noi nhan")]
            start = received[-1] + 1 if received else (lines.index(after) + 1 if after else 0)
            block = lines[max(start, len(lines) - 12) :]
        authority_at = next(
            (i for i, ln in enumerate(block) if _AUTHORITY.match(ln.folded) and ln.is_upper), None
        )
        titles_at = authority_at
        if titles_at is None:
            titles_at = next(
                (
                    i
                    for i, ln in enumerate(block)
                    if ln.is_upper and _TITLE.match(_words(ln.folded))
                ),
                None,
            )
        if titles_at is None:
            return
        titles: list[Line] = []
        for line in block[titles_at:]:
            if line.is_upper and not line.text.startswith("-"):
                titles.append(line)
                if len(titles) == 3:
                    break
            elif titles:
                break
        if authority_at is not None and titles:
            authority = titles.pop(0)
            if titles and _AUTHORITY.match(
                titles[0].folded
            ):  # "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH"
                authority = titles.pop(0)
            self.put(
                "signingAuthority",
                _suggest(title_case(authority.text), 0.85, self.page, [authority]),
            )
        if titles:
            title = titles[-1]
            self.put("signerTitle", _suggest(title_case(title.text), 0.8, self.page, [title]))
        below = block[titles_at + 1 :]
        names = [
            ln
            for ln in below
            if _NAME.match(ln.text)
            and not ln.text.startswith(("-", "Nơi", "Lưu"))
            and 2 <= len(ln.text.split()) <= 6
            and all(w[:1].isupper() for w in ln.text.split())
            and not _AUTHORITY.match(ln.folded)
            and not ln.is_upper
        ]
        if names:
            name = names[-1]
            self.put("signerName", _suggest(name_case(name.text), 0.75, self.page, [name]))


def read_page(page: PageText) -> PageReading:
    """The fields one page prints, and whether it begins a văn bản."""
    reading = _Page(page)
    number = reading.number()
    date = reading.date()
    reading.issuer(number)
    heading_line, heading = reading.heading()
    reading.type_name(heading, heading_line)
    reading.subject(heading_line, number)
    reading.signer(heading_line or date or number)
    motto = any(_is_motto(line) for line in reading.header)
    starts = motto or number is not None or (heading_line is not None and date is not None)
    return PageReading(page.sequence, starts or page.sequence == 1, reading.fields)


__all__ = ["AUTHORITIES", "FIELDS", "PageReading", "Suggestion", "read_page"]
