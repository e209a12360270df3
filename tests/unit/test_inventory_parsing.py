"""Reading a mục lục hồ sơ: headers as archives write them, dates and codes as typed, the rows
that are not hồ sơ, and every reason a row is refused, each naming its cell."""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalogue.domain.codes import AccessMode, Language, Maintenance, PhysicalFormat
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.inventory import (
    InventoryEntry,
    InventoryReading,
    InventoryUnreadable,
    RowRefusal,
    SheetRow,
    read_inventory,
)
from services.catalogue.domain.tables import CellValue

pytestmark = pytest.mark.unit

HEADER: tuple[CellValue, ...] = (
    "STT",
    "Hồ sơ số",
    "Tiêu đề hồ sơ",
    "Thời gian bắt đầu",
    "Thời gian kết thúc",
    "Thời hạn bảo quản",
)
GOOD: tuple[CellValue, ...] = (1, "01", "Kế hoạch chỉnh lý tài liệu", "01/2001", "12/2001", "VV")


def sheet(*rows: Sequence[CellValue], first: int = 1) -> list[SheetRow]:
    return [SheetRow(first + index, tuple(cells)) for index, cells in enumerate(rows)]


def read(*rows: Sequence[CellValue], default_fonds: str | None = "64") -> InventoryReading:
    return read_inventory(sheet(*rows), default_fonds=default_fonds)


def only_entry(reading: InventoryReading) -> InventoryEntry:
    assert reading.refused == ()
    assert len(reading.entries) == 1
    return reading.entries[0]


def with_column(header: str, value: CellValue) -> InventoryEntry:
    """The entry of the good row with one more column."""
    return only_entry(read((*HEADER, header), (*GOOD, value)))


def refusals(reading: InventoryReading) -> list[tuple[int, str, str, str]]:
    return [(r.row, r.column, r.cell, r.code) for r in reading.refused]


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "value", "field", "expected"),
    [
        ("Mã phông", "27", "fonds_code", "27"),
        ("Ma phong", 27, "fonds_code", "27"),
        ("Mã hồ sơ", "H49.64.33.2001.160", "file_code", "H49.64.33.2001.160"),
        ("Mã cơ quan", "H49.64.33", "agency_code", "H49.64.33"),
        ("Mã định danh cơ quan", "000.00.00.H49", "agency_code", "000.00.00.H49"),
        ("Năm", 2001, "year", 2001),
        ("Năm hình thành hồ sơ", "2001", "year", 2001),
        ("Chế độ sử dụng", "Công khai", "mode", AccessMode.PUBLIC),
        ("Mức độ tiếp cận", "02", "mode", AccessMode.CONDITIONAL),
        ("Ngôn ngữ", "Tiếng Việt", "languages", (Language.VIETNAMESE,)),
        ("Tổng số tài liệu", 12, "total_doc", 12),
        ("Số lượng văn bản", "12 văn bản", "total_doc", 12),
        ("Số tờ", "15 tờ", "number_of_paper", 15),
        ("SỐ LƯỢNG TỜ", 15, "number_of_paper", 15),
        ("Số trang", "30 trang", "number_of_page", 30),
        ("Từ khóa", "chỉnh lý", "keyword", "chỉnh lý"),
        ("Từ khoá", "chỉnh lý", "keyword", "chỉnh lý"),
        ("Tình trạng vật lý", "Bình thường", "format", PhysicalFormat.NORMAL),
        ("Ký hiệu thông tin", "VP.01", "infor_sign", "VP.01"),
        ("Mã hồ sơ gốc giấy", "H49.K1.G2.H3.160", "paper_file_code", "H49.K1.G2.H3.160"),
        ("Ghi chú", "Bản chính", "description", "Bản chính"),
        ("Mục lục số", "01", "inventory_number", "01"),
        ("Số mục lục", 1, "inventory_number", "1"),
        ("Nhóm", "Tổng hợp", "group", "Tổng hợp"),
        ("Khối", "Văn phòng", "group", "Văn phòng"),
        ("Hộp số", 3, "box", "3"),
        ("Cặp số", "3a", "box", "3a"),
        ("Hộp/Cặp số", "3", "box", "3"),
    ],
)
def test_each_header_variant_fills_its_field(
    header: str, value: CellValue, field: str, expected: object
) -> None:
    reading = read((*HEADER, header), (*GOOD, value))
    assert reading.columns[field] == header
    assert getattr(only_entry(reading), field) == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Số hồ sơ", "file_number"),
        ("Số và ký hiệu hồ sơ", "file_number"),
        ("Số, ký hiệu hồ sơ", "file_number"),
        ("HỒ SƠ SỐ", "file_number"),
        ("ho so so", "file_number"),
        ("Tiêu đề", "title"),
        ("Tên hồ sơ", "title"),
        ("TIEU DE HO SO", "title"),
        ("Thời hạn lưu trữ", "maintenance"),
        ("THBQ", "maintenance"),
        ("Thời hạn bảo quản (6)", "maintenance"),
        ("Ngày bắt đầu", "start_date"),
        ("Ngày kết thúc", "end_date"),
    ],
)
def test_required_columns_are_known_by_their_usual_names(header: str, field: str) -> None:
    index = {"file_number": 1, "title": 2, "start_date": 3, "end_date": 4, "maintenance": 5}
    renamed = list(HEADER)
    renamed[index[field]] = header
    reading = read(renamed, GOOD)
    assert reading.columns[field] == header
    assert only_entry(reading).title == "Kế hoạch chỉnh lý tài liệu"


def test_columns_in_any_order_and_stt_ignored() -> None:
    header = ("Thời hạn bảo quản", "Thời gian", "Tiêu đề hồ sơ", "STT", "Hồ sơ số")
    entry = only_entry(read(header, ("Vĩnh viễn", "2001", "Sổ công văn đi", 7, "12")))
    assert (entry.file_number, entry.title, entry.maintenance) == (
        "12",
        "Sổ công văn đi",
        Maintenance.PERMANENT,
    )
    assert "ignored" not in read(header, ("VV", "2001", "Sổ", 7, "12")).columns


def test_header_under_title_lines_and_fonds_code_from_the_preamble() -> None:
    rows = sheet(
        ("TRUNG TÂM LƯU TRỮ LỊCH SỬ",),
        ("MỤC LỤC HỒ SƠ",),
        ("Phông: UBND tỉnh Trà Vinh", None, "Mã phông:", 64, "Mục lục số: 02"),
        HEADER,
        GOOD,
    )
    reading = read_inventory(rows, default_fonds="99")
    assert reading.header_row == 4
    assert [(s.row, s.why) for s in reading.skipped] == [(row, "preamble") for row in (1, 2, 3)]
    entry = only_entry(reading)
    assert (entry.fonds_code, entry.inventory_number) == ("64", "02")


@pytest.mark.parametrize(
    "line",
    ["MÃ PHÔNG: 64", "Ma phong 64.", "Phông số: 64", "Phông UBND tỉnh - Mã phông lưu trữ: 64"],
)
def test_fonds_code_in_preamble_wordings(line: str) -> None:
    entry = only_entry(read_inventory(sheet((line,), HEADER, GOOD)))
    assert entry.fonds_code == "64"


def test_fonds_code_column_beats_preamble_which_beats_default() -> None:
    rows = sheet(
        ("Mã phông: 64",), (*HEADER, "Mã phông"), (*GOOD, "27"), (*GOOD[:1], "02", *GOOD[2:])
    )
    reading = read_inventory(rows, default_fonds="99")
    assert [entry.fonds_code for entry in reading.entries] == ["27", "64"]
    assert only_entry(read(HEADER, GOOD, default_fonds="99")).fonds_code == "99"


def test_two_row_header_with_merged_cells_filled() -> None:
    top = ("STT", "Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian", "Thời gian", "THBQ")
    bottom = ("STT", "Hồ sơ số", "Tiêu đề hồ sơ", "Bắt đầu", "Kết thúc", "THBQ")
    reading = read(top, bottom, GOOD)
    assert reading.columns["start_date"] == "Thời gian / Bắt đầu"
    assert reading.columns["end_date"] == "Thời gian / Kết thúc"
    assert "period" not in reading.columns
    entry = only_entry(reading)
    assert (entry.start_date, entry.end_date) == (PartialDate(2001, 1), PartialDate(2001, 12))


def test_two_row_header_as_csv_writes_it() -> None:
    """A CSV keeps a merged value in its first cell only: "Từ" and "Đến" under "Thời gian"."""
    top = ("STT", "Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian", None, "THBQ")
    bottom = (None, None, None, "Từ", "Đến", None)
    reading = read(top, bottom, GOOD)
    assert reading.columns["start_date"] == "Thời gian / Từ"
    assert reading.columns["end_date"] == "Thời gian / Đến"
    assert only_entry(reading).end_date == PartialDate(2001, 12)


def test_header_typed_in_tcvn3_is_repaired() -> None:
    header = ("STT", "Sè hå s¬", "Tiªu ®Ò hå s¬", "Thêi gian", "Thêi h¹n b¶o qu¶n")
    reading = read(header, (1, "01", "B¸o c¸o tæng kÕt", "2001", "VÜnh viÔn"))
    assert reading.columns["title"] == "Tiêu đề hồ sơ"
    entry = only_entry(reading)
    assert (entry.title, entry.maintenance) == ("Báo cáo tổng kết", Maintenance.PERMANENT)


def test_cell_in_vni_is_repaired() -> None:
    entry = only_entry(read(HEADER, (1, "01", "Keá hoaïch chænh lyù", "2001", "2001", "VV")))
    assert entry.title == "Kế hoạch chỉnh lý"


def test_text_is_nfc_and_whitespace_collapsed() -> None:
    title = unicodedata.normalize("NFD", "  Kế hoạch \n chỉnh   lý\ttài liệu ")
    entry = only_entry(read(HEADER, (1, " 01 ", title, "2001", "2001", "VV")))
    assert entry.title == "Kế hoạch chỉnh lý tài liệu"
    assert unicodedata.is_normalized("NFC", entry.title)
    assert entry.file_number == "01"


def test_file_number_is_kept_as_printed() -> None:
    entry = only_entry(read(HEADER, (1, "01.TCCB", "Hồ sơ", "2001", "2001", "VV")))
    assert entry.file_number == "01.TCCB"
    assert only_entry(read(HEADER, (1, 12, "Hồ sơ", "2001", "2001", "VV"))).file_number == "12"
    assert only_entry(read(HEADER, (1, 12.0, "Hồ sơ", "2001", "2001", "VV"))).file_number == "12"


def test_without_file_code_column_the_code_is_none() -> None:
    assert only_entry(read(HEADER, GOOD)).file_code is None


def test_year_from_its_column_else_from_the_start_date() -> None:
    assert only_entry(read(HEADER, GOOD)).year == 2001
    entry = only_entry(read((*HEADER, "Năm"), (*GOOD, 2002)))
    assert entry.year == 2002


def test_inventory_without_date_columns_takes_the_year_for_both_dates() -> None:
    header = ("Hồ sơ số", "Tiêu đề hồ sơ", "Năm", "THBQ")
    entry = only_entry(read(header, ("01", "Hồ sơ", 2003, "VV")))
    assert (entry.start_date, entry.end_date, entry.year) == (
        PartialDate(2003),
        PartialDate(2003),
        2003,
    )


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("14/12/2001", PartialDate(2001, 12, 14)),
        ("5-3-2002", PartialDate(2002, 3, 5)),
        ("14.12.2001", PartialDate(2001, 12, 14)),
        ("03/2001", PartialDate(2001, 3)),
        ("2001", PartialDate(2001)),
        ("ngày 05 tháng 02 năm 2003", PartialDate(2003, 2, 5)),
        ("Ngày 5 tháng 2 năm 2003", PartialDate(2003, 2, 5)),
        ("2001-12-14", PartialDate(2001, 12, 14)),
        (datetime(2001, 12, 28, 0, 0), PartialDate(2001, 12, 28)),
        (date(2001, 12, 28), PartialDate(2001, 12, 28)),
        (38353, PartialDate(2005, 1, 1)),  # an Excel serial number in a date column
        (38353.5, PartialDate(2005, 1, 1)),
        (2001, PartialDate(2001)),  # a bare 4-digit number is a year
        (2001.0, PartialDate(2001)),
    ],
)
def test_date_forms(cell: CellValue, expected: PartialDate) -> None:
    entry = only_entry(read(HEADER, (1, "01", "Hồ sơ", cell, "2010", "VV")))
    assert entry.start_date == expected


@pytest.mark.parametrize(
    ("cell", "start", "end"),
    [
        ("01/2001 - 12/2001", PartialDate(2001, 1), PartialDate(2001, 12)),
        ("2001-2005", PartialDate(2001), PartialDate(2005)),
        ("2001 – 2005", PartialDate(2001), PartialDate(2005)),
        ("2001", PartialDate(2001), PartialDate(2001)),
        ("14/12/2001 - 20/12/2001", PartialDate(2001, 12, 14), PartialDate(2001, 12, 20)),
        ("5-3-2002 - 7-3-2002", PartialDate(2002, 3, 5), PartialDate(2002, 3, 7)),
        ("Từ năm 2001 đến năm 2005", PartialDate(2001), PartialDate(2005)),
        ("từ 2001 đến 2005", PartialDate(2001), PartialDate(2005)),
        (2001, PartialDate(2001), PartialDate(2001)),
        (datetime(2001, 5, 4), PartialDate(2001, 5, 4), PartialDate(2001, 5, 4)),
    ],
)
def test_one_time_column_holds_a_range_or_a_single_date(
    cell: CellValue, start: PartialDate, end: PartialDate
) -> None:
    header = ("Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian tài liệu", "THBQ")
    reading = read(header, ("01", "Hồ sơ", cell, "VV"))
    assert reading.columns["period"] == "Thời gian tài liệu"
    entry = only_entry(reading)
    assert (entry.start_date, entry.end_date) == (start, end)


# --- codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "maintenance", "description"),
    [
        ("Vĩnh viễn", Maintenance.PERMANENT, None),
        ("vinh vien", Maintenance.PERMANENT, None),
        ("VĨNH VIỄN", Maintenance.PERMANENT, None),
        ("VV", Maintenance.PERMANENT, None),
        ("01", Maintenance.PERMANENT, None),
        (1, Maintenance.PERMANENT, None),
        ("70 năm", Maintenance.YEARS_70, None),
        ("70", Maintenance.YEARS_70, None),
        ("20", Maintenance.YEARS_20, None),
        (20, Maintenance.YEARS_20, None),
        ("05", Maintenance.YEARS_20, None),
        ("10 năm", Maintenance.YEARS_10, None),
        ("Khác", Maintenance.OTHER, None),
        ("Lâu dài", Maintenance.OTHER, "Thời hạn bảo quản theo mục lục: Lâu dài"),
        ("15 năm", Maintenance.OTHER, "Thời hạn bảo quản theo mục lục: 15 năm"),
        ("Tạm thời", Maintenance.OTHER, "Thời hạn bảo quản theo mục lục: Tạm thời"),
    ],
)
def test_maintenance_wordings(
    cell: CellValue, maintenance: Maintenance, description: str | None
) -> None:
    entry = only_entry(read(HEADER, (*GOOD[:5], cell)))
    assert (entry.maintenance, entry.description) == (maintenance, description)


def test_lau_dai_wording_joins_an_existing_note() -> None:
    entry = only_entry(read((*HEADER, "Ghi chú"), (*GOOD[:5], "Lâu dài", "Bản sao")))
    assert entry.description == "Bản sao; Thời hạn bảo quản theo mục lục: Lâu dài"


@pytest.mark.parametrize(
    ("cell", "mode"),
    [
        ("Công khai", AccessMode.PUBLIC),
        ("cong khai", AccessMode.PUBLIC),
        ("01", AccessMode.PUBLIC),
        (2, AccessMode.CONDITIONAL),
        ("Sử dụng có điều kiện", AccessMode.CONDITIONAL),
        ("Hạn chế", AccessMode.CONDITIONAL),
        ("MẬT", AccessMode.SECRET),
    ],
)
def test_access_mode_wordings(cell: CellValue, mode: AccessMode) -> None:
    assert with_column("Chế độ sử dụng", cell).mode == mode


@pytest.mark.parametrize(
    ("cell", "languages"),
    [
        ("Tiếng Việt", (Language.VIETNAMESE,)),
        ("Việt", (Language.VIETNAMESE,)),
        ("01", (Language.VIETNAMESE,)),
        ("Tiếng Pháp", (Language.FRENCH,)),
        ("Việt - Anh", (Language.VIETNAMESE_ENGLISH,)),
        ("Tiếng Việt - Tiếng Pháp", (Language.VIETNAMESE_FRENCH,)),
        ("Việt, Pháp", (Language.VIETNAMESE, Language.FRENCH)),
        ("Tiếng Việt; Tiếng Anh", (Language.VIETNAMESE, Language.ENGLISH)),
        ("Việt và Hán Nôm", (Language.VIETNAMESE, Language.HAN_NOM)),
        ("01, 03", (Language.VIETNAMESE, Language.FRENCH)),
    ],
)
def test_language_wordings(cell: CellValue, languages: tuple[Language, ...]) -> None:
    assert with_column("Ngôn ngữ", cell).languages == languages


@pytest.mark.parametrize(
    ("cell", "physical"),
    [
        ("Tốt", PhysicalFormat.GOOD),
        ("binh thuong", PhysicalFormat.NORMAL),
        ("03", PhysicalFormat.DAMAGED),
    ],
)
def test_physical_format_wordings(cell: CellValue, physical: PhysicalFormat) -> None:
    assert with_column("Tình trạng vật lý", cell).format == physical


# --- rows that are not hồ sơ ------------------------------------------------------------------


@pytest.mark.parametrize(
    "numbers",
    [
        ("1", "2", "3", "4", "5", "6"),
        ("(1)", "(2)", "(3)", "(4)", "(5)", "(6)"),
        (1, 2, 3, 4, 5, 6),
        ("1.", "2.", "3.", None, "5.", None),
    ],
)
def test_column_number_row_under_the_header_is_skipped(numbers: Sequence[CellValue]) -> None:
    reading = read(HEADER, numbers, GOOD)
    assert [(s.row, s.why) for s in reading.skipped] == [(2, "column-numbers")]
    assert only_entry(reading).row == 3


@pytest.mark.parametrize(
    "label",
    ["Cộng", "Cộng:", "CỘNG", "Tổng cộng", "Tổng số", "Tổng số: 25 hồ sơ", "Cộng hộp 1", "cong"],
)
def test_subtotal_rows_are_skipped(label: str) -> None:
    reading = read(HEADER, GOOD, (label, None, None, None, None, None, 25))
    assert [(s.row, s.why) for s in reading.skipped] == [(3, "subtotal")]
    assert reading.rows == 1


def test_a_title_starting_like_a_subtotal_is_a_hoso() -> None:
    rows = [
        (1, 2, "Công văn gửi Sở Nội vụ", "2001", "2001", "VV"),
        (2, 3, "Tổng hợp báo cáo năm 2001", "2001", "2001", "VV"),
    ]
    assert len(read(HEADER, *rows).entries) == 2


@pytest.mark.parametrize("cells", [(), (None,) * 6, (None, "", "  ", None), (7, None, None)])
def test_blank_rows_are_skipped(cells: Sequence[CellValue]) -> None:
    """Empty, whitespace only, or only the running number of an unused template row."""
    reading = read(HEADER, GOOD, cells)
    assert [(s.row, s.why) for s in reading.skipped] == [(3, "blank")]


def test_group_headings_are_skipped_and_name_the_rows_under_them() -> None:
    reading = read(
        HEADER,
        ("I. VĂN BẢN CHỈ ĐẠO",) * 6,  # merged across the row
        GOOD,
        (None, "II. Báo cáo, thống kê"),  # in one cell
        (2, "02", "Báo cáo năm 2001", "2001", "2001", "VV"),
    )
    assert [(s.row, s.why) for s in reading.skipped] == [(row, "group-heading") for row in (2, 4)]
    assert [entry.group for entry in reading.entries] == [
        "I. VĂN BẢN CHỈ ĐẠO",
        "II. Báo cáo, thống kê",
    ]


def test_group_column_beats_the_heading() -> None:
    reading = read((*HEADER, "Nhóm"), ("I. CHUNG",), (*GOOD, "Tổ chức"))
    assert only_entry(reading).group == "Tổ chức"


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "cell"),
    [
        ((1, None, "Hồ sơ", "2001", "2001", "VV"), "Hồ sơ số", "B2"),
        ((1, "01", None, "2001", "2001", "VV"), "Tiêu đề hồ sơ", "C2"),
        ((1, "01", "Hồ sơ", None, "2001", "VV"), "Thời gian bắt đầu", "D2"),
        ((1, "01", "Hồ sơ", "2001", None, "VV"), "Thời gian kết thúc", "E2"),
        ((1, "01", "Hồ sơ", "2001", "2001", None), "Thời hạn bảo quản", "F2"),
        ((1, "01", "Hồ sơ", "2001", "2001", "   "), "Thời hạn bảo quản", "F2"),
    ],
)
def test_missing_required_value_is_refused_naming_its_cell(
    row: Sequence[CellValue], column: str, cell: str
) -> None:
    reading = read(HEADER, row)
    assert reading.entries == ()
    assert refusals(reading) == [(2, column, cell, "import.missing-value")]
    assert reading.refused[0].detail.startswith("thiếu ")


def test_missing_fonds_code_is_about_the_whole_row_when_there_is_no_column() -> None:
    reading = read(HEADER, GOOD, default_fonds=None)
    assert refusals(reading) == [(2, "", "", "import.missing-value")]
    assert "mã phông" in reading.refused[0].detail


def test_missing_period_is_one_refusal() -> None:
    header = ("Hồ sơ số", "Tiêu đề hồ sơ", "Thời gian", "THBQ")
    reading = read(header, ("01", "Hồ sơ", None, "VV"))
    assert refusals(reading) == [(2, "Thời gian", "C2", "import.missing-value")]


@pytest.mark.parametrize(
    ("header", "cell", "code"),
    [
        ("Thời hạn bảo quản", "09", "import.invalid-code"),
        ("Thời hạn bảo quản", "Vĩnh viển lâu", "import.invalid-code"),
        ("Thời hạn bảo quản", "15", "import.invalid-code"),
        ("Chế độ sử dụng", "Tuyệt mật", "import.invalid-code"),
        ("Ngôn ngữ", "Tiếng Klingon", "import.invalid-code"),
        ("Ngôn ngữ", "Việt, Klingon", "import.invalid-code"),
        ("Tình trạng vật lý", "Rất tốt", "import.invalid-code"),
        ("Số tờ", "mười", "import.invalid-number"),
        ("Số tờ", -1, "import.invalid-number"),
        ("Số trang", 1.5, "import.invalid-number"),
        ("Số trang", "1,5", "import.invalid-number"),
        ("Tổng số tài liệu", True, "import.invalid-number"),
        ("Năm", "khoảng 2001", "import.invalid-date"),
        ("Tiêu đề hồ sơ", "x" * 1001, "import.too-long"),
        ("Từ khóa", "x" * 101, "import.too-long"),
        ("Ký hiệu thông tin", "x" * 31, "import.too-long"),
        ("Mã hồ sơ gốc giấy", "x" * 101, "import.too-long"),
        ("Ghi chú", "x" * 2001, "import.too-long"),
        ("Hồ sơ số", "1" * 96, "import.too-long"),  # 2001. + 96 characters > 100
        ("Mã hồ sơ", "H49/64 2001", "import.invalid-file-code"),
    ],
)
def test_invalid_value_is_refused_with_its_code(header: str, cell: CellValue, code: str) -> None:
    """The column replaces its namesake in the good row, or is added as column G."""
    columns = list(HEADER)
    values = list(GOOD)
    if header in columns:
        values[columns.index(header)] = cell
    else:
        columns.append(header)
        values.append(cell)
    reading = read(columns, values)
    letter = "ABCDEFG"[columns.index(header)]
    assert refusals(reading) == [(2, header, f"{letter}2", code)]


def test_length_limits_are_inclusive() -> None:
    row = (1, "01", "t" * 1000, "2001", "2001", "VV", "k" * 30)
    entry = only_entry(read((*HEADER, "Ký hiệu thông tin"), row))
    assert (len(entry.title), entry.infor_sign) == (1000, "k" * 30)


def test_invalid_date_is_refused() -> None:
    reading = read(HEADER, (1, "01", "Hồ sơ", "31/02/2001", "2001", "VV"))
    assert refusals(reading) == [(2, "Thời gian bắt đầu", "D2", "import.invalid-date")]
    assert "31/2/2001" in reading.refused[0].detail


def test_end_before_start_is_refused_on_the_end_date() -> None:
    reading = read(HEADER, (1, "01", "Hồ sơ", "15/06/2005", "10/01/2005", "VV"))
    assert refusals(reading) == [(2, "Thời gian kết thúc", "E2", "import.date-order")]


def test_overlapping_partial_dates_are_in_order() -> None:
    entry = only_entry(read(HEADER, (1, "01", "Hồ sơ", "2001", "03/2001", "VV")))
    assert entry.end_date == PartialDate(2001, 3)


def test_duplicate_file_number_is_refused_naming_the_first_row() -> None:
    reading = read(HEADER, GOOD, (2, "02", "Khác", "2001", "2001", "VV"), (3, *GOOD[1:]))
    assert refusals(reading) == [(4, "Hồ sơ số", "B4", "import.duplicate-row")]
    assert "dòng 2" in reading.refused[0].detail
    assert [entry.row for entry in reading.entries] == [2, 3]


def test_same_number_in_another_fonds_or_inventory_is_not_a_duplicate() -> None:
    header = (*HEADER, "Mã phông", "Mục lục số")
    reading = read(header, (*GOOD, "64", "1"), (*GOOD, "27", "1"), (*GOOD, "64", "2"))
    assert len(reading.entries) == 3


def test_duplicate_file_code_is_refused() -> None:
    header = ("Mã hồ sơ", "Tiêu đề hồ sơ", "Thời gian", "THBQ")
    reading = read(
        header,
        ("H49.64.33.2001.160", "Hồ sơ", "2001", "VV"),
        ("H49.64.33.2001.160", "Hồ sơ khác", "2001", "VV"),
    )
    assert refusals(reading) == [(3, "Mã hồ sơ", "A3", "import.duplicate-row")]
    assert reading.entries[0].file_code == "H49.64.33.2001.160"


def test_every_problem_of_a_row_is_reported_and_the_row_counted_once() -> None:
    reading = read(HEADER, (1, None, None, "31/02/2001", "2001", "09"), GOOD)
    assert refusals(reading) == [
        (2, "Hồ sơ số", "B2", "import.missing-value"),
        (2, "Tiêu đề hồ sơ", "C2", "import.missing-value"),
        (2, "Thời gian bắt đầu", "D2", "import.invalid-date"),
        (2, "Thời hạn bảo quản", "F2", "import.invalid-code"),
    ]
    assert reading.rows == 2
    assert len(reading.entries) == 1


def test_refusal_cells_beyond_column_z() -> None:
    header = (*HEADER, *[f"Cột {i}" for i in range(20)], "Số tờ")
    reading = read(header, (*GOOD, *[None] * 20, "nhiều"))
    assert refusals(reading) == [(2, "Số tờ", "AA2", "import.invalid-number")]


def test_refusal_is_a_value_object() -> None:
    reading = read(HEADER, (1, "01", None, "2001", "2001", "VV"))
    assert reading.refused == (
        RowRefusal(2, "Tiêu đề hồ sơ", "C2", "import.missing-value", "thiếu tiêu đề hồ sơ"),
    )


# --- unreadable -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        [],
        sheet(("Danh sách cán bộ",), ("Họ tên", "Chức vụ")),
        sheet(("Hồ sơ số", "Thời hạn bảo quản", "Số tờ")),  # no title column
        sheet(*[("x",)] * 50, HEADER, GOOD),  # header too far down
    ],
)
def test_no_header_makes_the_sheet_unreadable(rows: list[SheetRow]) -> None:
    with pytest.raises(InventoryUnreadable) as caught:
        read_inventory(rows)
    assert (caught.value.code, caught.value.http_status) == ("catalogue.inventory-unreadable", 422)


def test_header_on_row_50_is_still_found() -> None:
    reading = read_inventory(sheet(*[("x",)] * 49, HEADER, GOOD), default_fonds="64")
    assert reading.header_row == 50


CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        ["Cộng", "2001", "01/2001 - 12/2001", "VV", "(1)", "31/02/2001", "Lâu dài", "²", "١٢"]
    ),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)
ROWS = st.lists(st.lists(CELLS, max_size=10).map(tuple), max_size=12)


@settings(max_examples=300)
@given(ROWS)
def test_arbitrary_rows_raise_nothing_but_unreadable(rows: list[tuple[CellValue, ...]]) -> None:
    with contextlib.suppress(InventoryUnreadable):
        read_inventory(sheet(*rows))


@settings(max_examples=300)
@given(ROWS, st.none() | st.text(max_size=5))
def test_arbitrary_rows_under_a_header_are_read_or_refused(
    rows: list[tuple[CellValue, ...]], default_fonds: str | None
) -> None:
    header = (*HEADER, "Mã hồ sơ", "Ngôn ngữ", "Số tờ", "Thời gian", "Năm")
    reading = read_inventory(sheet(header, *rows), default_fonds=default_fonds)
    refused_rows = {refusal.row for refusal in reading.refused}
    assert reading.rows == len(reading.entries) + len(refused_rows)
    assert refused_rows.isdisjoint(entry.row for entry in reading.entries)
    assert all(unicodedata.is_normalized("NFC", entry.title) for entry in reading.entries)
