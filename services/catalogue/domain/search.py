"""Diacritic-insensitive search over page text (domain notes §8): one folding rule for the index
and the query, whole syllables only, and a snippet of the original text around the hit."""

from __future__ import annotations

from shared.errors import PermanentError
from shared.text import search_words


class EmptyQuery(PermanentError):
    code = "catalogue.empty-query"
    title = "Từ khóa tìm kiếm rỗng"
    http_status = 422


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
