"""Legacy Vietnamese encodings: TCVN3 and VNI mojibake repaired, files in any encoding decoded,
genuine Unicode never touched."""

from __future__ import annotations

import codecs
import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.legacy_text import (
    DecodedText,
    VietnameseDecoder,
    decode_stream,
    decode_vietnamese,
    detect_encoding,
    is_syllable,
    repair_legacy,
)
from tests.support.inventories import windows_1258

pytestmark = pytest.mark.unit

NATIONAL_MOTTO = "Cộng hoà xã hội chủ nghĩa Việt Nam"
# The independent sample of domain.md §8: TCVN3 bytes of the line above, shown as Latin-1.
TCVN3_SAMPLE = "Céng hoµ x· héi chñ nghÜa ViÖt Nam"
# The same line in VNI Windows: every mark a separate byte after its letter.
VNI_SAMPLE = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"
VNI_READ = "Cộng hòa xã hội chủ nghĩa Việt Nam"


def test_domain_sample_of_tcvn3_is_repaired_byte_exact() -> None:
    data = TCVN3_SAMPLE.encode("latin-1")
    assert data.hex(" ") == (  # the TCVN3 bytes: é=E9 ộ, µ=B5 à, ·=B7 ã, ñ=F1 ủ, Ü=DC ĩ, Ö=D6 ệ
        "43 e9 6e 67 20 68 6f b5 20 78 b7 20 68 e9 69 20 63 68 f1 20 6e 67 68 dc 61 20 56 69 d6 74"
        " 20 4e 61 6d"
    )
    assert repair_legacy(TCVN3_SAMPLE) == NATIONAL_MOTTO
    decoded = decode_vietnamese(data)
    assert (decoded.text, decoded.encoding) == (NATIONAL_MOTTO, "tcvn3")


@pytest.mark.parametrize(
    ("shown", "meant"),
    [
        ("NguyÔn V¨n An", "Nguyễn Văn An"),
        ("§¶ng Céng s¶n ViÖt Nam", "Đảng Cộng sản Việt Nam"),
        ("tr\u00adêng häc", "trường học"),
        ("QuyÕt ®Þnh sè 71/Q§-TTg", "Quyết định số 71/QĐ-TTg"),
        ("Uû ban nh©n d©n tØnh Trµ Vinh", "Uỷ ban nhân dân tỉnh Trà Vinh"),
        ("H§ND tØnh ®· häp", "HĐND tỉnh đã họp"),
        ("UBND ®· ký", "UBND đã ký"),
        ("Hµ Néi", "Hà Nội"),
        ("Thêi gian", "Thời gian"),  # Latin-1 letters Vietnamese has, but "thêi" is no syllable
    ],
)
def test_tcvn3_text_shown_as_latin_1_is_repaired(shown: str, meant: str) -> None:
    assert repair_legacy(shown) == meant


@pytest.mark.parametrize(
    ("shown", "meant"),
    [
        ("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("§éC LËP - Tù DO - H¹NH PHóC", "ĐỘC LẬP - TỰ DO - HẠNH PHÚC"),
        ("I. V¡N B¶N CHØ §¹O", "I. VĂN BẢN CHỈ ĐẠO"),
        ("MôC LôC Hå S¥", "MỤC LỤC HỒ SƠ"),
    ],
)
def test_capitals_font_vntimeh_gives_capitals(shown: str, meant: str) -> None:
    """.VnTimeH draws the lower-case bytes as capitals; the ASCII capitals around say so."""
    assert repair_legacy(shown) == meant


@pytest.mark.parametrize(
    ("shown", "meant"),
    [
        (VNI_SAMPLE, VNI_READ),
        ("Ñaûng Coäng saûn Vieät Nam", "Đảng Cộng sản Việt Nam"),
        ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
        ("ngöôøi ñöôïc", "người được"),
        ("Chuû tòch UBND Tænh", "Chủ tịch UBND Tỉnh"),
        ("VIEÄT NAM", "VIỆT NAM"),
    ],
)
def test_vni_text_shown_as_latin_1_is_repaired(shown: str, meant: str) -> None:
    assert repair_legacy(shown) == meant


@pytest.mark.parametrize(
    "text",
    [
        NATIONAL_MOTTO,
        unicodedata.normalize("NFD", NATIONAL_MOTTO),
        "Mục lục hồ sơ phông Ủy ban nhân dân tỉnh Trà Vinh",
        "Hé",  # a syllable either way: nothing says it is TCVN3 (it would be Hộ)
        "Cà phê sữa",
        "Müller, façade, Ærø",  # other languages' Latin-1 letters stay
        "«Cà» 25°",
    ],
)
def test_genuine_text_is_left_alone_but_nfc(text: str) -> None:
    assert repair_legacy(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("text", ["", "H49.64.33.2001.160", "Mã phông 64", "So to: 12 (to)"])
def test_ascii_is_left_alone(text: str) -> None:
    assert repair_legacy(text) == text


@given(st.text())
def test_repair_never_raises_and_is_idempotent(text: str) -> None:
    repaired = repair_legacy(text)
    assert unicodedata.is_normalized("NFC", repaired)
    assert repair_legacy(repaired) == repaired


@given(st.text(alphabet=st.characters(max_codepoint=0xFF)))
def test_repair_of_any_latin_1_text_is_idempotent(text: str) -> None:
    repaired = repair_legacy(text)
    assert repair_legacy(repaired) == repaired


@pytest.mark.parametrize(
    "word",
    ["nghĩa", "người", "giữ", "gì", "quốc", "khuya", "thuở", "hoạch", "xoong", "việt", "ước"],
)
def test_vietnamese_syllables_are_recognised(word: str) -> None:
    assert is_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["hoµ", "céng", "viêt", "ghà", "kan", "müller", "ạá", "chăng\u0301", "ănh", "thuỷt"],
)
def test_non_syllables_are_refused(word: str) -> None:
    """A leftover symbol, a stop final without sắc/nặng, gh before a, two tones, ch/nh after ă."""
    assert not is_syllable(word)


# --- bytes -------------------------------------------------------------------------------------

MOTTO_LINES = "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc\n"


def test_windows_1258_made_with_pythons_codec_is_decoded() -> None:
    data = windows_1258(MOTTO_LINES)
    assert b"\xf2" in data  # the combining dot below: really the decomposed form of cp1258
    decoded = decode_vietnamese(data)
    assert (decoded.text, decoded.encoding) == (MOTTO_LINES, "cp1258")


def test_vni_bytes_are_decoded() -> None:
    decoded = decode_vietnamese(VNI_SAMPLE.encode("latin-1"))
    assert (decoded.text, decoded.encoding) == (VNI_READ, "vni")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + MOTTO_LINES.encode(), "utf-8"),
        (MOTTO_LINES.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + MOTTO_LINES.encode("utf-16-be"), "utf-16"),
        (MOTTO_LINES.encode(), "utf-8"),
        (unicodedata.normalize("NFD", MOTTO_LINES).encode(), "utf-8"),
    ],
)
def test_unicode_files_are_decoded_to_nfc(data: bytes, encoding: str) -> None:
    decoded = decode_vietnamese(data)
    assert (decoded.text, decoded.encoding) == (MOTTO_LINES, encoding)


def test_utf8_holding_tcvn3_mojibake_is_repaired() -> None:
    """A .VnTime text copied into a UTF-8 file keeps its Latin-1 look; it is still TCVN3."""
    decoded = decode_vietnamese(TCVN3_SAMPLE.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (NATIONAL_MOTTO, "utf-8")


def test_whole_input_cut_inside_a_utf8_sequence_is_not_utf8() -> None:
    decoded = decode_vietnamese("Hồ sơ".encode()[:-1])
    assert decoded.encoding != "utf-8"


def test_empty_and_ascii_files_are_utf8() -> None:
    assert decode_vietnamese(b"") == DecodedText(text="", encoding="utf-8")
    assert decode_vietnamese(b"STT;Ma phong\r\n1;64\r\n").text == "STT;Ma phong\r\n1;64\r\n"


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [
        (TCVN3_SAMPLE.encode("latin-1"), "tcvn3"),
        (VNI_SAMPLE.encode("latin-1"), "vni"),
        (windows_1258(MOTTO_LINES), "cp1258"),
        (MOTTO_LINES.encode() + "ệ".encode()[:2], "utf-8"),  # a sequence cut at the end
        (codecs.BOM_UTF16_LE + b"S\x00", "utf-16"),
    ],
)
def test_detect_encoding_from_a_leading_sample(sample: bytes, encoding: str) -> None:
    assert detect_encoding(sample) == encoding


TCVN3_FILE = (
    b"STT;Ma phong\r\n" * 3
    + "Tiªu ®Ò hå s¬;Thêi gian\r\nB¸o c¸o tæng kÕt;2001\r\nCéNG HOµ;\rx·\n".encode("latin-1")
)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 16, 1000])
def test_incremental_decoding_equals_whole_decoding(chunk_size: int) -> None:
    """However the bytes are split, a mark never loses its letter, nor a word its line."""
    decoder = VietnameseDecoder(sample_size=20)
    parts = [
        decoder.decode(TCVN3_FILE[start : start + chunk_size])
        for start in range(0, len(TCVN3_FILE), chunk_size)
    ]
    parts.append(decoder.decode(b"", final=True))
    assert decoder.encoding == "tcvn3"
    assert "".join(parts) == decode_vietnamese(TCVN3_FILE).text
    assert "".join(parts).endswith("CỘNG HOÀ;\rxã\n")


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30))
def test_vni_decoding_is_the_same_for_any_split(sizes: list[int]) -> None:
    data = "Tieâu ñeà hoà sô\r\nCoäng hoøa xaõ hoäi chuû nghóa Vieät Nam\r\n".encode("latin-1") * 3
    decoder = VietnameseDecoder(sample_size=8)
    parts, start = [], 0
    for size in sizes:
        parts.append(decoder.decode(data[start : start + size]))
        start += size
    parts.append(decoder.decode(data[start:], final=True))
    assert "".join(parts) == decode_vietnamese(data).text


def test_decoder_passes_leading_ascii_lines_before_deciding() -> None:
    decoder = VietnameseDecoder(sample_size=1000)
    assert decoder.decode(b"STT;Ma phong\nSo to") == "STT;Ma phong\n"
    assert decoder.encoding is None
    assert decoder.decode("\n§iÒu 1\n".encode("latin-1"), final=True) == "So to\nĐiều 1\n"
    assert decoder.encoding == "tcvn3"


def test_bytes_that_break_utf8_after_a_utf8_decision_raise() -> None:
    decoder = VietnameseDecoder(sample_size=4)
    decoder.decode("Hồ sơ\n".encode())
    with pytest.raises(UnicodeDecodeError):
        decoder.decode(b"\xff\xfe\n", final=True)


def test_decode_stream_yields_whole_lines() -> None:
    stream = io.BytesIO(VNI_SAMPLE.encode("latin-1") + b"\n" + b"Nam\n" * 10)
    pieces = list(decode_stream(stream, chunk_size=5))
    assert all(piece.endswith("\n") for piece in pieces)
    assert "".join(pieces) == VNI_READ + "\n" + "Nam\n" * 10
