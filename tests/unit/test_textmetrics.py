"""CER/WER: known distances, normalisation that ignores layout and Unicode form, and speed."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.textmetrics import cer, edit_distance, normalise_for_scoring, wer

pytestmark = pytest.mark.unit

VIETNAMESE = "Tài liệu lưu trữ phải được thu thập đầy đủ, chỉnh lý hoàn chỉnh và bảo quản an toàn."


def _reference_distance(a: str | list[str], b: str | list[str]) -> int:
    """The textbook O(n·m) dynamic programme, to check the bit-parallel one against."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("", "", 0),
        ("", "abc", 3),
        ("abc", "", 3),
        ("abc", "abc", 0),
        ("lưu trữ", "luu tru", 2),
        ("Đơn vị", "Don vi", 3),
    ],
)
def test_known_distances(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_distance_over_words() -> None:
    assert edit_distance(["lưu", "trữ", "lịch", "sử"], ["lưu", "trữ", "sử"]) == 1


def test_normalise_collapses_whitespace_and_composes() -> None:
    text = "  Độc lập -\tTự do\n\n- Hạnh  phúc \u00a0"
    assert normalise_for_scoring(text) == "Độc lập - Tự do - Hạnh phúc"
    decomposed = unicodedata.normalize("NFD", "Hạnh phúc")
    assert normalise_for_scoring(decomposed) == "Hạnh phúc"


def test_identical_texts_score_zero() -> None:
    assert cer(VIETNAMESE, VIETNAMESE) == 0.0
    assert wer(VIETNAMESE, VIETNAMESE) == 0.0


def test_nfd_against_nfc_scores_zero() -> None:
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert decomposed != VIETNAMESE
    assert cer(VIETNAMESE, decomposed) == 0.0
    assert wer(VIETNAMESE, decomposed) == 0.0


def test_line_breaks_do_not_count() -> None:
    assert cer("Số: 296/TTr-TTLTLS\nCỘNG HÒA", "Số: 296/TTr-TTLTLS CỘNG  HÒA\n") == 0.0


def test_known_rates() -> None:
    assert cer("abcd", "abxd") == pytest.approx(0.25)
    assert wer("lưu trữ lịch sử", "lưu trữ lich sử") == pytest.approx(0.25)  # one tone = one word
    assert cer("ab", "abab") == pytest.approx(1.0)
    assert cer("ab", "abcdef") == pytest.approx(2.0)  # insertions can push it past 1


def test_empty_cases() -> None:
    assert cer("", "") == 0.0
    assert wer("", "") == 0.0
    assert cer("  \n ", "") == 0.0  # whitespace only is empty after normalising
    assert cer("abc", "") == pytest.approx(1.0)
    assert wer("một hai", "") == pytest.approx(1.0)
    assert cer("", "xyz") == pytest.approx(3.0)  # an empty truth counts as one character
    assert wer("", "xyz") == pytest.approx(1.0)


def test_a_page_scores_fast() -> None:
    truth = (VIETNAMESE + " ") * 25  # ~2,000 characters, a full page
    hypothesis = truth.replace("ư", "u").replace("ả", "a").replace(" ", "  ")
    started = time.perf_counter()
    for _ in range(10):
        cer(truth, hypothesis[::-1])  # a bad read is the slowest case
        wer(truth, hypothesis)
    assert (time.perf_counter() - started) / 10 < 0.2


_TEXT = st.text(alphabet=st.sampled_from("aăâbcdđeêoôơuư ạảãàá\n"), max_size=40)


@given(_TEXT)
def test_cer_of_a_text_with_itself_is_zero(text: str) -> None:
    assert cer(text, text) == 0.0
    assert wer(text, text) == 0.0


@given(_TEXT, _TEXT)
def test_cer_is_bounded_by_the_longer_text(truth: str, hypothesis: str) -> None:
    expected, actual = normalise_for_scoring(truth), normalise_for_scoring(hypothesis)
    rate = cer(truth, hypothesis)
    assert 0.0 <= rate <= max(len(expected), len(actual)) / max(len(expected), 1)


@given(_TEXT, _TEXT)
def test_bit_parallel_distance_matches_the_textbook_one(a: str, b: str) -> None:
    assert edit_distance(a, b) == _reference_distance(a, b)
    words_a, words_b = a.split(), b.split()
    assert edit_distance(words_a, words_b) == _reference_distance(words_a, words_b)
