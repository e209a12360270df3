"""Mục lục hồ sơ as archives really send them, and what a correct reading of each gives.

``write_messy_inventory`` makes an .xlsx with everything that goes wrong in practice: title
lines and a preamble above a two-row header on row 4, merged cells, dates typed as text in
several forms, a subtotal and a blank row, one cell typed in the TCVN3 font ``.VnTime`` and a
few bad rows. ``write_tcvn3_csv`` makes the same kind of inventory as a ``;``-separated CSV
whose bytes are TCVN3, as Excel on a Vietnamese Windows saves it.

The expected values are written out literally (NFC), never computed by the code under test;
the TCVN3 text is written as the Latin-1 characters its bytes show as.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font


@dataclass(frozen=True)
class ExpectedEntry:
    """The key values of an accepted hồ sơ row: codes as TT 05 writes them, dates in the
    TT 05 form (DD/MM/YYYY, MM/YYYY or YYYY)."""

    row: int
    fonds_code: str
    file_number: str
    title: str
    maintenance: str
    start_date: str
    end_date: str
    number_of_paper: int | None
    group: str | None
    description: str | None = None
    inventory_number: str | None = None


@dataclass(frozen=True)
class ExpectedRefusal:
    row: int
    column: str  # header as printed
    cell: str
    code: str


@dataclass(frozen=True)
class ExpectedInventory:
    header_row: int
    rows: int  # hồ sơ rows: accepted + refused
    columns: dict[str, str]  # field → header as printed
    entries: tuple[ExpectedEntry, ...]
    refusals: tuple[ExpectedRefusal, ...]
    skipped: tuple[tuple[int, str], ...]  # (row, why)


GROUP_1 = "I. VĂN BẢN CHỈ ĐẠO, HƯỚNG DẪN"
GROUP_2 = "II. BÁO CÁO, THỐNG KÊ"
TITLE_TCVN3 = "B¸o c¸o tæng kÕt c«ng t¸c v¨n th\u00ad, l\u00adu tr÷ n¨m 2001"  # typed in .VnTime
TITLE_TCVN3_READ = "Báo cáo tổng kết công tác văn thư, lưu trữ năm 2001"
PERMANENT = "Vĩnh viễn"

# fmt: off
_MESSY_ROWS: tuple[tuple[str | int | datetime | None, ...], ...] = (  # the row, then its cells A–H
    (8, 1, "01", "Quyết định về việc thành lập Hội đồng xác định giá trị tài liệu",
     "14/12/2001", datetime(2001, 12, 28), 12, PERMANENT, None),
    (9, 2, "02", "Kế hoạch chỉnh lý tài liệu tồn đọng năm 2002",
     "5-3-2002", "20/03/2002", "15 tờ", None, None),
    (10, 3, "03", TITLE_TCVN3, "03/2001", "12/2001", 8, None, None),
    (11, 4, "04", "Công văn của Sở Nội vụ về hướng dẫn lập danh mục hồ sơ",
     "2001", "2001", 20, None, None),
    (15, 5, "05", "Báo cáo thống kê cơ sở tài liệu lưu trữ năm 2002",
     "ngày 05 tháng 02 năm 2003", "ngày 28 tháng 02 năm 2003", 30, "70 năm", None),
    (16, 6, "06", None, "2003", "2003", 5, PERMANENT, None),
    (17, 7, "07", "Tờ trình về kinh phí chỉnh lý", "31/02/2001", "15/03/2001", 7, "VV", None),
    (18, 8, "08", "Sổ đăng ký văn bản đi năm 2004", "2004", "2004", 9, "09", None),
    (19, 9, "09", "Biên bản bàn giao tài liệu", "15/06/2005", "10/01/2005", 11, PERMANENT, None),
    (20, 10, "02", "Kế hoạch chỉnh lý tài liệu (bản sao)", "2002", "2002", 3, PERMANENT, None),
    (21, 11, "11", "Hồ sơ hội nghị tổng kết công tác năm 2004", 38353, "2005", "25 tờ",
     "Lâu dài", "Bản chính"),  # 38353: an Excel serial number, 01/01/2005
    (22, 12, "12", "Quyết định   phê duyệt\nkế hoạch", "2004", "2005", 10, 20, None),
)
MESSY_INVENTORY = ExpectedInventory(
    header_row=4,
    rows=12,
    columns={
        "file_number": "Hồ sơ số",
        "title": "Tiêu đề hồ sơ",
        "start_date": "Thời gian / Bắt đầu",
        "end_date": "Thời gian / Kết thúc",
        "number_of_paper": "Số tờ",
        "maintenance": "Thời hạn bảo quản",
        "description": "Ghi chú",
    },
    entries=tuple(
        ExpectedEntry(row, "64", number, title, maintenance, start, end, paper, group,
                      description, inventory_number="01")
        for row, number, title, maintenance, start, end, paper, group, description in (
            (8, "01", "Quyết định về việc thành lập Hội đồng xác định giá trị tài liệu",
             "01", "14/12/2001", "28/12/2001", 12, GROUP_1, None),
            (9, "02", "Kế hoạch chỉnh lý tài liệu tồn đọng năm 2002",
             "01", "05/03/2002", "20/03/2002", 15, GROUP_1, None),
            (10, "03", TITLE_TCVN3_READ, "01", "03/2001", "12/2001", 8, GROUP_1, None),
            (11, "04", "Công văn của Sở Nội vụ về hướng dẫn lập danh mục hồ sơ",
             "01", "2001", "2001", 20, GROUP_1, None),
            (15, "05", "Báo cáo thống kê cơ sở tài liệu lưu trữ năm 2002",
             "02", "05/02/2003", "28/02/2003", 30, GROUP_2, None),
            (21, "11", "Hồ sơ hội nghị tổng kết công tác năm 2004", "07", "01/01/2005", "2005",
             25, GROUP_2, "Bản chính; Thời hạn bảo quản theo mục lục: Lâu dài"),
            (22, "12", "Quyết định phê duyệt kế hoạch", "05", "2004", "2005", 10, GROUP_2, None),
        )
    ),
    refusals=(
        ExpectedRefusal(16, "Tiêu đề hồ sơ", "C16", "import.missing-value"),
        ExpectedRefusal(17, "Thời gian / Bắt đầu", "D17", "import.invalid-date"),
        ExpectedRefusal(18, "Thời hạn bảo quản", "G18", "import.invalid-code"),
        ExpectedRefusal(19, "Thời gian / Kết thúc", "E19", "import.date-order"),
        ExpectedRefusal(20, "Hồ sơ số", "B20", "import.duplicate-row"),
    ),
    skipped=(
        (1, "preamble"), (2, "preamble"), (3, "preamble"), (6, "column-numbers"),
        (7, "group-heading"), (12, "subtotal"), (13, "blank"), (14, "group-heading"),
    ),
)
# fmt: on


def write_messy_inventory(path: Path) -> ExpectedInventory:
    """An .xlsx mục lục with its header on row 4 (two rows: ``Thời gian`` merged over
    ``Bắt đầu`` | ``Kết thúc``) and the troubles of real ones; see the module docstring."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Mục lục"

    def merged_row(row: int, text: str) -> None:
        sheet.cell(row, 1, text)
        sheet.merge_cells(f"A{row}:H{row}")

    merged_row(1, "TRUNG TÂM LƯU TRỮ LỊCH SỬ TỈNH TRÀ VINH")
    merged_row(2, "MỤC LỤC HỒ SƠ")
    sheet["A3"] = "Phông: Văn phòng Ủy ban nhân dân tỉnh Trà Vinh (1992 – 2005)"
    sheet.merge_cells("A3:E3")
    sheet["F3"], sheet["G3"], sheet["H3"] = "Mã phông:", 64, "Mục lục số: 01"
    headers = ("STT", "Hồ sơ số", "Tiêu đề hồ sơ", "Số tờ", "Thời hạn bảo quản", "Ghi chú")
    for column, header in zip("ABCFGH", headers, strict=True):
        sheet[f"{column}4"] = header
        sheet.merge_cells(f"{column}4:{column}5")
    sheet["D4"] = "Thời gian"
    sheet.merge_cells("D4:E4")
    sheet["D5"], sheet["E5"] = "Bắt đầu", "Kết thúc"
    for index, column in enumerate("ABCDEFGH", 1):
        sheet[f"{column}6"] = f"({index})"

    merged_row(7, GROUP_1)
    for row, *values in _MESSY_ROWS:
        for column, value in zip("ABCDEFGH", values, strict=True):
            if value is not None:
                sheet[f"{column}{row}"] = value
    sheet.merge_cells("G8:G11")  # one retention for the whole group
    sheet["C10"].font = Font(name=".VnTime")
    sheet["A12"] = "Cộng"
    sheet.merge_cells("A12:E12")
    sheet["F12"] = "=SUM(F8:F11)"
    merged_row(14, GROUP_2)
    workbook.save(path)
    return MESSY_INVENTORY


# Each line as its TCVN3 bytes show in Latin-1 (\u00ad is the byte AD, ư); ";" separated,
# every line as wide as the table, the way Excel writes it.
_TCVN3_LINES = (
    "Uû ban nh©n d©n huyÖn CÇu KÌ;;;;;;",
    "Môc lôc hå s¬;;;;;;",
    "Ph«ng: V¨n phßng H§ND vµ UBND huyÖn;;;M· ph«ng: 27;;;",
    "STT;Sè hå s¬;Tiªu ®Ò hå s¬;Thêi gian;Sè tê;Thêi h¹n b¶o qu¶n;Ghi chó",
    "I. V¡N B¶N CHØ §¹O;;;;;;",  # typed in .VnTimeH, the capitals font
    '1;01;"QuyÕt ®Þnh vÒ viÖc ban hµnh quy chÕ v¨n th\u00ad; l\u00adu tr÷";'
    "01/2001 - 12/2001;12;VÜnh viÔn;",
    "2;02;B¸o c¸o t×nh h×nh thùc hiÖn nhiÖm vô giai ®o¹n 2001-2005;2001-2005;45;70 n¨m;",
    "3;03;Sæ ®¨ng ký v¨n b¶n ®i;2003;8;VÜnh viÔn;B¶n chÝnh",
    ";;;;;;",
    "4;04;;2004;10;VÜnh viÔn;",
    "5;05;Hå s¬ héi nghÞ c¸n bé;14/12/2004 - 05/12/2004;12;VÜnh viÔn;",
    "6;06;Danh s¸ch c¸n bé;2005;m\u00adêi;VÜnh viÔn;",
    "7;07;Ch\u00ad¬ng tr×nh c«ng t¸c n¨m 2005;2005;6;;",
    "8;08;Hå s¬ vÒ c«ng t¸c thi ®ua;2006;7;L©u dµi;",
    "Tæng céng;;;;;;",
)
GROUP_CSV = "I. VĂN BẢN CHỈ ĐẠO"

# fmt: off
TCVN3_INVENTORY = ExpectedInventory(
    header_row=4,
    rows=8,
    columns={
        "file_number": "Số hồ sơ",
        "title": "Tiêu đề hồ sơ",
        "period": "Thời gian",
        "number_of_paper": "Số tờ",
        "maintenance": "Thời hạn bảo quản",
        "description": "Ghi chú",
    },
    entries=tuple(
        ExpectedEntry(row, "27", number, title, maintenance, start, end, paper, GROUP_CSV,
                      description)
        for row, number, title, maintenance, start, end, paper, description in (
            (6, "01", "Quyết định về việc ban hành quy chế văn thư; lưu trữ", "01",
             "01/2001", "12/2001", 12, None),
            (7, "02", "Báo cáo tình hình thực hiện nhiệm vụ giai đoạn 2001-2005", "02",
             "2001", "2005", 45, None),
            (8, "03", "Sổ đăng ký văn bản đi", "01", "2003", "2003", 8, "Bản chính"),
            (14, "08", "Hồ sơ về công tác thi đua", "07", "2006", "2006", 7,
             "Thời hạn bảo quản theo mục lục: Lâu dài"),
        )
    ),
    refusals=(
        ExpectedRefusal(10, "Tiêu đề hồ sơ", "C10", "import.missing-value"),
        ExpectedRefusal(11, "Thời gian", "D11", "import.date-order"),
        ExpectedRefusal(12, "Số tờ", "E12", "import.invalid-number"),
        ExpectedRefusal(13, "Thời hạn bảo quản", "F13", "import.missing-value"),
    ),
    skipped=(
        (1, "preamble"), (2, "preamble"), (3, "preamble"), (5, "group-heading"), (9, "blank"),
        (15, "subtotal"),
    ),
)
# fmt: on


def write_tcvn3_csv(path: Path) -> ExpectedInventory:
    """A mục lục as a TCVN3 ``;``-separated CSV with CRLF line ends: a preamble giving
    ``Mã phông: 27``, the header on row 4, one ``Thời gian`` column holding ranges."""
    path.write_bytes("".join(f"{line}\r\n" for line in _TCVN3_LINES).encode("latin-1"))
    return TCVN3_INVENTORY


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 stores it, made with Python's own codec: ă â ê ô ơ ư đ
    precomposed, each tone a combining mark after its letter (NFC text does not encode)."""
    letters: list[list[str]] = []  # [letter with its shape, its tone]
    for ch in unicodedata.normalize("NFD", text):
        if not unicodedata.combining(ch) or not letters:
            letters.append([ch, ""])
        elif ch in _TONES:
            letters[-1][1] += ch
        else:
            letters[-1][0] = unicodedata.normalize("NFC", letters[-1][0] + ch)
    return "".join(letter + tone for letter, tone in letters).encode("cp1258")
