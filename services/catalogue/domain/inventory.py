"""A mục lục hồ sơ (file inventory) as archives keep it, read into validated hồ sơ entries.

Inventories were typed over decades by different hands: Vietnamese column headers in any
order and spelling (``Số tờ``, ``THBQ``, ``Hồ sơ số``), title lines above the header, a
header on two rows, a row of column numbers, group headings (``I. VĂN BẢN CHỈ ĐẠO``),
subtotal rows, dates typed as text, TCVN3 or VNI text. Each hồ sơ row becomes either an
:class:`InventoryEntry` or the list of its problems, each naming its cell, so the archive can
correct the sheet. Pure: the rows come from an adapter (``adapters/sheets.py``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from services.catalogue.domain.codes import (
    AccessMode,
    CodeList,
    Language,
    Maintenance,
    PhysicalFormat,
)
from services.catalogue.domain.dates import InvalidDate, PartialDate
from services.catalogue.domain.tables import CellValue
from shared.errors import InvalidFileCode, PermanentError
from shared.legacy_text import repair_legacy
from shared.text import FILE_CODE_MAX_LENGTH, fold, nfc, validate_file_code

HEADER_SEARCH_ROWS = 50  # a header further down is not a mục lục we can read
TITLE_MAX_LENGTH = 1000  # TT 05/2025 §4.1 lengths
KEYWORD_MAX_LENGTH = 100
INFOR_SIGN_MAX_LENGTH = 30
PAPER_FILE_CODE_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
COUNT_MAX = 9_999_999_999  # Number(10)
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's serial dates (1900 system)
_EXCEL_LAST_SERIAL = 2_958_465  # 31/12/9999


@dataclass(frozen=True)
class SheetRow:
    """One row of a spreadsheet, merged ranges already filled with their top-left value."""

    number: int  # 1-based row number as the spreadsheet shows it
    cells: tuple[CellValue, ...]


@dataclass(frozen=True)
class InventoryEntry:
    """One hồ sơ of the mục lục, parsed and valid: what registering it needs at this step."""

    row: int
    fonds_code: str | None  # column, else preamble, else the caller's default
    file_code: str | None  # only when the sheet has a "Mã hồ sơ" column (validated, NFC)
    agency_code: str | None
    year: int | None  # năm hình thành hồ sơ: "Năm" column, else start_date.year
    file_number: str | None  # "Hồ sơ số", kept as printed (may contain dots: "01.TCCB")
    title: str
    maintenance: Maintenance | None
    mode: AccessMode | None
    languages: tuple[Language, ...]
    start_date: PartialDate | None
    end_date: PartialDate | None
    keyword: str | None
    total_doc: int | None
    number_of_paper: int | None
    number_of_page: int | None
    format: PhysicalFormat | None
    infor_sign: str | None
    paper_file_code: str | None
    description: str | None
    group: str | None
    inventory_number: str | None
    box: str | None


@dataclass(frozen=True)
class RowRefusal:
    """One problem of a refused row, naming the cell to correct."""

    row: int
    column: str  # the header text as printed in the sheet ("" when about the whole row)
    cell: str  # "E7" (spreadsheet reference; "" when about the whole row)
    code: str  # stable English, e.g. "import.missing-value"
    detail: str  # Vietnamese, for people


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not a hồ sơ, and why."""

    row: int
    why: str  # "blank" | "subtotal" | "group-heading" | "column-numbers" | "preamble"


@dataclass(frozen=True)
class InventoryReading:
    """What a mục lục holds: the valid entries, every problem of the other hồ sơ rows, and
    the rows that are not hồ sơ."""

    rows: int  # hồ sơ rows considered = accepted + refused (distinct rows)
    entries: tuple[InventoryEntry, ...]
    refused: tuple[RowRefusal, ...]  # every problem of every refused row, each naming its cell
    skipped: tuple[SkippedRow, ...]
    columns: dict[str, str]  # field name → header text found
    header_row: int


class InventoryUnreadable(PermanentError):
    """No header row of a mục lục hồ sơ was found: the sheet is not an inventory we know."""

    code = "catalogue.inventory-unreadable"
    title = "Không đọc được mục lục hồ sơ"
    http_status = 422


# --- columns ---------------------------------------------------------------------------------

IGNORED = "ignored"  # STT: a running number, not data
PERIOD = "period"  # one column holding both dates: "01/2001 - 12/2001", "2001-2005", "2001"
_HEADERS: dict[str, tuple[str, ...]] = {
    IGNORED: ("STT", "Số thứ tự", "TT", "Số TT"),
    "fonds_code": ("Mã phông", "Mã phông lưu trữ", "Phông số", "Số phông"),
    "file_code": ("Mã hồ sơ", "Mã định danh hồ sơ"),
    "agency_code": ("Mã cơ quan", "Mã định danh cơ quan"),
    "year": ("Năm", "Năm hình thành", "Năm hình thành hồ sơ", "Năm hồ sơ"),
    "file_number": (
        *("Hồ sơ số", "Số hồ sơ", "Số và ký hiệu hồ sơ", "Số, ký hiệu hồ sơ"),
        *("Số ký hiệu hồ sơ", "Số HS", "HS số"),
    ),
    "title": ("Tiêu đề hồ sơ", "Tiêu đề", "Tên hồ sơ"),
    "maintenance": ("Thời hạn bảo quản", "Thời hạn lưu trữ", "THBQ", "THLT", "Thời hạn"),
    "mode": ("Chế độ sử dụng", "Mức độ tiếp cận"),
    "languages": ("Ngôn ngữ",),
    "start_date": (
        *("Thời gian bắt đầu", "Ngày bắt đầu", "Bắt đầu", "Từ ngày", "Thời gian từ"),
        "Từ",
    ),
    "end_date": (
        *("Thời gian kết thúc", "Ngày kết thúc", "Kết thúc", "Đến ngày", "Thời gian đến"),
        "Đến",
    ),
    PERIOD: (
        *("Thời gian", "Thời gian tài liệu", "Thời gian bắt đầu - kết thúc"),
        *("Thời gian bắt đầu và kết thúc", "Ngày tháng", "Ngày tháng năm"),
    ),
    "total_doc": (
        *("Tổng số tài liệu", "Tổng số tài liệu trong hồ sơ", "Số lượng văn bản"),
        "Tổng số văn bản",
        *("Số văn bản", "Số lượng tài liệu", "Số tài liệu"),
    ),
    "number_of_paper": ("Số tờ", "Số lượng tờ"),
    "number_of_page": ("Số trang", "Số lượng trang"),
    "keyword": ("Từ khóa",),
    "format": ("Tình trạng vật lý", "Tình trạng"),
    "infor_sign": ("Ký hiệu thông tin",),
    "paper_file_code": ("Mã hồ sơ gốc giấy",),
    "description": ("Ghi chú",),
    "inventory_number": ("Mục lục số", "Số mục lục"),
    "group": ("Nhóm", "Khối", "Nhóm tài liệu", "Khối tài liệu"),
    "box": ("Hộp số", "Cặp số", "Hộp", "Cặp", "Hộp/Cặp số", "Số hộp", "Số cặp"),
}
_NON_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_TRAILING_COLUMN_NUMBER = re.compile(r" \d{1,2}$")  # "Số tờ (6)"


def _header_key(text: str) -> str:
    """A header as compared: folded, punctuation dropped, a trailing column number dropped."""
    key = " ".join(_NON_ALPHANUMERIC.sub(" ", fold(text)).split())
    return _TRAILING_COLUMN_NUMBER.sub("", key)


_FIELD_BY_HEADER = {
    _header_key(name): name_field for name_field, names in _HEADERS.items() for name in names
}
_HEADER_MIN_FIELDS = 3  # with the title among them


@dataclass(frozen=True)
class _Column:
    index: int  # 0-based
    field: str
    header: str  # as printed

    def cell(self, row: int) -> str:
        return f"{_column_letter(self.index)}{row}"


def _column_letter(index: int) -> str:
    number, letters = index + 1, ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _header_columns(cells: Sequence[CellValue]) -> dict[str, _Column] | None:
    """The columns of a header row, or None when the row is not one."""
    columns: dict[str, _Column] = {}
    for index, value in enumerate(cells):
        if isinstance(value, str) and (name := _FIELD_BY_HEADER.get(_header_key(value))):
            columns.setdefault(name, _Column(index, name, value))
    recognised = set(columns) - {IGNORED}
    if len(recognised) < _HEADER_MIN_FIELDS or "title" not in recognised:
        return None
    return columns


def _with_sub_header(
    header: Sequence[CellValue], below: Sequence[CellValue]
) -> dict[str, _Column] | None:
    """The columns of a two-row header, when ``below`` is its second row: labels under a
    parent cell merged across them (``Thời gian`` over ``Bắt đầu`` | ``Kết thúc``), every
    other cell empty or repeating the cell above (a range merged down)."""
    columns: dict[str, _Column] = {}
    labelled = False
    parent: str | None = None
    for index in range(max(len(header), len(below))):
        above = header[index] if index < len(header) else None
        label = below[index] if index < len(below) else None
        if label is None or label == above:
            parent = None
            if isinstance(above, str) and (name := _FIELD_BY_HEADER.get(_header_key(above))):
                columns.setdefault(name, _Column(index, name, above))
            continue
        if not isinstance(label, str) or _COLUMN_NUMBER.fullmatch(label):
            return None  # a value, or the row of column numbers
        if isinstance(above, str):
            parent = above
        name = _FIELD_BY_HEADER.get(_header_key(f"{parent} {label}")) if parent else None
        name = name or _FIELD_BY_HEADER.get(_header_key(label))
        if name is None:
            return None
        labelled = True
        columns.setdefault(name, _Column(index, name, f"{parent} / {label}" if parent else label))
    if not labelled:
        return None
    if "start_date" in columns or "end_date" in columns:
        columns.pop(PERIOD, None)  # the parent "Thời gian" was only the label over them
    return columns


# --- rows that are not hồ sơ -------------------------------------------------------------------

_COLUMN_NUMBER = re.compile(r"\(?\s*(\d{1,3})\s*\)?\.?")
_SUBTOTAL = re.compile(
    r"(?:tổng cộng|tổng số|tổng|cộng)(?:\s*:.*|\s+(?:hộp|cặp|nhóm|khối|mục lục|phần|năm)\b.*)?"
)
_SUBTOTAL_WITHOUT_MARKS = re.compile(r"(?:tong cong|tong so|cong)\s*:?")
_FONDS_IN_PREAMBLE = re.compile(
    r"\b(?:m[ãa]\s*ph[ôo]ng(?:\s+l[ưu]u\s+tr[ữu])?|ph[ôo]ng\s+s[ốo])\s*[:.]?\s*(\w[\w.\-]*)",
    re.IGNORECASE,
)
_INVENTORY_IN_PREAMBLE = re.compile(
    r"\bm[ụu]c\s*l[ụu]c\s+s[ốo]\s*[:.]?\s*(\w[\w.\-]*)", re.IGNORECASE
)


def _is_column_numbers(cells: Sequence[CellValue]) -> bool:
    numbers: list[int] = []
    for value in cells:
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            numbers.append(value)
        elif isinstance(value, str) and (match := _COLUMN_NUMBER.fullmatch(value)):
            numbers.append(int(match[1]))
        else:
            return False
    return len(numbers) >= 2 and all(a <= b for a, b in itertools.pairwise(numbers))


def _is_subtotal(cells: Sequence[CellValue]) -> bool:
    label = next((value for value in cells if isinstance(value, str)), None)
    if label is None:
        return False
    return bool(
        _SUBTOTAL.fullmatch(label.lower()) or _SUBTOTAL_WITHOUT_MARKS.fullmatch(label.lower())
    )


def _group_heading(cells: Sequence[CellValue]) -> str | None:
    """The text of a group heading row (``I. VĂN BẢN CHỈ ĐẠO``): one text alone on the row,
    in one cell or merged across several. A hồ sơ always has more than its title."""
    values = {value for value in cells if value is not None}
    if len(values) != 1:
        return None
    text = values.pop()
    if not isinstance(text, str) or _COLUMN_NUMBER.fullmatch(text):
        return None
    return text


# --- values -----------------------------------------------------------------------------------


class _Invalid(ValueError):
    """A cell whose value is not acceptable: the refusal code and the Vietnamese detail."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _clean(value: CellValue) -> CellValue:
    """Text repaired from TCVN3/VNI, NFC, whitespace collapsed; empty text is no value."""
    if isinstance(value, str):
        text = " ".join(repair_legacy(value).split())
        return nfc(text) or None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _as_text(value: CellValue) -> str:
    if isinstance(value, datetime):
        return PartialDate.of(value.date()).tt05() if _in_date_range(value) else str(value)
    if isinstance(value, date):
        return PartialDate.of(value).tt05() if _in_date_range(value) else str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _in_date_range(value: date) -> bool:
    try:
        PartialDate.of(value)
    except InvalidDate:
        return False
    return True


def _date(value: CellValue) -> PartialDate:
    """A date cell: a real date, an Excel serial number, a bare year, or text."""
    try:
        if isinstance(value, datetime):
            return PartialDate.of(value.date())
        if isinstance(value, date):
            return PartialDate.of(value)
        if isinstance(value, bool):
            raise InvalidDate(f"{value!r} không phải ngày tháng")
        if isinstance(value, int | float):
            return _serial_or_year(value)
        return PartialDate.parse(_as_text(value))
    except InvalidDate as exc:
        raise _Invalid("import.invalid-date", str(exc)) from exc


def _serial_or_year(number: float) -> PartialDate:
    if not math.isfinite(number) or number < 1 or number > _EXCEL_LAST_SERIAL:
        raise InvalidDate(f"{number:g} không phải ngày tháng")
    if isinstance(number, int) and 1000 <= number <= 2999:
        return PartialDate(number)
    return PartialDate.of(_EXCEL_EPOCH + timedelta(days=int(number)))


_RANGE_SEPARATOR = re.compile(r"\s*(?:[-–—]|\bđến\b|\bden\b|\btới\b)\s*", re.IGNORECASE)
_RANGE_PREFIX = re.compile(r"^(?:từ|tu)\s+(?:năm\s+|nam\s+|ngày\s+|ngay\s+)?", re.IGNORECASE)


def _period(value: CellValue) -> tuple[PartialDate, PartialDate]:
    """The dates of a single "Thời gian" cell: one date or year for both, or a range."""
    if not isinstance(value, str):
        single = _date(value)
        return single, single
    text = _RANGE_PREFIX.sub("", value)
    try:
        single = PartialDate.parse(text)
    except InvalidDate:
        pass
    else:
        return single, single
    for separator in _RANGE_SEPARATOR.finditer(text):
        left, right = text[: separator.start()], text[separator.end() :]
        try:
            return PartialDate.parse(left), PartialDate.parse(right)
        except InvalidDate:
            continue
    raise _Invalid(
        "import.invalid-date",
        f"{value!r} không phải thời gian (một ngày, một năm, hoặc khoảng như 01/2001 - 12/2001)",
    )


_COUNT = re.compile(r"(\d{1,10})(?:\s*(?:to|trang|tai lieu|van ban|tl|vb))?")


def _count(value: CellValue) -> int:
    """Số tờ / số trang / tổng số: a whole number, "12 tờ" accepted."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (match := _COUNT.fullmatch(fold(value))):
        number = int(match[1])
    if number is None or not 0 <= number <= COUNT_MAX:
        raise _Invalid(
            "import.invalid-number", f"{_as_text(value)!r} không phải số nguyên không âm"
        )
    return number


_MAINTENANCE_YEARS = {
    70: Maintenance.YEARS_70,
    50: Maintenance.YEARS_50,
    30: Maintenance.YEARS_30,
    20: Maintenance.YEARS_20,
    10: Maintenance.YEARS_10,
}
_PERMANENT_ABBREVIATIONS = frozenset(("vv", "v.v", "v/v", "v v"))
_LEGACY_MAINTENANCE = frozenset(("lau dai", "tam thoi"))  # categories before TT 09/2011
_YEARS = re.compile(r"(\d{1,3})\s*nam")
_CODE = re.compile(r"0?[1-9]")


def _maintenance(value: CellValue) -> tuple[Maintenance, bool]:
    """Thời hạn bảo quản as typed, and whether the wording must be kept in ``description``
    (a period the TT 05 list does not have: ``Lâu dài``, ``15 năm``, filed as ``07`` Khác)."""
    typed = " ".join(fold(_as_text(value)).split())
    if typed in _PERMANENT_ABBREVIATIONS:
        return Maintenance.PERMANENT, False
    if typed in _LEGACY_MAINTENANCE:
        return Maintenance.OTHER, True
    if (years := _YEARS.fullmatch(typed)) is not None:
        listed = _MAINTENANCE_YEARS.get(int(years[1]))
        return (listed, False) if listed else (Maintenance.OTHER, True)
    if typed.isascii() and typed.isdigit():
        if int(typed) in _MAINTENANCE_YEARS and len(typed) == 2:
            return _MAINTENANCE_YEARS[int(typed)], False
        if not _CODE.fullmatch(typed):
            raise _not_in_list(value, Maintenance)
    return _parse_code(Maintenance, value), False


_CodeListT = TypeVar("_CodeListT", bound=CodeList)


def _parse_code(code_list: type[_CodeListT], value: CellValue) -> _CodeListT:
    try:
        return code_list.parse(_as_text(value))
    except ValueError as exc:
        raise _not_in_list(value, code_list) from exc


def _not_in_list(value: CellValue, code_list: type[CodeList]) -> _Invalid:
    listed = ", ".join(f"{member.value} {member.label}" for member in code_list)
    return _Invalid(
        "import.invalid-code", f"{_as_text(value)!r} không có trong danh mục TT 05: {listed}"
    )


_MODE_ALIASES = {
    "han che": AccessMode.CONDITIONAL,
    "su dung han che": AccessMode.CONDITIONAL,
    "co dieu kien": AccessMode.CONDITIONAL,
}


def _mode(value: CellValue) -> AccessMode:
    alias = _MODE_ALIASES.get(" ".join(fold(_as_text(value)).split()))
    return alias or _parse_code(AccessMode, value)


_LANGUAGE_SEPARATOR = re.compile(r"\s*(?:[,;/+]|\bva\b)\s*")
_DASH = re.compile(r"\s*[-–]\s*")


def _language_name(text: str) -> str:
    """A language as compared: folded, without the word "tiếng", one way of writing dashes."""
    folded = " ".join(fold(text).replace("tieng ", " ").split())
    return _DASH.sub(" - ", folded)


_LANGUAGE_BY_NAME = {_language_name(member.label): member for member in Language}


def _languages(value: CellValue) -> tuple[Language, ...]:
    """Ngôn ngữ: codes or names, several separated by , ; / + or "và"."""
    text = _as_text(value)
    if (whole := _language(text)) is not None:
        return (whole,)
    found: list[Language] = []
    for part in _LANGUAGE_SEPARATOR.split(fold(text)):
        if not part:
            continue
        language = _language(part)
        if language is None:
            raise _not_in_list(value, Language)
        if language not in found:
            found.append(language)
    if not found:
        raise _not_in_list(value, Language)
    return tuple(found)


def _language(text: str) -> Language | None:
    try:
        return Language.parse(text)
    except ValueError:
        return _LANGUAGE_BY_NAME.get(_language_name(text))


def _bounded(limit: int, label: str) -> Callable[[CellValue], str]:
    def parse(value: CellValue) -> str:
        text = _as_text(value)
        if len(text) > limit:
            raise _Invalid("import.too-long", f"{label} dài {len(text)} ký tự, tối đa {limit}")
        return text

    return parse


# --- reading ----------------------------------------------------------------------------------

_T = TypeVar("_T")


def _file_code(value: CellValue) -> str:
    try:
        return validate_file_code(_as_text(value))
    except InvalidFileCode as exc:
        raise _Invalid("import.invalid-file-code", str(exc)) from exc


def _year(value: CellValue) -> int:
    text = _as_text(value)
    try:
        if not (text.isascii() and text.isdigit()):
            raise InvalidDate(f"{text!r} không phải năm")
        return PartialDate(int(text)).year
    except InvalidDate as exc:
        raise _Invalid("import.invalid-date", str(exc)) from exc


@dataclass
class _Preamble:
    """What the title lines above the header say: "Phông: … Mã phông: 64", "Mục lục số: 01"."""

    fonds_code: str | None = None
    inventory_number: str | None = None

    def read(self, cells: Sequence[CellValue]) -> None:
        text = " ".join(_as_text(value) for value in cells if value is not None)
        if self.fonds_code is None and (match := _FONDS_IN_PREAMBLE.search(text)):
            self.fonds_code = match[1].rstrip(".-")
        if self.inventory_number is None and (match := _INVENTORY_IN_PREAMBLE.search(text)):
            self.inventory_number = match[1].rstrip(".-")


@dataclass
class _RowParse:
    """The cells of one hồ sơ row, read column by column, and the problems found."""

    row: int
    cells: Sequence[CellValue]
    columns: dict[str, _Column]
    problems: list[tuple[int, RowRefusal]] = field(default_factory=list)

    def value(self, name: str) -> CellValue:
        column = self.columns.get(name)
        if column is None or column.index >= len(self.cells):
            return None
        return self.cells[column.index]

    def parsed(self, name: str, parse: Callable[[CellValue], _T]) -> _T | None:
        """The parsed value of a column; None when empty, or invalid (a problem then)."""
        value = self.value(name)
        if value is None:
            return None
        try:
            return parse(value)
        except _Invalid as exc:
            self.refuse(name, exc.code, exc.detail)
            return None

    def refuse(self, name: str, code: str, detail: str) -> None:
        column = self.columns.get(name)
        if column is None:
            self.problems.append((-1, RowRefusal(self.row, "", "", code, detail)))
        else:
            refusal = RowRefusal(self.row, column.header, column.cell(self.row), code, detail)
            self.problems.append((column.index, refusal))

    def missing(self, name: str, what: str) -> None:
        absent = "" if name in self.columns else " (mục lục không có cột này)"
        self.refuse(name, "import.missing-value", f"thiếu {what}{absent}")

    def refusals(self) -> list[RowRefusal]:
        return [refusal for _, refusal in sorted(self.problems, key=lambda item: item[0])]


@dataclass
class _RowReader:
    """Reads the hồ sơ rows under one header, remembering what later rows depend on: the
    group heading above them and the first row of each hồ sơ (duplicates)."""

    columns: dict[str, _Column]
    preamble: _Preamble
    default_fonds: str | None
    group: str | None = None
    first_row_of: dict[tuple[str, ...], int] = field(default_factory=dict)

    def read(self, row: int, cells: Sequence[CellValue]) -> InventoryEntry | list[RowRefusal]:
        parse = _RowParse(row, cells, self.columns)
        fonds_code = parse.parsed("fonds_code", _as_text) or self.preamble.fonds_code
        fonds_code = fonds_code or self.default_fonds
        if fonds_code is None:
            parse.missing("fonds_code", "mã phông")
        file_code = parse.parsed("file_code", _file_code)
        file_number = parse.parsed("file_number", _as_text)
        if parse.value("file_number") is None and parse.value("file_code") is None:
            number_column = "file_number" if "file_number" in self.columns else "file_code"
            parse.missing(number_column, "hồ sơ số")
        title = parse.parsed("title", _bounded(TITLE_MAX_LENGTH, "tiêu đề hồ sơ"))
        if parse.value("title") is None:
            parse.missing("title", "tiêu đề hồ sơ")
        year = parse.parsed("year", _year)
        start_date, end_date = self._dates(parse, year)
        if year is None and start_date is not None and parse.value("year") is None:
            year = start_date.year
        maintenance, description = self._maintenance(parse)
        agency_code = parse.parsed("agency_code", _as_text)
        if file_number is not None:
            self._check_code_length(parse, agency_code, year, file_number)
        inventory_number = parse.parsed("inventory_number", _as_text)
        inventory_number = inventory_number or self.preamble.inventory_number
        self._check_duplicate(parse, fonds_code, inventory_number, file_number, file_code)
        entry = InventoryEntry(
            row=row,
            fonds_code=fonds_code,
            file_code=file_code,
            agency_code=agency_code,
            year=year,
            file_number=file_number,
            title=title or "",
            maintenance=maintenance,
            mode=parse.parsed("mode", _mode),
            languages=parse.parsed("languages", _languages) or (),
            start_date=start_date,
            end_date=end_date,
            keyword=parse.parsed("keyword", _bounded(KEYWORD_MAX_LENGTH, "từ khóa")),
            total_doc=parse.parsed("total_doc", _count),
            number_of_paper=parse.parsed("number_of_paper", _count),
            number_of_page=parse.parsed("number_of_page", _count),
            format=parse.parsed("format", _physical_format),
            infor_sign=parse.parsed(
                "infor_sign", _bounded(INFOR_SIGN_MAX_LENGTH, "ký hiệu thông tin")
            ),
            paper_file_code=parse.parsed(
                "paper_file_code", _bounded(PAPER_FILE_CODE_MAX_LENGTH, "mã hồ sơ gốc giấy")
            ),
            description=description,
            group=parse.parsed("group", _as_text) or self.group,
            inventory_number=inventory_number,
            box=parse.parsed("box", _as_text),
        )
        return parse.refusals() if parse.problems else entry

    def _dates(
        self, parse: _RowParse, year: int | None
    ) -> tuple[PartialDate | None, PartialDate | None]:
        """Thời gian bắt đầu and kết thúc: their own columns, else one "Thời gian" column;
        a mục lục with no date column at all gives the year for both."""
        if not {"start_date", "end_date", PERIOD} & self.columns.keys():
            if year is None:
                parse.missing("start_date", "thời gian bắt đầu và kết thúc")
                return None, None
            return PartialDate(year), PartialDate(year)
        start, end = parse.parsed("start_date", _date), parse.parsed("end_date", _date)
        has_start = parse.value("start_date") is not None
        has_end = parse.value("end_date") is not None
        if not (has_start and has_end) and parse.value(PERIOD) is not None:
            period = parse.parsed(PERIOD, _period)
            if period is not None:
                start = start if has_start else period[0]
                end = end if has_end else period[1]
            has_start = has_end = True
        start_column = "start_date" if "start_date" in self.columns else PERIOD
        end_column = "end_date" if "end_date" in self.columns else PERIOD
        if not has_start and not has_end and start_column == end_column:
            parse.missing(start_column, "thời gian bắt đầu và kết thúc")
        else:
            if not has_start:
                parse.missing(start_column, "thời gian bắt đầu")
            if not has_end:
                parse.missing(end_column, "thời gian kết thúc")
        if start is not None and end is not None and end.latest() < start.earliest():
            parse.refuse(
                end_column,
                "import.date-order",
                f"thời gian kết thúc {end.tt05()} trước thời gian bắt đầu {start.tt05()}",
            )
        return start, end

    def _maintenance(self, parse: _RowParse) -> tuple[Maintenance | None, str | None]:
        """Thời hạn bảo quản, and the Ghi chú, to which a period outside the TT 05 list
        (``Lâu dài``) adds its original wording."""
        description = parse.parsed("description", _as_text)
        kept = parse.parsed("maintenance", _maintenance)
        if kept is None:
            if parse.value("maintenance") is None:
                parse.missing("maintenance", "thời hạn bảo quản")
            maintenance = None
        else:
            maintenance, keep_wording = kept
            if keep_wording:
                header = self.columns["maintenance"].header
                wording = f"{header} theo mục lục: {_as_text(parse.value('maintenance'))}"
                description = f"{description}; {wording}" if description else wording
        if description is not None and len(description) > DESCRIPTION_MAX_LENGTH:
            parse.refuse(
                "description",
                "import.too-long",
                f"ghi chú dài {len(description)} ký tự, tối đa {DESCRIPTION_MAX_LENGTH}",
            )
        return maintenance, description

    @staticmethod
    def _check_code_length(
        parse: _RowParse, agency_code: str | None, year: int | None, file_number: str
    ) -> None:
        """The mã hồ sơ is composed as agency + "." + year + "." + hồ sơ số (TT 05 §4.4)."""
        prefix = (len(agency_code) + 1 if agency_code else 0) + (len(str(year)) + 1 if year else 0)
        if prefix + len(file_number) > FILE_CODE_MAX_LENGTH:
            parse.refuse(
                "file_number",
                "import.too-long",
                f"hồ sơ số dài {len(file_number)} ký tự: mã hồ sơ ghép từ mã cơ quan, năm và"
                f" hồ sơ số sẽ quá {FILE_CODE_MAX_LENGTH} ký tự",
            )

    def _check_duplicate(
        self,
        parse: _RowParse,
        fonds_code: str | None,
        inventory_number: str | None,
        file_number: str | None,
        file_code: str | None,
    ) -> None:
        """A hồ sơ appears once: the same Mã hồ sơ, or the same phông + mục lục + hồ sơ số,
        again refuses the later row, naming the first."""
        keys: list[tuple[str, tuple[str, ...], str]] = []
        if file_code is not None:
            keys.append(("file_code", ("code", file_code), f"mã hồ sơ {file_code}"))
        if fonds_code is not None and file_number is not None:
            key: tuple[str, ...] = ("number", fonds_code, inventory_number or "", file_number)
            keys.append(("file_number", key, f"hồ sơ số {file_number} của phông {fonds_code}"))
        for column, key, what in keys:
            first = self.first_row_of.setdefault(key, parse.row)
            if first != parse.row:
                parse.refuse(column, "import.duplicate-row", f"trùng {what} ở dòng {first}")


def _physical_format(value: CellValue) -> PhysicalFormat:
    return _parse_code(PhysicalFormat, value)


def read_inventory(
    rows: Iterable[SheetRow], *, default_fonds: str | None = None
) -> InventoryReading:
    """Read a mục lục hồ sơ: find its header (within the first rows, under any title lines),
    then every row under it is a hồ sơ, refused with its problems, or skipped with a reason.

    Raises :class:`InventoryUnreadable` when no header is found.
    """
    remaining = iter(rows)
    preamble = _Preamble()
    skipped: list[SkippedRow] = []
    for searched, row in enumerate(remaining, 1):
        cells = tuple(_clean(value) for value in row.cells)
        if (columns := _header_columns(cells)) is not None:
            header_row, header_cells = row.number, cells
            break
        preamble.read(cells)
        skipped.append(SkippedRow(row.number, "preamble"))
        if searched >= HEADER_SEARCH_ROWS:
            break
    else:
        columns = None
    if columns is None:
        raise InventoryUnreadable(
            "không tìm thấy dòng tên cột của mục lục hồ sơ (có Tiêu đề hồ sơ và ít nhất hai"
            f" cột khác như Hồ sơ số, Thời gian, Thời hạn bảo quản) trong {HEADER_SEARCH_ROWS}"
            " dòng đầu"
        )

    reader = _RowReader(columns, preamble, default_fonds)
    entries: list[InventoryEntry] = []
    refused: list[RowRefusal] = []
    under_header, expect_column_numbers = True, True
    for row in remaining:
        cells = tuple(_clean(value) for value in row.cells)
        if under_header:
            under_header = False
            if (two_rows := _with_sub_header(header_cells, cells)) is not None:
                reader.columns = two_rows
                continue
        if _is_blank(cells, reader.columns):
            skipped.append(SkippedRow(row.number, "blank"))
            continue
        if expect_column_numbers:
            expect_column_numbers = False
            if _is_column_numbers(cells):
                skipped.append(SkippedRow(row.number, "column-numbers"))
                continue
        if _is_subtotal(cells):
            skipped.append(SkippedRow(row.number, "subtotal"))
        elif (heading := _group_heading(cells)) is not None:
            reader.group = heading
            skipped.append(SkippedRow(row.number, "group-heading"))
        elif isinstance(read := reader.read(row.number, cells), InventoryEntry):
            entries.append(read)
        else:
            refused.extend(read)
    return InventoryReading(
        rows=len(entries) + len({refusal.row for refusal in refused}),
        entries=tuple(entries),
        refused=tuple(refused),
        skipped=tuple(skipped),
        columns={name: column.header for name, column in reader.columns.items() if name != IGNORED},
        header_row=header_row,
    )


def _is_blank(cells: Sequence[CellValue], columns: dict[str, _Column]) -> bool:
    """Nothing in the row, or nothing but the running number (STT) of an unused row."""
    running = columns.get(IGNORED)
    return all(
        value is None
        or (
            running is not None
            and index == running.index
            and (isinstance(value, int) or _COLUMN_NUMBER.fullmatch(str(value)))
        )
        for index, value in enumerate(cells)
    )
