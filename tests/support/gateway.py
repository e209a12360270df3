"""Stand-in internal services behind a gateway under test: each is reached at
``http://<service>`` (``request.url.host`` names it) and answered by one function."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from services.gateway.adapters import Upstream

SERVICES = ("ingest", "catalogue", "handover")


def stand_in_services(
    client: TestClient, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    transport = httpx.MockTransport(answer)
    client.app.state.upstreams = {  # type: ignore[attr-defined]
        name: Upstream(name, httpx.AsyncClient(transport=transport, base_url=f"http://{name}"))
        for name in SERVICES
    }
