"""Reading order of NĐ 30/2020 pages from word boxes: two-column blocks column by column."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from services.ocr.domain import (
    ALTO,
    Word,
    alto_of,
    blocks_text,
    hocr_lines,
    mean_word_confidence,
    ordered_blocks,
    reading_order,
    reorder_hocr,
    split_at_gaps,
)

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


def _hocr(lines: list[list[Word]]) -> str:
    """tesseract-shaped hOCR of ``lines``, one ocr_line each, in the order given."""
    spans = []
    for number, line in enumerate(lines):
        words = " ".join(
            f"<span class='ocrx_word' id='w{number}_{i}' "
            f"title='bbox {w.x0} {w.y0} {w.x1} {w.y1}; x_wconf 90'>{w.text}</span>"
            for i, w in enumerate(line)
        )
        x0, y0 = min(w.x0 for w in line), min(w.y0 for w in line)
        x1, y1 = max(w.x1 for w in line), max(w.y1 for w in line)
        spans.append(
            f"<span class='ocr_line' id='l{number}' title=\"bbox {x0} {y0} {x1} {y1}; "
            f'baseline 0 -10; x_size 50">{words}</span>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        "<div class='ocr_page' id='page_1' title='bbox 0 0 2480 3508'>"
        f"<div class='ocr_carea'><p class='ocr_par'>{''.join(spans)}</p></div>"
        "</div></body></html>"
    )


def test_hocr_and_alto_follow_the_reading_order_of_the_text() -> None:
    lines = [
        _line(100, (380, "UBND TỈNH TRÀ VINH"), (1170, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")),
        _line(170, (560, "SỞ NỘI VỤ"), (1350, "Độc lập - Tự do - Hạnh phúc")),
        _line(260, (500, "Số: 115/KH-SNV"), (1230, "Trà Vinh, ngày 14 tháng 12 năm 2023")),
        _line(400, (1190, "KẾ HOẠCH")),
    ]
    blocks = ordered_blocks(lines)
    text = blocks_text(blocks)
    hocr = reorder_hocr(_hocr(lines), blocks)
    alto = alto_of(blocks, (2480, 3508), "tesseract 5.3.0")
    assert hocr.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert reading_order(hocr_lines(hocr)) == text
    hocr_words = [w.text for line in hocr_lines(hocr) for w in line]
    alto_words = [s.get("CONTENT") for s in ET.fromstring(alto).iter(f"{{{ALTO}}}String")]
    assert hocr_words == text.split()
    assert alto_words == text.split()
    # the joined header rows became separate lines: issuer lines first, then the motto's
    first_lines = [" ".join(w.text for w in line) for line in hocr_lines(hocr)][:4]
    assert first_lines == [
        "UBND TỈNH TRÀ VINH",
        "SỞ NỘI VỤ",
        "Số: 115/KH-SNV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ]
    blocks_in_alto = ET.fromstring(alto).iter(f"{{{ALTO}}}TextBlock")
    assert [len(list(b.iter(f"{{{ALTO}}}TextLine"))) for b in blocks_in_alto] == [
        3,
        4,
    ]  # the title, right of the column gap, joins the right column
