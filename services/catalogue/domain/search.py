"""Rules of a hồ sơ's life in the catalogue. No I/O here.

The skeleton walks inventoried → digitizing → digitized → accepted → packaged; the steps
described (biên mục) and verified (kiểm tra) join the table with the catalogue issue.
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import Conflict, NotFound, PermanentError
from shared.text import search_words


class FileState(StrEnum):
    INVENTORIED = "inventoried"
    DIGITIZING = "digitizing"
    DIGITIZED = "digitized"
    ACCEPTED = "accepted"
    PACKAGED = "packaged"


ALLOWED: dict[FileState, frozenset[FileState]] = {
    FileState.INVENTORIED: frozenset({FileState.DIGITIZING}),
    FileState.DIGITIZING: frozenset({FileState.DIGITIZED}),
    FileState.DIGITIZED: frozenset({FileState.ACCEPTED, FileState.DIGITIZING}),
    FileState.ACCEPTED: frozenset({FileState.PACKAGED}),
    FileState.PACKAGED: frozenset(),
}


class FileNotFound(NotFound):
    code = "catalogue.file-not-found"
    title = "Không tìm thấy hồ sơ"


class FileExists(Conflict):
    code = "catalogue.file-exists"
    title = "Hồ sơ đã được đăng ký với nội dung khác"


class IllegalTransition(Conflict):
    code = "catalogue.illegal-transition"
    title = "Chuyển trạng thái hồ sơ không hợp lệ"


class FileIncomplete(Conflict):
    code = "catalogue.file-incomplete"
    title = "Hồ sơ chưa đủ trang đã nhận dạng"


class EmptyQuery(PermanentError):
    code = "catalogue.empty-query"
    title = "Từ khóa tìm kiếm rỗng"
    http_status = 422


def check_transition(current: FileState, target: FileState) -> None:
    if target not in ALLOWED[current]:
        raise IllegalTransition(f"không thể chuyển hồ sơ từ '{current}' sang '{target}'")


def state_after_pages(
    current: FileState, *, expected: int, received: int, with_text: int
) -> FileState:
    """Where page arrivals move a hồ sơ: digitizing from the first page, digitized when every
    declared page (số lượng trang) is stored and read."""
    if current in (FileState.ACCEPTED, FileState.PACKAGED):
        return current
    if received == 0:
        return current
    if with_text >= expected and received >= expected:
        return FileState.DIGITIZED
    return FileState.DIGITIZING


def folded_for_index(text: str) -> str:
    """The text as search compares it: folded syllables between single spaces, padded so a
    phrase matches only whole syllables."""
    return f" {' '.join(search_words(text))} "


def folded_query(query: str) -> str:
    words = search_words(query)
    if not words:
        raise EmptyQuery("hãy nhập ít nhất một chữ hoặc số")
    return f" {' '.join(words)} "


def snippet(text: str, query: str, width: int = 80) -> str:
    """A window of the original text around the first word of the query."""
    words = search_words(query)
    original_words = text.split()
    for index, word in enumerate(original_words):
        if search_words(word)[:1] == words[:1]:
            start = max(0, index - 6)
            return " ".join(original_words[start : start + 16])[: width * 2]
    return " ".join(original_words[:16])
