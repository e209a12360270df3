"""The fixity audit re-reads stored objects, names exactly the one whose bytes changed,
records a PREMIS fixity-check event for every object read, and announces fixity-failed."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from services.handover.adapters.db import FixityCheck, FixityRecord
from services.handover.handlers import audit_fixity, list_fixity_failures
from shared.events import FixityFailed
from shared.outbox import OutboxMessage
from tests.support.handover import local_handover

pytestmark = pytest.mark.integration
FILE_CODE = "H49.64.33.2001.160"
OBJECTS = {
    "originals": [f"{FILE_CODE}/0001.png", f"{FILE_CODE}/0002.png"],
    "derivatives": [f"{FILE_CODE}/0001.txt"],
    "handover": [f"{FILE_CODE}/goi.zip"],
}


async def test_a_flipped_byte_is_named_exactly(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    engine = deps.engine
    with Session(engine) as session:
        for area, keys in OBJECTS.items():
            for n, key in enumerate(keys):
                body = f"{area} {key} {n}".encode() * 500
                await stores[area].put(key, io.BytesIO(body), content_type="text/plain")
                sha = hashlib.sha256(body).hexdigest()
                session.add(
                    FixityRecord(area=area, object_key=key, file_code=FILE_CODE, sha256=sha)
                )
        session.commit()
    flipped = tmp_path / "originals" / OBJECTS["originals"][1]
    data = bytearray(flipped.read_bytes())
    data[1234] ^= 0x01
    flipped.chmod(0o644)
    flipped.write_bytes(bytes(data))
    failed = await audit_fixity(deps, limit=10)
    assert [(r.area, r.object_key) for r in failed] == [("originals", OBJECTS["originals"][1])]
    (failure,) = await list_fixity_failures(deps)
    assert failure.actual_sha256 == hashlib.sha256(bytes(data)).hexdigest()
    with Session(engine) as session:
        checks = session.exec(select(FixityCheck)).all()
        outbox = session.exec(select(OutboxMessage)).all()
    assert len(checks) == 4
    assert sorted(c.outcome for c in checks) == ["fail", "pass", "pass", "pass"]
    assert [m.topic for m in outbox] == [FixityFailed.TOPIC]
    assert OBJECTS["originals"][1] in outbox[0].body

    again = await audit_fixity(deps, limit=10)  # still broken: no second announcement
    assert len(again) == 1
    with Session(engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == 1
