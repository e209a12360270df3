"""Handover names the hồ sơ its answers touch that no path names, for the gateway's
nhật ký truy cập: the hồ sơ of a package downloaded by its id, those of the deliveries
listed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.handover.api import router
from services.handover.handlers import on_file_accepted
from shared.envelope import Envelope
from shared.events import PackageReady
from shared.http import create_service_app
from shared.outbox import OutboxMessage
from shared.records import RECORDS_HEADER, read_records
from tests.support.handover import accepted_file, local_handover, put_blobs

pytestmark = pytest.mark.integration


async def test_a_package_downloaded_by_its_id_names_its_hồ_sơ(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    event, blobs = accepted_file(pages=1)
    await put_blobs(stores, blobs)
    await on_file_accepted(event, Envelope.new(event, source="test"), deps)
    with Session(deps.engine) as session:
        (ready,) = [
            PackageReady.model_validate_json(m.body) for m in session.exec(select(OutboxMessage))
        ]
    app = create_service_app("handover-test", lifespan=None, title="t", description="t")
    app.state.deps = deps
    app.include_router(router)
    url = urlsplit(str(ready.download_url))
    with TestClient(app) as client:
        zipped = client.get(f"{url.path}?{url.query}")
        assert zipped.status_code == 200, zipped.text
        assert read_records(zipped.headers).codes == [event.file_code]
        refused = client.get(url.path, params={"token": "sai"})
        assert refused.status_code == 403
        assert RECORDS_HEADER not in refused.headers  # nothing was read
        listed = client.get("/api/v1/deliveries")
        assert listed.status_code == 200, listed.text
        assert [d["file_code"] for d in listed.json()] == [event.file_code]  # sent once
        assert read_records(listed.headers).codes == [event.file_code]
