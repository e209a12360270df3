"""Limits at the gateway: calls per client (429 with Retry-After), the size of JSON bodies
(413, declared or streamed), and a service that is too slow (504) — each a problem with its
code, and nothing forwarded that was refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.domain import RateLimited, RateLimiter, TokenBucket
from tests.support.gateway import stand_in_services

pytestmark = pytest.mark.unit
KEY = "limits-key".ljust(32, "x")
HEADERS = {"X-API-Key": KEY}


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(rate=2, burst=3, tokens=3, updated=0)
    assert [bucket.wait(0) for _ in range(3)] == [0, 0, 0]
    assert bucket.wait(0) == pytest.approx(0.5)  # one call every half second
    assert bucket.wait(0.5) == 0
    assert bucket.wait(10) == 0  # refilled, but never beyond the burst
    assert [bucket.wait(10) for _ in range(3)][-1] > 0


def test_the_limiter_keeps_one_bucket_per_client_and_says_when_to_retry() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    limiter.check("a", now=0)
    limiter.check("b", now=0)  # another client has its own bucket
    with pytest.raises(RateLimited) as refused:
        limiter.check("a", now=0.25)
    assert refused.value.extra["retry_after_seconds"] == 1
    limiter.check("a", now=1.0)
    RateLimiter(per_minute=0, burst=1).check("a", now=0)  # 0: no limit


@pytest.fixture
def forwarded() -> list[httpx.Request]:
    return []


@pytest.fixture
def gateway(forwarded: list[httpx.Request], tmp_path: Path) -> Iterator[TestClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        forwarded.append(request)
        return httpx.Response(200, json={"ok": True})

    settings = GatewaySettings(
        api_keys={"partner": KEY},
        rate_limit_per_minute=60,
        rate_limit_burst=3,
        max_json_bytes=100,
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
    )
    with TestClient(create_app(settings)) as client:
        stand_in_services(client, answer)
        yield client


def test_a_client_past_its_rate_gets_429_with_retry_after(
    gateway: TestClient, forwarded: list[httpx.Request]
) -> None:
    statuses = [gateway.get("/api/v1/fonds", headers=HEADERS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = gateway.get("/api/v1/fonds", headers=HEADERS)
    assert refused.json()["code"] == "gateway.rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(forwarded) == 3


def test_a_json_body_over_the_limit_is_413_declared_or_streamed(
    gateway: TestClient, forwarded: list[httpx.Request]
) -> None:
    small = gateway.post("/api/v1/files", headers=HEADERS, json={"title": "x"})
    assert small.status_code == 200
    big = {"title": "đ" * 200}
    declared = gateway.post("/api/v1/files", headers=HEADERS, json=big)
    assert (declared.status_code, declared.json()["code"]) == (413, "gateway.body-too-large")

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        yield b"x" * 200
        yield b'"}'

    streamed = gateway.post(
        "/api/v1/files",
        headers={**HEADERS, "content-type": "application/json"},
        content=chunks(),
    )
    assert (streamed.status_code, streamed.json()["code"]) == (413, "gateway.body-too-large")
    assert [len(r.content) for r in forwarded] == [len(b'{"title":"x"}')]


def test_a_service_too_slow_to_answer_is_504(tmp_path: Path) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    settings = GatewaySettings(
        api_keys={"partner": KEY}, database_url=f"sqlite:///{tmp_path / 'gateway.db'}"
    )
    with TestClient(create_app(settings)) as client:
        stand_in_services(client, slow)
        response = client.get("/api/v1/fonds", headers=HEADERS)
    assert (response.status_code, response.json()["code"]) == (504, "gateway.upstream-timeout")
    assert "127.0.0.1" not in response.text  # no internal address in an error


def test_a_document_ordinal_past_what_the_catalogue_stores_is_422_and_never_forwarded(
    gateway: TestClient, forwarded: list[httpx.Request]
) -> None:
    route = "/api/v1/files/H49.64.33.2024.01.VP/documents/{}"
    huge = gateway.delete(route.format(10**33), headers=HEADERS)
    assert (huge.status_code, huge.json()["code"]) == (422, "request.invalid")
    assert forwarded == []
    largest = gateway.delete(route.format(2**31 - 1), headers=HEADERS)
    assert largest.status_code == 200
    assert [r.url.path for r in forwarded] == [
        "/api/v1/files/H49.64.33.2024.01.VP/documents/2147483647"
    ]
