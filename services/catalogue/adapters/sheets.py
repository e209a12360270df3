"""Spreadsheets in and out of the catalogue: the mục lục hồ sơ an archive uploads (.xlsx or
.csv), read as rows in flat memory, and the lists and reports it downloads, written as .xlsx
(by :mod:`shared.xlsx`).

The kind of file is told by its content, never by its name: archives rename files freely.
"""

from __future__ import annotations

import csv
import itertools
import posixpath
import re
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from services.catalogue.domain.inventory import SheetRow
from services.catalogue.domain.tables import CellValue, TableSheet
from shared.errors import PermanentError
from shared.legacy_text import decode_stream
from shared.xlsx import write_xlsx

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")  # stream of a password-protected .xlsx
_ROOT_TAG = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?worksheet)\b[^>]*>")
_ROOT_TAG_MAX = 1 << 20
_MERGES_OPEN = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?)mergeCells\b")
_SCAN_CHUNK = 1 << 16
_SCAN_OVERLAP = 64  # longer than any "<prefix:mergeCells" cut by a chunk boundary
_MAX_MERGED_COLUMNS = 1024  # a merge across the whole sheet width is filled this far, no further
_SNIFF_LINES = 50
_DELIMITERS = (";", ",", "\t")  # in this order when they tie: Excel on Vietnamese Windows uses ;
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,  # also UnicodeDecodeError and defusedxml's refusals
    TypeError,
    ParseError,
    InvalidFileException,
)


class UnreadableSpreadsheet(PermanentError):
    """An uploaded mục lục that cannot be read as a spreadsheet: corrupt, encrypted, empty."""

    code = "catalogue.unreadable-spreadsheet"
    title = "Không đọc được bảng tính"
    http_status = 422


class XlsNotSupported(UnreadableSpreadsheet):
    """A legacy Excel 97–2003 workbook (.xls): the archive saves it again as .xlsx."""

    code = "catalogue.xls-not-supported"
    title = "Chưa hỗ trợ tệp Excel 97–2003 (.xls)"
    http_status = 415


# --- reading ----------------------------------------------------------------------------------


def read_sheet(path: Path) -> Iterator[SheetRow]:
    """The rows of a spreadsheet file, numbered as the spreadsheet shows them.

    .xlsx (a ZIP): the first worksheet that has data, read-only, merged ranges filled with
    their top-left value. .xls (OLE2): refused, :class:`XlsNotSupported`. Anything else is
    CSV in any Vietnamese encoding, ``;`` ``,`` or tab separated. The kind of file is checked
    at the call; a damaged content raises :class:`UnreadableSpreadsheet` while iterating.
    """
    try:
        with path.open("rb") as stream:
            head = stream.read(len(_ZIP))
    except OSError as exc:
        raise UnreadableSpreadsheet(f"không mở được tệp: {exc.strerror}") from exc
    if not head:
        raise UnreadableSpreadsheet("tệp rỗng")
    if head.startswith(_ZIP):
        return _xlsx_rows(path)
    if head.startswith(_OLE2):
        if _contains(path, _ENCRYPTED_OOXML):
            raise UnreadableSpreadsheet(
                "tệp .xlsx được đặt mật khẩu: hãy bỏ mật khẩu rồi tải lên lại"
            )
        raise XlsNotSupported(
            "tệp Excel 97–2003 (.xls) chưa được hỗ trợ: hãy mở bằng Excel, chọn Lưu thành"
            " (Save As) kiểu Excel Workbook (.xlsx) rồi tải lên tệp .xlsx"
        )
    return _csv_rows(path)


def _contains(path: Path, needle: bytes, chunk_size: int = 1 << 20) -> bool:
    overlap = b""
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_size):
            if needle in overlap + chunk:
                return True
            overlap = chunk[-len(needle) :]
    return False


def _xlsx_rows(path: Path) -> Iterator[SheetRow]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _BROKEN as exc:
        raise UnreadableSpreadsheet(f"tệp .xlsx bị hỏng hoặc không phải bảng tính: {exc}") from exc
    try:
        sheet = _first_sheet_with_data(workbook)
        with zipfile.ZipFile(path) as archive:
            merged = _merged_ranges(archive, _worksheet_parts(archive)[sheet.title])
        yield from _filled(sheet.values, merged)  # from A1, whatever the stored dimensions
    except _BROKEN as exc:
        raise UnreadableSpreadsheet(f"tệp .xlsx bị hỏng: {exc}") from exc
    finally:
        workbook.close()


def _first_sheet_with_data(workbook: Workbook) -> ReadOnlyWorksheet:
    """The first visible worksheet with a value in it, else the first hidden one."""
    sheets = [sheet for sheet in workbook.worksheets if isinstance(sheet, ReadOnlyWorksheet)]
    for sheet in sorted(sheets, key=lambda sheet: sheet.sheet_state != "visible"):
        sheet.reset_dimensions()  # the stored dimensions are often wrong: read every row
        rows = sheet.values
        try:
            if any(value is not None for row in rows for value in row):
                return sheet
        finally:
            rows.close()  # the sheet's XML stays open until its generator is closed
    raise UnreadableSpreadsheet("bảng tính không có dữ liệu")


_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part in the package, from the workbook and its relationships
    (openpyxl's read-only worksheets keep neither their merged ranges nor their part)."""
    package_rels = _elements(archive, "_rels/.rels", "Relationship")
    workbook_part = next(
        (
            _resolve("", rel.get("Target", ""))
            for rel in package_rels
            if rel.get("Type", "").endswith("/officeDocument")
        ),
        "xl/workbook.xml",
    )
    folder, name = posixpath.split(workbook_part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    targets = {
        rel.get("Id"): _resolve(folder, rel.get("Target", ""))
        for rel in _elements(archive, rels_part, "Relationship")
    }
    return {
        sheet.get("name", ""): targets[sheet.get(_RELATIONSHIP_ID)]
        for sheet in _elements(archive, workbook_part, "sheet")
        if sheet.get(_RELATIONSHIP_ID) in targets
    }


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _elements(archive: zipfile.ZipFile, part: str, local_name: str) -> list[Element]:
    root = safe_xml.fromstring(archive.read(part))
    return [element for element in root.iter() if _local(element.tag) == local_name]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass(frozen=True)
class _Merged:
    """A merged range, 1-based and inclusive."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int


def _merged_ranges(archive: zipfile.ZipFile, part: str) -> list[_Merged]:
    """The ``<mergeCell ref="A1:H1"/>`` of a worksheet, in flat memory and fast.

    ``<mergeCells>`` follows ``<sheetData>``, so the rows are only decompressed and scanned
    as bytes (a ``<`` in cell text is always escaped); the element itself is parsed with
    defusedxml inside the worksheet's own root tag, which declares its namespaces.
    """
    with archive.open(part) as stream:
        data = b""
        while (root := _ROOT_TAG.search(data)) is None:
            if not (chunk := stream.read(_SCAN_CHUNK)) or len(data) > _ROOT_TAG_MAX:
                return []
            data += chunk
        prolog, data = data[: root.end()], data[root.end() :]
        while (opening := _MERGES_OPEN.search(data)) is None:
            if not (chunk := stream.read(_SCAN_CHUNK)):
                return []
            data = data[-_SCAN_OVERLAP:] + chunk
        fragment = data[opening.start() :] + stream.read()  # what follows is sheet metadata
    closing = fragment.find(b"</" + opening[1] + b"mergeCells")
    end = fragment.index(b">", max(closing, 0)) + 1  # a self-closing <mergeCells/> ends first
    document = prolog + fragment[:end] + b"</" + root[1] + b">"
    merged: list[_Merged] = []
    for element in safe_xml.fromstring(document).iter():
        if _local(element.tag) == "mergeCell" and (ref := element.get("ref")):
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if min_col and min_row and max_col and max_row:  # whole rows or columns: no fill
                merged.append(_Merged(min_col, min_row, max_col, max_row))
    return merged


def _filled(rows: Iterable[Sequence[object]], merged: Sequence[_Merged]) -> Iterator[SheetRow]:
    """Rows with every cell of a merged range holding the range's top-left value."""
    starting: defaultdict[int, list[_Merged]] = defaultdict(list)
    for merge in merged:
        starting[merge.min_row].append(merge)
    active: list[tuple[_Merged, CellValue]] = []
    for number, values in enumerate(rows, 1):
        cells = [_cell_value(value) for value in values]
        active = [(merge, value) for merge, value in active if merge.max_row >= number]
        for merge in starting.pop(number, ()):
            if merge.min_col <= len(cells) and (top_left := cells[merge.min_col - 1]) is not None:
                active.append((merge, top_left))
        for merge, value in active:
            last = min(merge.max_col, _MAX_MERGED_COLUMNS)
            cells.extend([None] * (last - len(cells)))
            cells[merge.min_col - 1 : last] = [value] * (last - merge.min_col + 1)
        yield SheetRow(number, tuple(cells))


def _cell_value(value: object) -> CellValue:
    """A cell as the domain takes it; times, durations and the like as their text."""
    if value is None or isinstance(value, str | int | float | bool | datetime | date):
        return value
    return str(value)


def _csv_rows(path: Path) -> Iterator[SheetRow]:
    try:
        with path.open("rb") as stream:
            lines = (line.group() for text in _text_of(stream) for line in _LINE.finditer(text))
            head = list(itertools.islice(lines, _SNIFF_LINES))
            reader = csv.reader(itertools.chain(head, lines), delimiter=_delimiter(head))
            for number, record in enumerate(reader, 1):
                yield SheetRow(number, tuple(cell if cell.strip() else None for cell in record))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableSpreadsheet(f"tệp CSV không đọc được: {exc}") from exc


def _text_of(stream: BinaryIO) -> Iterator[str]:
    """The decoded text of a CSV; a NUL means a binary file (a scan, a PDF), not text."""
    for text in decode_stream(stream):
        if "\x00" in text:
            raise UnreadableSpreadsheet("tệp không phải bảng tính .xlsx hay văn bản CSV")
        yield text


def _delimiter(lines: Sequence[str]) -> str:
    """The separator that splits the most lines into the same number of cells (> 1)."""

    def consistency(delimiter: str) -> tuple[int, int]:
        widths = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1)
        if not widths:
            return 0, 0
        width, lines_of_width = widths.most_common(1)[0]
        return lines_of_width, width

    return max(_DELIMITERS, key=consistency)


class OpenpyxlSpreadsheets:
    """The catalogue's spreadsheet port: inventories in (.xlsx, .csv), reports out (.xlsx)."""

    def read(self, path: Path) -> Iterator[SheetRow]:
        return read_sheet(path)

    def write(self, path: Path, sheets: Sequence[TableSheet]) -> None:
        write_xlsx(path, sheets)
