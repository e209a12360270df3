"""The hồ sơ aggregate: every step's gate, every illegal transition refused with the state and
the allowed steps, and the events each step records."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from services.catalogue.domain.codes import AccessMode, SelectionCriterion
from services.catalogue.domain.errors import (
    CountsMissing,
    DescriptionIncomplete,
    DescriptionLocked,
    DocumentNotFound,
    IllegalTransition,
    InvalidField,
    InvalidSelection,
    UnexpectedPage,
    VerificationFailed,
)
from services.catalogue.domain.findings import Finding, Severity, Waiver
from services.catalogue.domain.identifiers import FileCodeParts
from services.catalogue.domain.model import (
    ALLOWED,
    LOCKED,
    ArchivalFile,
    Criterion,
    FileState,
    PackageRef,
    RescanItem,
)
from shared.events import FileAccepted, FileStateChanged
from tests.support.catalogue import (
    APPROVER,
    ARCHIVIST,
    AT,
    DECISION,
    FILE_CODE,
    REVIEWER,
    acceptance,
    approved,
    described,
    description,
    digitized,
    document,
    in_state,
    page,
    reading,
    registered,
    verified,
)

pytestmark = pytest.mark.unit
S = FileState
LEGAL = {
    (S.INVENTORIED, S.SELECTED),
    (S.SELECTED, S.APPROVED),
    (S.APPROVED, S.DIGITIZING),
    (S.DIGITIZING, S.DIGITIZED),
    (S.DIGITIZED, S.DESCRIBED),
    (S.DESCRIBED, S.VERIFIED),
    (S.VERIFIED, S.ACCEPTED),
    (S.ACCEPTED, S.PACKAGED),
    (S.PACKAGED, S.HANDED_OVER),
    (S.DIGITIZED, S.RESCAN_REQUESTED),
    (S.DESCRIBED, S.RESCAN_REQUESTED),
    (S.VERIFIED, S.RESCAN_REQUESTED),
    (S.RESCAN_REQUESTED, S.DIGITIZING),
    (S.HANDED_OVER, S.RESCAN_REQUESTED),  # a supplement after handover
}


def test_the_transition_table_is_the_programmes_flow() -> None:
    assert set(ALLOWED) == set(FileState)
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == LEGAL


def _state(file: ArchivalFile) -> FileState:
    """Read afresh after each step (an attribute read would stay narrowed by the last assert)."""
    return file.state


def _criteria() -> list[Criterion]:
    return [Criterion(SelectionCriterion.PERMANENT_RETENTION, "bảo quản vĩnh viễn")]


def _describe(file: ArchivalFile) -> None:
    if file.state not in LOCKED:
        file.set_document(1, document(1, 3))
    file.confirm_description(by=ARCHIVIST, at=AT)


def _listed(value: object) -> list[dict[str, Any]]:
    assert isinstance(value, list)
    return value


Step = Callable[[ArchivalFile], object]
STEPS: dict[str, tuple[Step, frozenset[FileState]]] = {
    "select": (
        lambda f: f.select(_criteria(), by=ARCHIVIST, at=AT),
        frozenset({S.INVENTORIED, S.SELECTED}),
    ),
    "approve": (lambda f: f.approve(DECISION, by=APPROVER, at=AT), frozenset({S.SELECTED})),
    "confirm_description": (lambda f: _describe(f), frozenset({S.DIGITIZED})),
    "sign_off_verification": (
        lambda f: f.sign_off_verification(uuid.uuid4(), [], [], by=REVIEWER, at=AT),
        frozenset({S.DESCRIBED}),
    ),
    "request_rescan": (
        lambda f: f.request_rescan([RescanItem(1, "mờ")], by=REVIEWER, at=AT),
        frozenset({S.DIGITIZED, S.DESCRIBED, S.VERIFIED, S.HANDED_OVER}),
    ),
    "accept": (lambda f: f.accept(acceptance()), frozenset({S.VERIFIED})),
    "mark_packaged": (
        lambda f: f.mark_packaged(PackageRef(uuid.uuid4(), "k", "0" * 64), by=ARCHIVIST, at=AT),
        frozenset({S.ACCEPTED}),
    ),
    "mark_handed_over": (
        lambda f: f.mark_handed_over("BN-9", by=ARCHIVIST, at=AT),
        frozenset({S.PACKAGED}),
    ),
}


@pytest.mark.parametrize("state", list(FileState))
@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_is_taken_only_from_its_states(state: FileState, step: str) -> None:
    run, allowed_from = STEPS[step]
    file = in_state(state)
    if state in allowed_from:
        run(file)
        return
    repeated = (
        (step == "accept" and file.acceptance is not None)
        or (step == "approve" and file.approval == DECISION)
        or (step == "mark_handed_over" and state is S.HANDED_OVER)
    )
    if repeated:
        assert run(file) is False  # the same decision again, not a new one
        return
    with pytest.raises(IllegalTransition) as refused:
        run(file)
    assert refused.value.extra["state"] == state.value
    assert refused.value.extra["allowed"] == sorted(ALLOWED[state])
    assert file.state is state


def test_registration_records_who_and_announces_the_closed_gate() -> None:
    file = registered()
    (transition,) = file.pull_transitions()
    assert (transition.from_state, transition.to_state) == (None, S.INVENTORIED)
    assert transition.actor == ARCHIVIST
    (event,) = file.pull_events()
    assert isinstance(event, FileStateChanged)
    assert (event.from_state, event.to_state, event.version) == ("", "inventoried", 1)
    assert (event.person, event.client) == ("Nguyễn Thị Hương", "vpubnd")
    assert not event.open_for_scanning


@pytest.mark.parametrize(
    ("mode", "public"),
    [
        (AccessMode.PUBLIC, True),
        (AccessMode.CONDITIONAL, False),
        (AccessMode.SECRET, False),
        (None, False),
    ],
)
def test_each_state_change_says_whether_partner_systems_may_hear_of_it(
    mode: AccessMode | None, public: bool
) -> None:
    """Webhooks announce a hồ sơ to partner readers only when chế độ sử dụng is 01; one not
    recorded yet counts as restricted."""
    file = registered(mode=mode)
    file.select(_criteria(), by=ARCHIVIST, at=AT)
    events = [e for e in file.pull_events() if isinstance(e, FileStateChanged)]
    assert [e.to_state for e in events] == ["inventoried", "selected"]
    assert {e.public for e in events} == {public}


def test_a_code_composed_from_parts_must_be_the_code_registered() -> None:
    parts = FileCodeParts("H49.64.33", 2001, "160")
    assert ArchivalFile.register(FILE_CODE, description(), by=ARCHIVIST, at=AT, parts=parts)
    with pytest.raises(InvalidField):
        ArchivalFile.register("H49.64.33.2002.160", description(), by=ARCHIVIST, at=AT, parts=parts)


def test_selection_needs_a_criterion_with_its_evidence() -> None:
    file = registered()
    with pytest.raises(InvalidSelection):
        file.select([], by=ARCHIVIST, at=AT)
    with pytest.raises(InvalidSelection):
        Criterion(SelectionCriterion.UNUSUAL_CARRIER, "  ")
    twice = [Criterion(SelectionCriterion(1), "a"), Criterion(SelectionCriterion(1), "b")]
    with pytest.raises(InvalidSelection):
        file.select(twice, by=ARCHIVIST, at=AT)
    assert _state(file) is S.INVENTORIED


def test_criteria_may_be_amended_until_approval() -> None:
    file = registered()
    file.select(_criteria(), by=ARCHIVIST, at=AT)
    amended = [Criterion(SelectionCriterion.VALUABLE_AT_RISK, "giấy giòn, mủn")]
    file.select(amended, by=ARCHIVIST, at=AT)
    assert file.criteria == tuple(amended)
    assert [t.to_state for t in file.pull_transitions()] == [S.INVENTORIED, S.SELECTED]


def test_scans_are_refused_until_approved_and_arranged() -> None:
    unarranged = approved(arranged=False)
    assert not unarranged.open_for_scanning
    with pytest.raises(UnexpectedPage):
        unarranged.receive_page(page(1), at=AT)
    unarranged.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT)
    assert unarranged.open_for_scanning
    assert unarranged.receive_page(page(1), at=AT)
    assert _state(unarranged) is S.DIGITIZING
    for state in (S.INVENTORIED, S.SELECTED):
        file = in_state(state)
        file.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT)
        with pytest.raises(UnexpectedPage):
            file.receive_page(page(1), at=AT)


def test_arrangement_announces_the_open_gate_without_a_transition() -> None:
    file = approved(arranged=False)
    file.pull_events()
    file.pull_transitions()
    file.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT)
    (event,) = file.pull_events()
    assert isinstance(event, FileStateChanged)
    assert event.from_state == event.to_state == "approved"
    assert event.arranged
    assert event.open_for_scanning
    assert file.pull_transitions() == []


def test_arrangement_needs_the_counted_leaves_and_only_before_scanning() -> None:
    file = registered(number_of_paper=None)
    with pytest.raises(CountsMissing):
        file.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT)
    file.confirm_arrangement("Phạm Thị Chỉnh", by=ARCHIVIST, at=AT, number_of_paper=2)
    assert file.description.number_of_paper == 2
    with pytest.raises(IllegalTransition):
        digitized().confirm_arrangement("x", by=ARCHIVIST, at=AT)


def test_digitized_once_every_declared_page_is_stored_and_read_in_any_order() -> None:
    file = approved(pages=2)
    first, second = page(1), page(2)
    assert file.record_reading(second.page_id, 2, reading(second.page_id), at=AT)  # OCR first
    file.receive_page(first, at=AT)
    file.record_reading(first.page_id, 1, reading(first.page_id), at=AT)
    assert _state(file) is S.DIGITIZING
    file.receive_page(second, at=AT)
    assert _state(file) is S.DIGITIZED
    assert [t.to_state for t in file.pull_transitions()][-2:] == [S.DIGITIZING, S.DIGITIZED]


def test_redelivered_page_events_change_nothing() -> None:
    file = approved(pages=2)
    scan = page(1)
    assert file.receive_page(scan, at=AT)
    assert not file.receive_page(page(1, scan.page_id), at=AT)
    assert file.record_reading(scan.page_id, 1, reading(scan.page_id), at=AT)
    assert not file.record_reading(scan.page_id, 1, reading(scan.page_id, read_at=AT), at=AT)
    assert not file.record_page_failure(scan.page_id, 1, "ocr.page-timeout", "late")


def test_a_second_image_at_a_page_number_is_refused_unless_sent_back() -> None:
    file = approved(pages=2)
    file.receive_page(page(1), at=AT)
    with pytest.raises(UnexpectedPage):
        file.receive_page(page(1), at=AT)


def test_description_names_every_missing_element() -> None:
    file = digitized()
    with pytest.raises(DescriptionIncomplete) as refused:
        file.confirm_description(by=ARCHIVIST, at=AT)
    assert _listed(refused.value.extra["missing"]) == [
        {"field": "documents", "label": "Văn bản trong hồ sơ", "document": None}
    ]
    file.set_document(1, document(1, 3, subject=None, organ_name=None))
    file.update_description({"end_date": None, "format": None}, by=ARCHIVIST, at=AT)
    with pytest.raises(DescriptionIncomplete) as refused:
        file.confirm_description(by=ARCHIVIST, at=AT)
    missing = {(m["field"], m["document"]) for m in _listed(refused.value.extra["missing"])}
    assert missing == {("endDate", None), ("format", None), ("organName", 1), ("subject", 1)}
    assert _state(file) is S.DIGITIZED


def test_document_defaults_come_from_the_file() -> None:
    file = described()
    ((ordinal, effective),) = file.effective_documents()
    assert ordinal == 1
    assert effective.maintenance == file.description.maintenance
    assert effective.languages == file.description.languages
    assert effective.number_of_page == 3


def test_a_page_range_beyond_the_declared_pages_is_refused() -> None:
    with pytest.raises(InvalidField):
        digitized().set_document(1, document(2, 4))
    with pytest.raises(InvalidField):
        document(3, 2)


def test_blocking_findings_stop_verification_unless_waived() -> None:
    findings = [
        Finding("blank-page", Severity.WARNING, "trang 2 trắng", page=2),
        Finding("colour-depth", Severity.ERROR, "ảnh xám", page=1),
    ]
    file = described()
    with pytest.raises(VerificationFailed) as refused:
        file.sign_off_verification(uuid.uuid4(), findings, [], by=REVIEWER, at=AT)
    assert [f["check"] for f in _listed(refused.value.extra["findings"])] == [
        "blank-page",
        "colour-depth",
    ]
    assert _state(file) is S.DESCRIBED
    waiver = Waiver("colour-depth", "bản gốc in đen trắng")
    record = file.sign_off_verification(uuid.uuid4(), findings, [waiver], by=REVIEWER, at=AT)
    assert _state(file) is S.VERIFIED
    assert record.waivers == (waiver,)
    with pytest.raises(InvalidField):
        Waiver("colour-depth", " ")


def test_description_is_locked_once_verified() -> None:
    file = verified()
    with pytest.raises(DescriptionLocked):
        file.set_document(1, document(1, 3, subject="khác"))
    with pytest.raises(DescriptionLocked):
        file.update_description({"keyword": "x"}, by=ARCHIVIST, at=AT)


def test_rescan_replaces_the_page_and_digitizes_again() -> None:
    file = described()
    old = file.current_page(2)
    assert old is not None
    file.request_rescan([RescanItem(2, "trang bị mờ")], by=REVIEWER, at=AT)
    assert _state(file) is S.RESCAN_REQUESTED
    assert file.open_for_scanning
    event = file.pull_events()[-1]
    assert isinstance(event, FileStateChanged)
    assert event.rescan_sequences == (2,)
    new = page(2)
    file.receive_page(new, at=AT)
    assert _state(file) is S.DIGITIZING
    assert old.replaced_by == new.page_id
    file.record_reading(new.page_id, 2, reading(new.page_id), at=AT)
    assert _state(file) is S.DIGITIZED
    current = file.current_page(2)
    assert current is not None
    assert current.page_id == new.page_id
    assert file.rescan == ()


def test_acceptance_publishes_everything_handover_needs_once() -> None:
    file = verified()
    file.pull_events()
    assert file.accept(acceptance())
    assert not file.accept(acceptance())
    (event,) = [e for e in file.pull_events() if isinstance(e, FileAccepted)]
    assert event.file is not None
    assert event.file.maintenance == "01"
    assert event.file.start_date == "05/01/2001"
    (doc,) = event.documents
    assert (doc.doc_id, doc.doc_code) == (f"{FILE_CODE}.1", f"{FILE_CODE}.0000001")
    assert (doc.type_name, doc.code_number, doc.code_notation) == ("10", "115", "KH-UBND")
    assert [p.sequence for p in event.pages] == [1, 2, 3]
    assert all(p.alto_key and p.pdf_key and p.image_key and p.document == 1 for p in event.pages)
    assert event.acceptance is not None
    assert event.acceptance.minutes_number == "01/BB-NT"
    assert event.selection_criteria == (1,)
    assert event.selection_decision == "103/QĐ-UBND"
    assert event.verified_by == str(REVIEWER)
    assert event.metadata["maintenance"] == "01"


def test_handed_over_marks_the_insurance_copy_made() -> None:
    file = in_state(S.HANDED_OVER)
    assert file.description.risk_recovery_status is not None
    assert file.description.risk_recovery_status.value == "01"


def test_versions_grow_with_every_announcement() -> None:
    file = described()
    versions = [e.version for e in file.pull_events() if isinstance(e, FileStateChanged)]
    assert versions == list(range(1, len(versions) + 1))
    assert file.version == versions[-1]


def _ranges(file: ArchivalFile) -> list[tuple[int, int, int, str | None]]:
    return [
        (o, d.description.first_page, d.description.last_page, d.description.subject)
        for o, d in sorted(file.documents.items())
    ]


def test_a_văn_bản_split_at_a_page_becomes_two_and_those_after_move_up() -> None:
    file = digitized(6)
    file.set_document(1, document(1, 4, subject="Kế hoạch"))
    file.set_document(2, document(5, 6, subject="Báo cáo"))
    assert file.split_document(1, 3) == 2
    assert _ranges(file) == [(1, 1, 2, "Kế hoạch"), (2, 3, 4, None), (3, 5, 6, "Báo cáo")]
    for at_page in (1, 5):  # its first page, or one it does not hold
        with pytest.raises(InvalidField):
            file.split_document(1, at_page)
    with pytest.raises(DocumentNotFound):
        file.split_document(9, 2)


def test_a_văn_bản_merged_with_the_next_keeps_its_description_and_those_after_move_down() -> None:
    file = digitized(6)
    for ordinal, (first, last) in enumerate(((1, 2), (3, 4), (5, 6)), start=1):
        file.set_document(ordinal, document(first, last, subject=f"văn bản {ordinal}"))
    file.merge_documents(1)
    assert _ranges(file) == [(1, 1, 4, "văn bản 1"), (2, 5, 6, "văn bản 3")]
    with pytest.raises(DocumentNotFound):
        file.merge_documents(2)  # the last has no next
    accepted_file = described()
    accepted_file.sign_off_verification(uuid.uuid4(), [], [], by=REVIEWER, at=AT)
    assert accepted_file.accept(acceptance())
    with pytest.raises(DescriptionLocked):  # what was accepted stays as accepted
        accepted_file.split_document(1, 2)


def test_a_page_re_scanned_after_handover_goes_round_again_to_a_replacement_package() -> None:
    file = in_state(S.HANDED_OVER)
    delivered = file.package
    assert delivered is not None
    file.request_rescan([RescanItem(2, "vết bẩn che chữ")], by=REVIEWER, at=AT)
    assert _state(file) is S.RESCAN_REQUESTED
    assert file.acceptance is None  # accepted again once checked again
    assert file.package == delivered  # what the archive holds stays named until replaced
    rescan = page(2)
    file.receive_page(rescan, at=AT)
    file.record_reading(rescan.page_id, 2, reading(rescan.page_id), at=AT)
    assert _state(file) is S.DIGITIZED
    file.confirm_description(by=ARCHIVIST, at=AT)
    file.sign_off_verification(uuid.uuid4(), [], [], by=REVIEWER, at=AT)
    assert file.accept(acceptance())
    replacement = PackageRef(uuid.uuid4(), f"{FILE_CODE}/p2.zip", "d" * 64)
    file.mark_packaged(replacement, by=ARCHIVIST, at=AT)
    assert file.mark_handed_over("BN-02", by=ARCHIVIST, at=AT)
    assert (_state(file), file.package) == (S.HANDED_OVER, replacement)
    current = file.current_page(2)
    assert current is not None
    assert current.page_id == rescan.page_id  # the package carries the new version
