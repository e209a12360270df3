"""Vietnamese text rules shared by every service: NFC on entry, one folding rule for search,
and the shape of a mã hồ sơ (file code)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from shared.errors import InvalidFileCode

FILE_CODE_MAX_LENGTH = 100  # TT 05/2025: fileCode String(100)
# Letters (Vietnamese included) and digits, in segments joined by "." "-" or "_"
# (e.g. "H49.64.33.2001.160", "000.00.00.H49.2023.01.TCCB").
# No "/" or spaces: a file code is part of object keys.
_FILE_CODE = re.compile(r"[^\W_]+(?:[.\-_][^\W_]+)*")
_NON_WORD = re.compile(r"[\W_]+")


def nfc(text: str) -> str:
    """Unicode NFC, the only form sohoa stores (TCVN 6909:2001 = Unicode)."""
    return unicodedata.normalize("NFC", text)


def _folded_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _fold_table() -> dict[int, str]:
    """Every character of the Basic Multilingual Plane whose decomposition carries marks (or
    that is a mark), mapped to what folding leaves of it: one ``str.translate`` folds a text
    as decomposing, dropping the marks and recomposing would, many times faster."""
    table: dict[int, str] = {}
    for code in range(0x10000):
        char = chr(code)
        folded = _folded_char(char)
        if folded != char:
            table[code] = folded
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_FOLD = _fold_table()
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")


def fold(text: str) -> str:
    """Fold for diacritic-insensitive matching: NFD, drop marks, đ→d, casefold.

    ``đ`` (U+0111) has no decomposition, so stripping marks alone would keep it.
    """
    if _ASTRAL.search(text):  # beyond the table: the rule itself, character by character
        return "".join(_folded_char(c) for c in text).replace("đ", "d").replace("Đ", "D").casefold()
    return text.translate(_FOLD).casefold()


def search_words(text: str) -> list[str]:
    """The folded syllables of a text, in order: the unit both indexing and queries use."""
    return [word for word in _NON_WORD.split(fold(text)) if word]


def validate_file_code(value: str) -> str:
    """Return the NFC file code, or raise :class:`InvalidFileCode` saying why."""
    code = nfc(value)
    if not code or len(code) > FILE_CODE_MAX_LENGTH:
        raise InvalidFileCode(f"mã hồ sơ phải dài 1–{FILE_CODE_MAX_LENGTH} ký tự: {value!r}")
    if not _FILE_CODE.fullmatch(code):
        raise InvalidFileCode(
            f"mã hồ sơ chỉ gồm chữ, số và các dấu nối '.', '-', '_' giữa chúng: {value!r}"
        )
    return code


def _file_code_for_pydantic(value: str) -> str:
    try:
        return validate_file_code(value)
    except InvalidFileCode as exc:
        raise ValueError(str(exc)) from exc


FileCode = Annotated[str, AfterValidator(_file_code_for_pydantic)]
"""A mã hồ sơ in a pydantic model: validated and NFC."""

NfcStr = Annotated[str, AfterValidator(nfc)]
"""Any Vietnamese text field: normalised to NFC on entry."""
