"""The gateway's probes: ``/health`` open to liveness probes, ``/ready`` and ``/metrics`` only
for operators (they name the services behind it); no error names an internal address; what
the framework itself refuses is a problem like every other error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from services.gateway.adapters import Upstream
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings

pytestmark = pytest.mark.unit
KEY = "probes-key".ljust(32, "x")
TOKEN = "probe-token".ljust(40, "p")
INTERNAL = "catalogue.sohoa.svc.cluster.local:8003"
Answer = Callable[[httpx.Request], httpx.Response]


def _gateway(answer: Answer, token: str | None = TOKEN) -> TestClient:
    settings = GatewaySettings(
        api_keys={"partner": KEY}, probe_token=SecretStr(token) if token else None
    )
    client = TestClient(create_app(settings))
    client.__enter__()
    upstreams = {
        name: Upstream(
            name,
            httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url=f"http://{INTERNAL}"),
        )
        for name in ("ingest", "catalogue", "handover")
    }
    client.app.state.upstreams = upstreams  # type: ignore[attr-defined]
    client.app.state.ready_checks = {n: u.health for n, u in upstreams.items()}  # type: ignore[attr-defined]
    return client


def _healthy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok"})


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"[Errno 111] Connection refused: http://{INTERNAL}", request=request)


@pytest.fixture
def gateway() -> Iterator[TestClient]:
    client = _gateway(_healthy)
    yield client
    client.__exit__(None, None, None)


@pytest.mark.parametrize("path", ["/ready", "/metrics"])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-API-Key": KEY}],
    ids=["none", "wrong-token", "not-bearer", "api-key"],
)
def test_ready_and_metrics_refuse_anyone_without_the_probe_token(
    gateway: TestClient, path: str, headers: dict[str, str]
) -> None:
    refused = gateway.get(path, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "auth.operator-only"
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "catalogue" not in refused.text


def test_operators_see_ready_and_metrics_and_liveness_stays_open(gateway: TestClient) -> None:
    operator = {"Authorization": f"Bearer {TOKEN}"}
    ready = gateway.get("/ready", headers=operator)
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": dict.fromkeys(("ingest", "catalogue", "handover"), "ok"),
    }
    assert "# TYPE" in gateway.get("/metrics", headers=operator).text
    assert gateway.get("/health").json() == {"status": "ok"}


def test_without_a_probe_token_configured_nobody_sees_ready() -> None:
    client = _gateway(_healthy, token=None)
    try:
        assert client.get("/ready", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/ready", headers={"Authorization": "Bearer None"}).status_code == 401
    finally:
        client.__exit__(None, None, None)


def test_a_short_probe_token_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="probe token"):
        GatewaySettings(probe_token=SecretStr("short"))


def test_no_error_names_an_internal_address() -> None:
    client = _gateway(_down)
    try:
        forwarded = client.get("/api/v1/fonds", headers={"X-API-Key": KEY})
        assert (forwarded.status_code, forwarded.json()["code"]) == (
            503,
            "gateway.upstream-unavailable",
        )
        ready = client.get("/ready", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ready.status_code == 503
        assert ready.json()["checks"]["catalogue"] == "UpstreamUnavailable: catalogue: ConnectError"
        for response in (forwarded, ready):
            assert INTERNAL not in response.text
            assert "8003" not in response.text
    finally:
        client.__exit__(None, None, None)


def test_what_the_framework_refuses_is_a_problem_too(gateway: TestClient) -> None:
    missing = gateway.get("/api/v1/no-such-thing", headers={"X-API-Key": KEY})
    assert (missing.status_code, missing.json()["code"]) == (404, "http.not-found")
    assert missing.headers["content-type"] == "application/problem+json"
    # PATCH and GET are two routes of one path: Allow names both, not just the first
    wrong = gateway.delete("/api/v1/files/H49.64.33.2024.01.VP", headers={"X-API-Key": KEY})
    assert (wrong.status_code, wrong.json()["code"]) == (405, "http.method-not-allowed")
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH"}
