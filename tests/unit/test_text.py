from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidFileCode
from shared.text import fold, nfc, search_words, validate_file_code

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đường Lưu trữ", "duong luu tru"),
        ("đồng ĐỘC LẬP", "dong doc lap"),
        ("Hạnh phúc", "hanh phuc"),
        ("ư ơ ă â ê ô", "u o a a e o"),
        ("thuỷ", "thuy"),
    ],
)
def test_fold_drops_every_vietnamese_mark_including_d_bar(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_treats_composed_and_decomposed_letters_alike() -> None:
    composed = "Lưu trữ tài liệu"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(composed) == fold(decomposed)
    assert nfc(decomposed) == composed


def test_search_words_split_on_punctuation() -> None:
    assert search_words("Số: 115/KH-UBND, ngày 14") == ["so", "115", "kh", "ubnd", "ngay", "14"]


@pytest.mark.parametrize(
    "code", ["H49.64.33.2001.160", "000.00.00.H49.2023.01.TCCB", "VP-UBND_2024", "ĐA.01"]
)
def test_well_formed_file_codes_are_kept_in_nfc(code: str) -> None:
    assert validate_file_code(unicodedata.normalize("NFD", code)) == code


@pytest.mark.parametrize(
    "code", ["", "a b", "../etc", "H49..160", ".H49", "H49/160", "x" * 101, "H49.", "a\nb"]
)
def test_malformed_file_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidFileCode):
        validate_file_code(code)


@given(st.text(max_size=120))
def test_file_code_validation_accepts_or_refuses_cleanly(raw: str) -> None:
    try:
        code = validate_file_code(raw)
    except InvalidFileCode:
        return
    assert validate_file_code(code) == code
    assert "/" not in code
    assert ".." not in code
    assert len(code) <= 100


def _fold_by_the_rule(text: str) -> str:
    """The folding rule as written in domain notes §8, slowly: the reference for ``fold``."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def test_fold_agrees_with_the_rule_on_every_character_of_the_basic_plane() -> None:
    chars = (chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    assert [c for c in chars if fold(c) != _fold_by_the_rule(c)] == []


@given(st.text(max_size=60))
def test_fold_agrees_with_the_rule_on_any_text(text: str) -> None:
    assert fold(text) == _fold_by_the_rule(text)
