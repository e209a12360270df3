"""Stand-in internal services behind a gateway under test: each is reached at
``http://<service>`` (``request.url.host`` names it) and answered by one function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
from fastapi.testclient import TestClient

from services.gateway.adapters import Upstream
from shared.events import FileStateChanged

SERVICES = ("ingest", "catalogue", "handover")


def stand_in_services(
    client: TestClient, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    transport = httpx.MockTransport(answer)
    client.app.state.upstreams = {  # type: ignore[attr-defined]
        name: Upstream(name, httpx.AsyncClient(transport=transport, base_url=f"http://{name}"))
        for name in SERVICES
    }


def state_change(
    file_code: str,
    *,
    public: bool,
    at: datetime,
    from_state: str = "described",
    to_state: str = "verified",
    version: int = 5,
) -> FileStateChanged:
    """A file-state-changed as the catalogue publishes it after kiểm tra, for webhook tests."""
    return FileStateChanged(
        file_code=file_code,
        from_state=from_state,
        to_state=to_state,
        version=version,
        person="Trần Văn Kiểm",
        client="workspace",
        reason="kiểm tra đạt",
        at=at,
        arranged=True,
        open_for_scanning=False,
        public=public,
    )
