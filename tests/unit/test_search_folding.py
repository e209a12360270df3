"""Search queries: folded like the index, whole syllables as phrases, quotes and prefixes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.catalogue.domain.search import (
    EmptyQuery,
    Phrase,
    exact_for_index,
    folded_for_index,
    parse_query,
)

pytestmark = pytest.mark.unit


def test_the_index_keeps_syllables_folded_and_as_written() -> None:
    text = "Trung tâm Lưu trữ lịch sử, Đồng Tháp (TTLT-ĐT)"
    assert folded_for_index(text) == "trung tam luu tru lich su dong thap ttlt dt"
    assert exact_for_index(text) == "trung tâm lưu trữ lịch sử đồng tháp ttlt đt"


def test_a_query_is_one_phrase_and_quotes_make_more() -> None:
    assert parse_query("ĐỒNG thap") == (Phrase(("dong", "thap"), ("đồng", "thap")),)
    assert parse_query('"chỉnh lý" số h*') == (
        Phrase(("chinh", "ly"), ("chỉnh", "lý")),
        Phrase(("so", "h"), ("số", "h"), prefix=True),
    )


def test_a_query_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(EmptyQuery):
        parse_query(' ,.- "" * ')


@given(st.text(max_size=200))
def test_any_query_parses_to_word_tokens_or_is_refused(query: str) -> None:
    try:
        phrases = parse_query(query)
    except EmptyQuery:
        return
    for phrase in phrases:  # only letters and digits reach FTS5 or to_tsquery
        assert all(w.isalnum() for w in (*phrase.folded, *phrase.exact))
