"""The catalogue's reconciliation sweeps: a page stored but unread after a while is asked for
again, once a period and never once read or failed; an accepted hồ sơ whose package has not
come back has its very file-accepted sent again, and nothing once it is packaged."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from services.catalogue import handlers
from services.catalogue.domain.commands import AcceptFiles, AnnounceUnpackaged, AskForUnreadPages
from services.catalogue.domain.model import FileState
from shared.events import FileAccepted, PackageFailed, PackageReady, PageFailed, PageReadRequested
from tests.support.catalogue import APPROVER, AT, FILE_CODE, approved, ingested, processed, verified
from tests.unit.fakes import FakeUnitOfWork

pytestmark = pytest.mark.unit
AFTER = timedelta(minutes=30)
LATER = AFTER + timedelta(minutes=1)


def _asked(uow: FakeUnitOfWork) -> list[PageReadRequested]:
    return [e for e in uow.outbox if isinstance(e, PageReadRequested)]


def test_an_unread_page_is_asked_for_again_once_a_period_until_it_is_read() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = approved(pages=3)
    read, failed, lost = (ingested(FILE_CODE, n) for n in (1, 2, 3))
    for event in (read, failed, lost):
        handlers.on_page_ingested(event, uow)
    handlers.on_page_processed(processed(read), uow)
    handlers.on_page_failed(
        PageFailed(
            file_code=FILE_CODE,
            page_id=failed.page_id,
            sequence=2,
            reason_code="ocr.unreadable-image",
            detail="không giải mã được",
        ),
        uow,
    )
    sweep = AskForUnreadPages(after=AFTER)

    assert handlers.ask_for_unread_pages(sweep, uow) == 0  # too recent to be lost
    uow.wait(LATER)
    assert handlers.ask_for_unread_pages(sweep, uow) == 1
    (asked,) = _asked(uow)
    assert (asked.page_id, asked.object_key, asked.sha256) == (
        lost.page_id,
        lost.object_key,
        lost.sha256,
    )
    assert handlers.ask_for_unread_pages(sweep, uow) == 0  # asked lately: not twice a period
    uow.wait(LATER)
    assert handlers.ask_for_unread_pages(sweep, uow) == 1  # still unread: asked again
    uow.wait(LATER)
    assert handlers.ask_for_unread_pages(sweep, uow) == 0  # asked twice: waits two periods
    uow.wait(LATER)
    assert handlers.ask_for_unread_pages(sweep, uow) == 1
    handlers.on_page_processed(processed(lost), uow)
    uow.wait(4 * LATER)
    assert handlers.ask_for_unread_pages(sweep, uow) == 0
    assert len(_asked(uow)) == 3


def test_a_page_that_stays_unread_is_asked_for_less_and_less_often_up_to_a_bound() -> None:
    sweep = AskForUnreadPages(after=AFTER, doublings=3)
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = approved(pages=1)
    handlers.on_page_ingested(ingested(FILE_CODE, 1), uow)
    asked_at = []
    for minute in range(0, 60 * 24, 10):  # a day of sweeps every ten minutes, OCR down
        if handlers.ask_for_unread_pages(sweep, uow):
            asked_at.append(minute)
        uow.wait(timedelta(minutes=10))
    gaps = [b - a for a, b in pairwise(asked_at)]
    assert gaps[:3] == [30, 60, 120]  # after, then twice as long each time …
    assert set(gaps[3:]) == {240}  # … up to 2**3 times after
    assert uow.store[FILE_CODE].state is FileState.DIGITIZING  # page 2 waits for its re-scan


def test_an_accepted_file_without_package_has_its_own_file_accepted_sent_again() -> None:
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = verified(file_code=FILE_CODE)
    handlers.accept_files(AcceptFiles((FILE_CODE,), APPROVER), uow)
    (accepted,) = uow.events(FileAccepted)
    sweep = AnnounceUnpackaged(after=AFTER)

    assert handlers.announce_unpackaged(sweep, uow) == []
    uow.wait(LATER)
    assert handlers.announce_unpackaged(sweep, uow) == [FILE_CODE]
    assert uow.announcements.sent_again == [accepted]  # the same event: the same ce_id
    assert uow.events(FileAccepted) == [accepted]  # no second acceptance staged
    assert handlers.announce_unpackaged(sweep, uow) == []  # waiting for the relay

    file = uow.store[FILE_CODE]
    assert file.acceptance is not None
    handlers.on_package_ready(
        PackageReady(
            file_code=FILE_CODE,
            package_id=file.acceptance.acceptance_id,
            object_key=f"{FILE_CODE}/p.zip",
            sha256="0" * 64,
            size=1,
            payload_oxum="1.1",
        ),
        uow,
    )
    uow.announcements.rows[0].sent_at = uow.now()  # the relay sent it
    uow.wait(LATER)
    assert handlers.announce_unpackaged(sweep, uow) == []
    assert uow.store[FILE_CODE].state is FileState.PACKAGED


def test_a_package_that_failed_is_shown_on_the_hồ_sơ_and_not_asked_for_again() -> None:
    """Handover could not build it (an original changed since capture): the reason stays on
    the hồ sơ, the sweep leaves its acceptance to people (it waits in the dead letters), and
    the package that comes once they replay it clears the reason."""
    uow = FakeUnitOfWork()
    uow.store[FILE_CODE] = verified(file_code=FILE_CODE)
    handlers.accept_files(AcceptFiles((FILE_CODE,), APPROVER), uow)
    failed = PackageFailed(
        file_code=FILE_CODE, reason_code="handover.fixity-mismatch", detail="0002.png", at=AT
    )
    handlers.on_package_failed(failed, uow)
    file = uow.store[FILE_CODE]
    assert file.package_failure is not None
    assert (file.package_failure.reason_code, file.state) == (
        "handover.fixity-mismatch",
        FileState.ACCEPTED,
    )
    uow.wait(LATER)
    assert handlers.announce_unpackaged(AnnounceUnpackaged(after=AFTER), uow) == []
    assert file.acceptance is not None
    ready = PackageReady(
        file_code=FILE_CODE, package_id=file.acceptance.acceptance_id,
        object_key=f"{FILE_CODE}/p.zip", sha256="0" * 64, size=1, payload_oxum="1.1",
    )  # fmt: skip
    handlers.on_package_ready(ready, uow)
    packaged = uow.store[FILE_CODE]
    assert (packaged.state, packaged.package_failure) == (FileState.PACKAGED, None)
    handlers.on_package_failed(failed, uow)  # a late repeat: the package has come
    assert uow.store[FILE_CODE].package_failure is None
