"""Spreadsheets people download, written as .xlsx in write-only mode: rows streamed, any
number of them, Vietnamese text NFC, times in Vietnam's zone (Excel has none). The
catalogue's lists and reports and the gateway's audit export are written by it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from shared.tables import BarChartSpec, CellValue, TableSheet
from shared.text import nfc

_SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_VIETNAM = timezone(timedelta(hours=7))  # Excel has no time zones: times are written as Vietnam's
_HEADING_FONT = Font(bold=True, size=13)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
_DATE_FORMAT = "DD/MM/YYYY"
_DATETIME_FORMAT = "DD/MM/YYYY HH:MM"


def write_xlsx(path: Path, sheets: Sequence[TableSheet]) -> None:
    """Write the sheets to an .xlsx in write-only mode: rows are streamed, any number of them.

    Written beside ``path`` first and moved into place, so a failure leaves no half file.
    """
    if not sheets:
        raise ValueError("an .xlsx needs at least one sheet")
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, sheet, _sheet_title(sheet.title, taken))
    partial = path.with_name(f".{path.name}.partial")
    try:
        workbook.save(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _write_sheet(workbook: Workbook, sheet: TableSheet, title: str) -> None:
    """Widths and frozen panes first (write-only mode takes them only before the rows), then
    the rows as they come, then the chart over the rows written."""
    if sheet.chart is not None:
        _check_chart(sheet.chart, len(sheet.columns))
    worksheet: WriteOnlyWorksheet = workbook.create_sheet(title)
    # column_dimensions exists on write-only sheets too; the stub leaves it out
    dimensions = worksheet.column_dimensions  # type: ignore[attr-defined]
    for index, header in enumerate(sheet.columns, 1):
        dimensions[get_column_letter(index)].width = _width(header)
    header_row = 2 if sheet.heading else 1
    worksheet.freeze_panes = f"A{header_row + 1}"
    if sheet.heading:
        worksheet.append([_styled(worksheet, sheet.heading, _HEADING_FONT)])
    worksheet.append(
        [
            _styled(worksheet, header, _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT)
            for header in sheet.columns
        ]
    )
    last_row = header_row
    for row in sheet.rows:
        worksheet.append([_written(worksheet, value) for value in row])
        last_row += 1
    if sheet.chart is not None and last_row > header_row:
        chart = _bar_chart(worksheet, sheet.chart, header_row, last_row)
        # the stub types add_chart's self as Worksheet; write-only sheets share the method
        worksheet.add_chart(chart, sheet.chart.anchor)  # type: ignore[misc]


def _width(header: str) -> float:
    """Wide enough for a header of a few words; longer ones wrap."""
    return float(min(max(len(header) + 4, 10), 40))


def _styled(
    worksheet: WriteOnlyWorksheet,
    text: str,
    font: Font,
    fill: PatternFill | None = None,
    alignment: Alignment | None = None,
) -> Cell:
    cell = WriteOnlyCell(worksheet, _clean_text(text))
    cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _written(worksheet: WriteOnlyWorksheet, value: CellValue) -> CellValue | Cell:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_VIETNAM).replace(tzinfo=None)
        cell = WriteOnlyCell(worksheet, value)
        cell.number_format = _DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        # openpyxl writes a date as a date; the stub's value type leaves date out
        cell = WriteOnlyCell(worksheet, value)  # type: ignore[arg-type]
        cell.number_format = _DATE_FORMAT
        return cell
    return value


def _clean_text(text: str) -> str:
    """NFC, without the control characters an .xlsx cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", nfc(text))


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules for a sheet name: ≤ 31 characters, none of ``[]:*?/\\``, no leading or
    trailing apostrophe, unique in the workbook (case-insensitively)."""
    cleaned = " ".join(_SHEET_TITLE_FORBIDDEN.sub(" ", _clean_text(title)).split()).strip("'")
    cleaned = cleaned or "Sheet"
    candidate, number = cleaned[:_SHEET_TITLE_MAX], 2
    while candidate.casefold() in taken or candidate.casefold() == "history":
        suffix = f" ({number})"
        candidate = cleaned[: _SHEET_TITLE_MAX - len(suffix)].rstrip("'") + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _check_chart(spec: BarChartSpec, width: int) -> None:
    for column in (spec.category_column, *spec.value_columns):
        if not 1 <= column <= width:
            raise ValueError(f"chart column {column} is outside the table's {width} columns")
    if not spec.value_columns:
        raise ValueError("a bar chart needs at least one value column")


def _bar_chart(
    worksheet: WriteOnlyWorksheet, spec: BarChartSpec, header_row: int, last_row: int
) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = _clean_text(spec.title)
    if spec.y_title:
        chart.y_axis.title = _clean_text(spec.y_title)
    chart.x_axis.delete = False  # openpyxl hides both axes unless told otherwise
    chart.y_axis.delete = False
    for column in spec.value_columns:
        series = Reference(worksheet, min_col=column, min_row=header_row, max_row=last_row)
        chart.add_data(series, titles_from_data=True)
    categories = Reference(
        worksheet, min_col=spec.category_column, min_row=header_row + 1, max_row=last_row
    )
    chart.set_categories(categories)
    return chart
