"""The hồ sơ lifecycle rules of the catalogue, as tables."""

from __future__ import annotations

import itertools

import pytest

from services.catalogue.domain import (
    ALLOWED,
    FileState,
    IllegalTransition,
    check_transition,
    folded_for_index,
    folded_query,
    state_after_pages,
)

pytestmark = pytest.mark.unit
LEGAL = {
    ("inventoried", "digitizing"),
    ("digitizing", "digitized"),
    ("digitized", "accepted"),
    ("digitized", "digitizing"),
    ("accepted", "packaged"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.permutations(FileState, 2)))
def test_every_transition_is_legal_or_refused(current: FileState, target: FileState) -> None:
    if (current.value, target.value) in LEGAL:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_transition(current, target)
    assert set(ALLOWED) == set(FileState)


@pytest.mark.parametrize(
    ("current", "received", "read", "expected"),
    [
        (FileState.INVENTORIED, 0, 0, FileState.INVENTORIED),
        (FileState.INVENTORIED, 1, 0, FileState.DIGITIZING),
        (FileState.DIGITIZING, 3, 2, FileState.DIGITIZING),
        (FileState.DIGITIZING, 3, 3, FileState.DIGITIZED),
        (FileState.INVENTORIED, 3, 3, FileState.DIGITIZED),
        (FileState.ACCEPTED, 3, 3, FileState.ACCEPTED),
        (FileState.PACKAGED, 4, 4, FileState.PACKAGED),
    ],
)
def test_page_arrivals_move_a_file_forward_only(
    current: FileState, received: int, read: int, expected: FileState
) -> None:
    assert state_after_pages(current, expected=3, received=received, with_text=read) == expected


def test_phrase_matches_whole_syllables_without_diacritics() -> None:
    text = folded_for_index("Trung tâm Lưu trữ lịch sử, Đồng Tháp")
    assert folded_query("luu tru") in text
    assert folded_query("ĐỒNG thap") in text
    assert folded_query("lu tr") not in text  # no partial syllables
