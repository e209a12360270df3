"""The spreadsheet adapter against real files made with openpyxl: the messy .xlsx and the TCVN3
CSV read exactly as expected, large sheets read and written in flat memory, exports reopened,
and every kind of bad upload refused with its code."""

from __future__ import annotations

import codecs
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from services.catalogue.adapters.sheets import (
    UnreadableSpreadsheet,
    XlsNotSupported,
    read_sheet,
)
from services.catalogue.domain.inventory import InventoryReading, SheetRow, read_inventory
from services.catalogue.domain.tables import BarChartSpec, TableSheet
from shared.xlsx import write_xlsx
from tests.support.inventories import (
    TITLE_TCVN3,
    ExpectedInventory,
    windows_1258,
    write_messy_inventory,
    write_tcvn3_csv,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def assert_reads_as_expected(reading: InventoryReading, expected: ExpectedInventory) -> None:
    assert reading.header_row == expected.header_row
    assert reading.rows == expected.rows
    assert reading.columns == expected.columns
    entries = [
        (
            entry.row,
            entry.fonds_code,
            entry.file_number,
            entry.title,
            entry.maintenance.value if entry.maintenance else None,
            entry.start_date.tt05() if entry.start_date else None,
            entry.end_date.tt05() if entry.end_date else None,
            entry.number_of_paper,
            entry.group,
            entry.description,
            entry.inventory_number,
        )
        for entry in reading.entries
    ]
    assert entries == [
        (
            want.row,
            want.fonds_code,
            want.file_number,
            want.title,
            want.maintenance,
            want.start_date,
            want.end_date,
            want.number_of_paper,
            want.group,
            want.description,
            want.inventory_number,
        )
        for want in expected.entries
    ]
    assert [(r.row, r.column, r.cell, r.code) for r in reading.refused] == [
        (want.row, want.column, want.cell, want.code) for want in expected.refusals
    ]
    assert all(refusal.detail for refusal in reading.refused)
    assert [(skip.row, skip.why) for skip in reading.skipped] == list(expected.skipped)


# --- the builders of tests/support --------------------------------------------------------------


def test_messy_xlsx_reads_exactly_as_expected(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.xlsx"
    expected = write_messy_inventory(path)
    assert_reads_as_expected(read_inventory(read_sheet(path)), expected)


def test_messy_xlsx_is_as_messy_as_it_claims(tmp_path: Path) -> None:
    """The builder really made merged cells, a .VnTime cell and text dates, so the reading
    above proves something."""
    path = tmp_path / "muc-luc.xlsx"
    write_messy_inventory(path)
    sheet = load_workbook(path).active
    assert isinstance(sheet, Worksheet)
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    assert {"D4:E4", "G8:G11", "A12:E12", "A7:H7"} <= merged
    assert sheet["C10"].font.name == ".VnTime"
    assert sheet["C10"].value == TITLE_TCVN3
    assert isinstance(sheet["D8"].value, str)
    assert isinstance(sheet["E8"].value, datetime)


def test_tcvn3_csv_reads_exactly_as_expected(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.csv"
    expected = write_tcvn3_csv(path)
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really 8-bit TCVN3, not UTF-8
    assert b"\r\n" in data
    assert_reads_as_expected(read_inventory(read_sheet(path)), expected)


# --- reading .xlsx ------------------------------------------------------------------------------


def test_merged_ranges_are_filled_with_their_top_left_value(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.xlsx"
    write_messy_inventory(path)
    rows = {row.number: row.cells for row in read_sheet(path)}
    assert rows[1] == ("TRUNG TÂM LƯU TRỮ LỊCH SỬ TỈNH TRÀ VINH",) * 8
    assert rows[5][3:5] == ("Bắt đầu", "Kết thúc")
    assert rows[4][3:5] == ("Thời gian", "Thời gian")
    assert rows[5][:3] == ("STT", "Hồ sơ số", "Tiêu đề hồ sơ")  # merged down over row 5
    assert [rows[number][6] for number in (8, 9, 10, 11)] == ["Vĩnh viễn"] * 4
    assert rows[12][:5] == ("Cộng",) * 5
    assert rows[13] == ()
    assert rows[8][4] == datetime(2001, 12, 28)


def test_first_worksheet_with_data_is_read(tmp_path: Path) -> None:
    workbook = Workbook()
    empty = workbook.active
    assert empty is not None
    empty.title = "Trống"
    data = workbook.create_sheet("Mục lục")
    data["B2"] = "Hồ sơ số"
    data.merge_cells("B3:C3")
    data["B3"] = "gộp"
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    assert list(read_sheet(path)) == [
        SheetRow(1, ()),
        SheetRow(2, (None, "Hồ sơ số")),
        SheetRow(3, (None, "gộp", "gộp")),
    ]


DIMENSION = b'<dimension ref="A1"/>'


def test_wrong_stored_dimensions_do_not_cut_the_sheet(tmp_path: Path) -> None:
    """Some writers store <dimension ref="A1"/> whatever the size; read-only mode trusts it
    unless told otherwise."""
    path = tmp_path / "muc-luc.xlsx"
    write_messy_inventory(path)
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content, replaced = re.subn(rb'<dimension ref="A1:H22"\s*/>', DIMENSION, content)
                assert replaced == 1
            target.writestr(item, content)
    assert [row.number for row in read_sheet(lying)][-1] == 22


BIG_HEADER = (
    *("STT", "Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian bắt đầu", "Thời gian kết thúc", "Số tờ"),
    *("Số trang", "Thời hạn bảo quản", "Chế độ sử dụng", "Ngôn ngữ", "Ghi chú", "Hộp số"),
)


def write_big_inventory(path: Path, rows: int) -> None:
    """A plain mục lục of ``rows`` hồ sơ and twelve columns, written by openpyxl itself."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Mục lục")
    sheet.append(BIG_HEADER)
    for number in range(1, rows + 1):
        title = f"Hồ sơ {number} về công tác văn thư, lưu trữ"
        dates = ("01/2001", date(2001, 12, 31))
        codes = ("Vĩnh viễn", "Công khai", "Tiếng Việt")
        sheet.append(
            (number, f"{number:05d}", title, *dates, 12, 24, *codes, "Bản chính", str(number // 50))
        )
    workbook.save(path)


def peak_growth(work: str) -> float:
    """Peak resident memory added by ``work`` in a fresh interpreter, in bytes: everything
    the process allocates counts, C libraries included."""
    script = (
        "import collections, resource\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from services.catalogue.adapters.sheets import TableSheet, read_sheet\n"
        "from shared.xlsx import write_xlsx\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"{work}\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = done.stdout.split()
    return int(lines[-1]) * 1024  # ru_maxrss is in KiB on Linux


def test_20000_row_sheet_is_read_in_flat_memory(tmp_path: Path) -> None:
    """Loading this sheet in openpyxl's normal mode grows the process by about 106 MB; read
    as a stream it takes a few."""
    path = tmp_path / "big.xlsx"
    write_big_inventory(path, 20_000)
    count = tmp_path / "count"
    growth = peak_growth(
        f"rows = collections.deque(read_sheet(Path({str(path)!r})), maxlen=1)\n"
        f"Path({str(count)!r}).write_text(str(rows[0].number))"
    )
    assert count.read_text() == "20001"
    assert growth < 40 * MB


# --- reading .csv -------------------------------------------------------------------------------

TABLE = [["Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian"], ["01", "Báo cáo, tổng kết", "2001"]]


@pytest.mark.parametrize(
    ("delimiter", "encode"),
    [
        (";", lambda text: text.encode("utf-8")),
        (",", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
        ("\t", lambda text: text.encode("utf-16")),  # Excel's "Unicode text"
        (";", windows_1258),
    ],
)
def test_csv_delimiter_and_encoding_are_sniffed(
    tmp_path: Path, delimiter: str, encode: Callable[[str], bytes]
) -> None:
    lines = [
        delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in row) for row in TABLE
    ]
    path = tmp_path / "muc-luc.txt"  # the name says nothing: the content decides
    path.write_bytes(encode("\r\n".join(lines) + "\r\n"))
    assert [list(row.cells) for row in read_sheet(path)] == TABLE


def test_csv_rows_are_numbered_like_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.csv"
    path.write_text('STT;Tiêu đề\n1;"hai\ndòng"\n\n2;ba\n', encoding="utf-8")
    assert list(read_sheet(path)) == [
        SheetRow(1, ("STT", "Tiêu đề")),
        SheetRow(2, ("1", "hai\ndòng")),
        SheetRow(3, ()),
        SheetRow(4, ("2", "ba")),
    ]


def test_csv_blank_cells_are_none(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.csv"
    path.write_text("a;;  ;b\n", encoding="utf-8")
    assert list(read_sheet(path)) == [SheetRow(1, ("a", None, None, "b"))]


# --- bad uploads --------------------------------------------------------------------------------

OLE2_HEADER = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


def test_legacy_xls_is_refused_asking_for_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "muc-luc.xls"
    path.write_bytes(OLE2_HEADER + "Workbook".encode("utf-16-le") + bytes(1000))
    with pytest.raises(XlsNotSupported) as caught:
        read_sheet(path)
    assert (caught.value.code, caught.value.http_status) == ("catalogue.xls-not-supported", 415)
    assert isinstance(caught.value, UnreadableSpreadsheet)
    assert ".xlsx" in str(caught.value)


def test_password_protected_xlsx_is_unreadable(tmp_path: Path) -> None:
    """An encrypted .xlsx is an OLE2 container holding an "EncryptedPackage" stream."""
    path = tmp_path / "muc-luc.xlsx"
    directory_entry = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(OLE2_HEADER + bytes(2000) + directory_entry + bytes(100))
    with pytest.raises(UnreadableSpreadsheet) as caught:
        read_sheet(path)
    assert type(caught.value) is UnreadableSpreadsheet
    assert (caught.value.code, caught.value.http_status) == (
        "catalogue.unreadable-spreadsheet",
        422,
    )
    assert "mật khẩu" in str(caught.value)


def broken_xlsx(tmp_path: Path, kind: str) -> Path:
    good = tmp_path / "good.xlsx"
    write_messy_inventory(good)
    path = tmp_path / f"{kind}.xlsx"
    if kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "not-a-workbook":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml", "<document/>")
    else:  # a worksheet whose XML is cut
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
            for item in source.infolist():
                content = source.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    content = content[: len(content) // 2]
                target.writestr(item, content)
    return path


@pytest.mark.parametrize("kind", ["truncated", "not-a-workbook", "broken-sheet-xml"])
def test_corrupt_xlsx_is_unreadable(tmp_path: Path, kind: str) -> None:
    path = broken_xlsx(tmp_path, kind)
    with pytest.raises(UnreadableSpreadsheet) as caught:
        list(read_sheet(path))
    assert caught.value.code == "catalogue.unreadable-spreadsheet"


def test_empty_file_and_empty_workbook_are_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableSpreadsheet, match="rỗng"):
        read_sheet(empty)
    workbook_path = tmp_path / "empty.xlsx"
    Workbook().save(workbook_path)
    with pytest.raises(UnreadableSpreadsheet, match="không có dữ liệu"):
        list(read_sheet(workbook_path))


def test_binary_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with pytest.raises(UnreadableSpreadsheet):
        list(read_sheet(path))


# --- writing ------------------------------------------------------------------------------------


def test_written_workbook_reopens_with_sheets_header_typed_cells_and_chart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bao-cao.xlsx"
    decomposed = "Ho\u0302\u0300 so\u031b"  # "Hồ sơ" as macOS writes it
    write_xlsx(
        path,
        [
            TableSheet(
                title="Theo phông",
                heading="Báo cáo tiến độ số hóa năm 2026",
                columns=["Phông", "Hồ sơ", "Trang", "Ngày cập nhật", "Lúc"],
                rows=[
                    ["64", 120, 2400.5, date(2026, 11, 30), datetime(2026, 11, 30, 8, 15)],
                    [decomposed, 7, 0, None, datetime(2026, 11, 30, 1, 0, tzinfo=UTC)],
                ],
                chart=BarChartSpec("Hồ sơ và trang theo phông", 1, (2, 3), y_title="Số lượng"),
            ),
            TableSheet(title="Danh sách: hồ sơ [đã chọn]/2026?", columns=["Mã hồ sơ"], rows=[]),
            TableSheet(title="Thống kê hồ sơ theo phông và nhóm", columns=["x"], rows=[["y"]]),
            TableSheet(title="Thống kê hồ sơ theo phông và nhóm", columns=["x"], rows=[]),
        ],
    )
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "Theo phông",
        "Danh sách hồ sơ đã chọn 2026",  # no [ ] : / ?
        "Thống kê hồ sơ theo phông và nh",  # 31 characters
        "Thống kê hồ sơ theo phông v (2)",  # unique, still 31
    ]
    sheet = workbook["Theo phông"]
    assert isinstance(sheet, Worksheet)
    assert sheet["A1"].value == "Báo cáo tiến độ số hóa năm 2026"
    assert [cell.value for cell in sheet[2]] == ["Phông", "Hồ sơ", "Trang", "Ngày cập nhật", "Lúc"]
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert [cell.value for cell in sheet[3]] == [
        "64",
        120,
        2400.5,
        datetime(2026, 11, 30),
        datetime(2026, 11, 30, 8, 15),
    ]
    assert sheet["D3"].is_date
    assert sheet["D3"].number_format == "DD/MM/YYYY"
    assert sheet["A4"].value == "Hồ sơ"  # NFC
    assert sheet["E4"].value == datetime(2026, 11, 30, 8, 0)  # Vietnam time, no zone
    assert sheet.column_dimensions["D"].width >= len("Ngày cập nhật")
    charts = sheet._charts  # type: ignore[attr-defined]  # where openpyxl keeps them, untyped
    assert len(charts) == 1
    assert len(charts[0].series) == 2
    assert charts[0].series[0].tx.strRef.f == "'Theo phông'!B2"  # the series name: its header
    assert charts[0].series[0].val.numRef.f == "'Theo phông'!$B$3:$B$4"
    assert charts[0].series[0].cat.numRef.f == "'Theo phông'!$A$3:$A$4"
    second = workbook["Danh sách hồ sơ đã chọn 2026"]
    assert isinstance(second, Worksheet)
    assert second.freeze_panes == "A2"
    assert [[cell.value for cell in row] for row in second.iter_rows()] == [["Mã hồ sơ"]]


def test_export_reads_back_as_an_inventory(tmp_path: Path) -> None:
    """What sohoa writes, sohoa reads: a list exported as .xlsx imports again."""
    path = tmp_path / "danh-sach.xlsx"
    write_xlsx(
        path,
        [
            TableSheet(
                title="Hồ sơ",
                heading="Mã phông: 64",
                columns=["Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian bắt đầu", "Thời gian kết thúc",
                         "Thời hạn bảo quản"],
                rows=[["01", "Kế hoạch", date(2001, 3, 5), date(2001, 12, 31), "Vĩnh viễn"]],
            )
        ],
    )  # fmt: skip
    reading = read_inventory(read_sheet(path))
    assert [(e.fonds_code, e.title, str(e.start_date)) for e in reading.entries] == [
        ("64", "Kế hoạch", "05/03/2001")
    ]


def test_chart_columns_must_be_in_the_table(tmp_path: Path) -> None:
    sheet = TableSheet("A", ["a", "b"], [[1, 2]], chart=BarChartSpec("t", 1, (3,)))
    with pytest.raises(ValueError, match="outside"):
        write_xlsx(tmp_path / "x.xlsx", [sheet])
    assert not (tmp_path / "x.xlsx").exists()
    assert list(tmp_path.iterdir()) == []  # no half file left behind


def test_100000_row_write_stays_flat_in_memory(tmp_path: Path) -> None:
    """The same rows appended to a normal openpyxl workbook grow the process by about 160 MB."""
    path = tmp_path / "big.xlsx"
    growth = peak_growth(
        f"write_xlsx(Path({str(path)!r}), [TableSheet('Hồ sơ', ['STT', 'Tiêu đề', 'Ngày', 'Số'],"
        " ([n, f'Hồ sơ {n}', date(2001, 1, 1), 1.5] for n in range(100_000)))])"
    )
    assert growth < 30 * MB
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert sheet_xml.count(b"<row ") == 100_001
