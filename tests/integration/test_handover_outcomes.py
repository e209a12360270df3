"""What handover answers a file-accepted with, beyond the package itself: a package that
cannot be built is announced (package-failed, the reason for the hồ sơ to show) and the
acceptance raised for the dead letters; an acceptance sent again (the catalogue's sweep: its
package-ready was lost) is answered with that package's package-ready again."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, select

from services.handover.adapters.db import HandoverPackage
from services.handover.domain import FixityMismatch
from services.handover.handlers import on_file_accepted
from shared.envelope import Envelope
from shared.events import PackageFailed, PackageReady
from shared.outbox import OutboxMessage
from tests.support.handover import accepted_file, local_handover, put_blobs

pytestmark = pytest.mark.integration


async def test_an_original_changed_since_capture_fails_the_package_loudly(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    event, blobs = accepted_file(pages=2)
    blobs[event.pages[1].object_key] += b"!"  # page 2's original, changed since capture
    await put_blobs(stores, blobs)
    with pytest.raises(FixityMismatch):
        await on_file_accepted(event, Envelope.new(event, source="test"), deps)
    with Session(deps.engine) as session:
        staged = [(m.topic, json.loads(m.body)) for m in session.exec(select(OutboxMessage))]
        assert session.exec(select(HandoverPackage)).all() == []  # nothing packaged
    assert [topic for topic, _ in staged] == [PackageFailed.TOPIC]
    failed = PackageFailed.model_validate(staged[0][1])
    assert (failed.file_code, failed.reason_code) == (event.file_code, "handover.fixity-mismatch")
    assert event.pages[1].object_key in failed.detail


async def test_an_acceptance_sent_again_is_answered_with_its_package_again(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    event, blobs = accepted_file(pages=1)
    await put_blobs(stores, blobs)
    envelope = Envelope.new(event, source="test")
    await on_file_accepted(event, envelope, deps)
    await on_file_accepted(event, envelope, deps)  # the same event, re-sent by the sweep
    with Session(deps.engine) as session:
        (package,) = session.exec(select(HandoverPackage)).all()  # built once
        staged = [
            PackageReady.model_validate_json(m.body) for m in session.exec(select(OutboxMessage))
        ]
    assert [r.package_id for r in staged] == [uuid.UUID(package.package_id)] * 2
    assert {(r.sha256, r.object_key) for r in staged} == {(package.sha256, package.object_key)}
    assert all(r.download_url for r in staged)
