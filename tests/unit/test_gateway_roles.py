"""Every public route × every role × every way of calling: the gateway lets through exactly
what the role → operation matrix says, with an API key or an access token alike; refuses the
rest with ``auth.forbidden`` naming the missing role; answers no credentials, a wrong key,
an expired or revoked key, and an expired or forged token with 401 and the code that says
which; and never reaches a service for a refused call.

The services are stand-ins behind the Upstream port that answer 200 and count what reaches
them; the broker is not running, so the dead-letter routes, once let through, end in 503.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway import api
from services.gateway.app import SOURCE as GATEWAY_SOURCE
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.domain import (
    ANY_CALLER,
    ANY_ROLE,
    EVERY_ROLE,
    OPERATIONS,
    SELF_AUTHENTICATED,
    Role,
    required_role,
)
from services.gateway.identity import Caller, claims_for
from services.ops.broker import free_port as closed_port  # nothing listens there
from shared.config import KafkaSettings
from tests.support.gateway import stand_in_services

pytestmark = pytest.mark.unit
FILE_CODE = "H49.64.33.2001.160"
ADMIN_KEY = "settings-admin-key".ljust(32, "y")  # a settings client not listed: every role


@dataclass
class Callers:
    """The credentials each case presents, made once for the whole module."""

    by_role: dict[Role, list[dict[str, str]]] = field(default_factory=dict)
    nobody: dict[str, str] = field(default_factory=dict)
    refused: dict[str, dict[str, str]] = field(default_factory=dict)  # code → headers


@dataclass
class Gateway:
    client: TestClient
    callers: Callers
    reached: list[str]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _register(client: TestClient, name: str, roles: list[str], **extra: str) -> str:
    body = {"name": name, "roles": roles, **extra}
    created = client.post("/api/v1/clients", headers={"X-API-Key": ADMIN_KEY}, json=body)
    assert created.status_code == 201, created.text
    key: str = created.json()["api_key"]
    return key


def _token(client: TestClient, name: str, key: str) -> str:
    answer = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(name, key)
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


PACKAGE_ID = "70caf66b-0000-4000-8000-000000000001"
WEBHOOK_ID = "5d1c0f1e-0000-4000-8000-000000000002"  # no such subscription: 404 once let through


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    reached: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        # The audit writer asks the catalogue for a hồ sơ's chế độ sử dụng in the background,
        # as the gateway itself: not a call that passed the gateway's checks.
        if request.headers.get("x-sohoa-actor") != GATEWAY_SOURCE:
            reached.append(f"{request.url.host} {request.method} {request.url.path}")
        return httpx.Response(200, json={"service": request.url.host})

    settings = GatewaySettings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('gateway') / 'gateway.db'}",
        api_keys={"stack": ADMIN_KEY},
        token_keys={"k1": "t" * 32},
        rate_limit_per_minute=0,
        kafka=KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{closed_port()}", request_timeout_ms=1000
        ),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        stand_in_services(client, answer)
        callers = Callers()
        for role in Role:
            key = _register(client, f"role-{role.value.replace('_', '-')}", [role.value])
            token = _token(client, f"role-{role.value.replace('_', '-')}", key)
            callers.by_role[role] = [{"X-API-Key": key}, _bearer(token)]
        callers.nobody = {"X-API-Key": _register(client, "nobody", [])}
        every = [role.value for role in Role]
        yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        revoked = _register(client, "revoked", every)
        revoked_token = _token(client, "revoked", revoked)
        assert client.delete("/api/v1/clients/revoked", headers={"X-API-Key": ADMIN_KEY}).is_success
        signer = client.app.state.identity.signer  # type: ignore[attr-defined]
        old = claims_for(Caller("stack", EVERY_ROLE), int(time.time()) - 7200)
        forged = signer.issue(claims_for(Caller("stack", EVERY_ROLE), int(time.time())))
        callers.refused = {
            "auth.missing-api-key": {},
            "auth.invalid-api-key": {"X-API-Key": "sohoa_" + "w" * 43},
            "auth.key-expired": {
                "X-API-Key": _register(client, "expired", every, expires_at=yesterday)
            },
            "auth.key-revoked": {"X-API-Key": revoked},
            "auth.token-expired": _bearer(signer.issue(old)),
            "auth.invalid-token": _bearer(forged[:-4] + "AAAA"),
        }
        callers.refused["auth.key-revoked (token)"] = _bearer(revoked_token)
        # a good key beside an Authorization that is no bearer token: never half-believed
        callers.refused["auth.invalid-token (not bearer)"] = {
            "X-API-Key": ADMIN_KEY,
            "Authorization": "Basic c3RhY2s6",
        }
        reached.clear()
        yield Gateway(client, callers, reached)


def _public_routes() -> list[tuple[str, str]]:
    """Every operation of the gateway's OpenAPI document under /api/v1."""
    document = create_app(GatewaySettings()).openapi()
    return sorted(
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    )


ROUTES = _public_routes()
FORWARDED = {(r.method, r.path) for r in api.ROUTES}
WITH_CREDENTIALS = [r for r in ROUTES if r not in SELF_AUTHENTICATED]


def _url(path: str) -> str:
    filled = path.format(
        file_code=FILE_CODE,
        ordinal=1,
        code="64",
        batch_id="dot-1",
        name="no-such-client",
        username="no-such-person",
        package_id=PACKAGE_ID,
        id=WEBHOOK_ID,
    )
    return f"/api/v1{filled}?token=1.ab"  # a query only the package download reads


def _let_through(method: str, path: str, response: httpx.Response) -> bool:
    """Past authentication and the role check: the stand-in service's answer; the broker's
    absence (dead letters); or the gateway's own answer about a client that does not exist or
    a body that is not valid."""
    if (method, path) in FORWARDED:
        return response.status_code == 200 and "service" in response.json()
    if path.startswith("/admin/dead-letters"):
        return response.status_code == 503
    return response.status_code in (200, 201, 204, 404, 422)


def test_every_route_that_changes_something_has_a_role() -> None:
    assert ROUTES, "no routes found"
    for method, path in ROUTES:
        required_role(method, path)  # raises for a write without a role
    assert set(OPERATIONS) <= set(ROUTES), "the matrix names a route that does not exist"


@pytest.mark.parametrize(
    ("method", "path"), WITH_CREDENTIALS, ids=[f"{m} {p}" for m, p in WITH_CREDENTIALS]
)
def test_each_role_and_each_credential_gets_exactly_what_the_matrix_says(
    gateway: Gateway, method: str, path: str
) -> None:
    needed = required_role(method, path)
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None

    def call(headers: dict[str, str]) -> httpx.Response:
        response: httpx.Response = gateway.client.request(
            method, _url(path), headers=headers, json=body
        )
        return response

    for role, credentials in gateway.callers.by_role.items():
        for headers in credentials:  # an API key, then a client_credentials token
            response = call(headers)
            if needed is None or needed is role:
                assert _let_through(method, path, response), (role, headers, response.text)
            else:
                assert response.status_code == 403, (role, response.text)
                problem = response.json()
                assert (problem["code"], problem["required_role"]) == (
                    "auth.forbidden",
                    needed.value,
                )
    assert _let_through(method, path, call({"X-API-Key": ADMIN_KEY}))  # settings: every role

    gateway.reached.clear()
    nobody = call(gateway.callers.nobody)
    assert nobody.status_code == (200 if (method, path) in ANY_CALLER else 403)
    for code, headers in gateway.callers.refused.items():
        refused = call(headers)
        assert (refused.status_code, refused.json()["code"]) == (401, code.split(" ")[0])
    assert gateway.reached == []  # nothing refused reached a service


def test_the_token_endpoint_takes_its_own_credentials_only(gateway: Gateway) -> None:
    assert {("POST", "/oauth/token")} == SELF_AUTHENTICATED
    for headers in gateway.callers.refused.values():
        refused = gateway.client.post(
            "/api/v1/oauth/token", headers=headers, data={"grant_type": "client_credentials"}
        )
        assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_the_roles_cover_the_programme_duties() -> None:
    assert required_role("POST", "/files/{file_code}/pages") is Role.ARCHIVIST
    assert required_role("POST", "/files/{file_code}/verification") is Role.REVIEWER
    assert required_role("POST", "/selection-decisions") is Role.APPROVER
    assert required_role("POST", "/files/{file_code}/accept") is Role.APPROVER
    assert required_role("POST", "/admin/dead-letters/replay") is Role.ADMIN
    assert required_role("GET", "/search") is None
    # webhooks: any role that reads may subscribe and cancel its own, as it reads
    assert {("POST", "/webhooks"), ("DELETE", "/webhooks/{id}")} == ANY_ROLE
    assert all(required_role(method, path) is None for method, path in ANY_ROLE)
    assert frozenset(Role) == EVERY_ROLE


RESTRICTED = "H49.64.33.2001.161"
KEYS = {role.value: f"{role.value}-key-".ljust(32, "x") for role in Role}


def test_a_partner_reader_never_reaches_a_restricted_hồ_sơ_or_its_pages(tmp_path: Path) -> None:
    """Stand-in services record what reaches them: a restricted hồ sơ is 404 for a
    ``partner_read`` client before ingest is asked for its pages; staff see it."""
    reached: list[tuple[str, str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        name, audience = request.url.host, request.headers.get("x-sohoa-audience")
        reached.append((name, request.url.path, audience))
        if name == "catalogue" and RESTRICTED in request.url.path and audience == "public":
            return httpx.Response(404, json={"code": "catalogue.file-not-found"})
        return httpx.Response(200, json={"service": name})

    settings = GatewaySettings(
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
        api_keys={"tinh": KEYS["partner_read"], "staff": KEYS["archivist"]},
        client_roles={"tinh": frozenset({Role.PARTNER_READ}), "staff": frozenset({Role.ARCHIVIST})},
    )
    with TestClient(create_app(settings)) as client:
        stand_in_services(client, answer)
        partner = {"X-API-Key": KEYS["partner_read"]}
        hidden = client.get(f"/api/v1/files/{RESTRICTED}/pages", headers=partner)
        assert hidden.status_code == 404
        assert reached == [("catalogue", f"/api/v1/files/{RESTRICTED}", "public")]

        reached.clear()
        shown = client.get(f"/api/v1/files/{FILE_CODE}/pages", headers=partner)
        assert shown.json() == {"service": "ingest"}
        assert reached == [
            ("catalogue", f"/api/v1/files/{FILE_CODE}", "public"),
            ("ingest", f"/api/v1/files/{FILE_CODE}/pages", "public"),
        ]

        reached.clear()
        assert client.get("/api/v1/search", headers=partner, params={"q": "x"}).status_code == 200
        assert reached == [("catalogue", "/api/v1/search", "public")]  # the catalogue filters

        reached.clear()
        staff = {"X-API-Key": KEYS["archivist"]}
        assert client.get(f"/api/v1/files/{RESTRICTED}/pages", headers=staff).status_code == 200
        assert reached == [("ingest", f"/api/v1/files/{RESTRICTED}/pages", None)]
