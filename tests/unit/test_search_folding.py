"""Search folds diacritics the same way for the index and the query, whole syllables only."""

from __future__ import annotations

import pytest

from services.catalogue.domain.search import EmptyQuery, folded_for_index, folded_query, snippet

pytestmark = pytest.mark.unit


def test_phrase_matches_whole_syllables_without_diacritics() -> None:
    text = folded_for_index("Trung tâm Lưu trữ lịch sử, Đồng Tháp")
    assert folded_query("luu tru") in text
    assert folded_query("ĐỒNG thap") in text
    assert folded_query("lu tr") not in text  # no partial syllables


def test_a_query_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(EmptyQuery):
        folded_query(" ,.- ")


def test_the_snippet_shows_the_original_text_around_the_hit() -> None:
    text = "Kế hoạch số hóa tài liệu lưu trữ của Sở Nội vụ tỉnh Đồng Tháp năm 2024"
    words = snippet(text, "dong thap").split()
    assert words[6:8] == ["Đồng", "Tháp"]  # six words of context before the hit
    assert " ".join(words) in text
