"""Tables as people read them in a spreadsheet: what a report or an export is, before any
file format. The .xlsx writer (:mod:`shared.xlsx`) renders them; the catalogue's reports
and the gateway's audit export are written with it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

CellValue = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class BarChartSpec:
    """A bar chart of some columns of the table, one series per column, by category."""

    title: str
    category_column: int  # 1-based column of the categories
    value_columns: tuple[int, ...]  # 1-based columns plotted as series (header = series names)
    y_title: str = ""
    anchor: str = "H2"


@dataclass(frozen=True)
class TableSheet:
    """One sheet: a header row and rows (streamed), an optional title line and chart."""

    title: str  # sheet name (≤ 31 characters, Excel's rule)
    columns: Sequence[str]
    rows: Iterable[Sequence[CellValue]]
    chart: BarChartSpec | None = None
    heading: str | None = None
