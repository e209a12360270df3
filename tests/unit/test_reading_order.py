"""Reading order of NĐ 30/2020 pages from word boxes: two-column blocks column by column."""

from __future__ import annotations

import pytest

from services.ocr.domain import Word, mean_word_confidence, reading_order, split_at_gaps

pytestmark = pytest.mark.unit
H = 50  # letter height in pixels at 300 dpi


def _line(y: int, *pieces: tuple[int, str]) -> list[Word]:
    """Words of one printed line; each piece starts at x and its words are spaced normally."""
    words: list[Word] = []
    for x, text in pieces:
        for token in text.split():
            width = 30 * len(token)
            words.append(Word(token, x, y, x + width, y + H, 90.0))
            x += width + 18
    return words


def test_joined_header_row_is_read_left_column_then_right() -> None:
    lines = [
        _line(100, (380, "UBND TỈNH TRÀ VINH"), (1170, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")),
        _line(170, (560, "SỞ NỘI VỤ"), (1350, "Độc lập - Tự do - Hạnh phúc")),
        _line(260, (500, "Số: 115/KH-SNV"), (1230, "Trà Vinh, ngày 14 tháng 12 năm 2023")),
        _line(400, (1190, "KẾ HOẠCH")),
        _line(520, (355, "Thực hiện Quyết định số 71/QĐ-TTg của Thủ tướng Chính phủ về bảo hiểm")),
    ]
    assert reading_order(lines).splitlines() == [
        "UBND TỈNH TRÀ VINH",
        "SỞ NỘI VỤ",
        "Số: 115/KH-SNV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Trà Vinh, ngày 14 tháng 12 năm 2023",
        "KẾ HOẠCH",
        "Thực hiện Quyết định số 71/QĐ-TTg của Thủ tướng Chính phủ về bảo hiểm",
    ]


def test_signature_block_keeps_recipients_before_the_signer() -> None:
    lines = [
        _line(100, (355, "Nơi nhận:"), (1510, "KT. GIÁM ĐỐC")),
        _line(160, (355, "- Như trên;"), (1500, "PHÓ GIÁM ĐỐC")),
        _line(220, (355, "- Phòng Nội vụ các huyện,")),  # long, reaching towards the signer
        _line(280, (355, "- Lưu: VT, VP.")),
        _line(520, (1470, "Phạm Đức Khánh")),
    ]
    assert reading_order(lines).splitlines() == [
        "Nơi nhận:",
        "- Như trên;",
        "- Phòng Nội vụ các huyện,",
        "- Lưu: VT, VP.",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Phạm Đức Khánh",
    ]


def test_body_lines_and_justified_spacing_stay_whole() -> None:
    justified = [
        Word(t, x, 0, x + 120, H, 90.0)
        for t, x in (("lưu", 355), ("trữ", 560), ("hồ", 765), ("sơ", 970))
    ]
    assert len(split_at_gaps(justified, 2000)) == 1
    assert reading_order([justified]) == "lưu trữ hồ sơ"
    assert reading_order([]) == ""


def test_mean_confidence_reads_hocr_word_confidences() -> None:
    hocr = "<span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 90'>a</span>" * 2 + (
        "<span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 60'>b</span>"
    )
    assert mean_word_confidence(hocr) == 80.0
    assert mean_word_confidence("<p></p>") is None
