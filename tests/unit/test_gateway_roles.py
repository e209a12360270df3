"""Every public route × every role, and without credentials: the gateway lets through exactly
what the role → operation matrix says, refuses the rest with ``auth.forbidden`` naming the
missing role, and never reaches a service for a refused call.

The internal services are not running here, so a call the gateway lets through ends in
``503 gateway.upstream-unavailable`` (or ``kafka.unavailable`` for the admin routes): that is
what "let through" looks like from outside.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway.adapters import Upstream
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.domain import EVERY_ROLE, OPERATIONS, Role, required_role
from services.ops.broker import free_port as closed_port  # nothing listens there
from shared.config import KafkaSettings

pytestmark = pytest.mark.unit
FILE_CODE = "H49.64.33.2001.160"
PACKAGE_ID = "70caf66b-0000-4000-8000-000000000001"
KEYS = {role.value: f"{role.value}-key-".ljust(32, "x") for role in Role}
ALL_ROLES_KEY = "every-role-key".ljust(32, "y")
NO_ROLE_KEY = "no-role-key".ljust(32, "z")


@pytest.fixture(scope="module")
def gateway() -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{closed_port()}"
    settings = GatewaySettings(
        api_keys={**KEYS, "stack": ALL_ROLES_KEY, "nobody": NO_ROLE_KEY},
        client_roles={
            **{role.value: frozenset({role}) for role in Role},
            "nobody": frozenset(),
        },
        ingest_url=dead,
        catalogue_url=dead,
        handover_url=dead,
        kafka=KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{closed_port()}", request_timeout_ms=1000
        ),
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


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


def _url(path: str) -> str:
    filled = path.format(
        file_code=FILE_CODE, ordinal=1, code="64", batch_id="dot-1", package_id=PACKAGE_ID
    )
    return f"/api/v1{filled}?token=1.ab"  # a query only the package download reads


def test_every_route_that_changes_something_has_a_role() -> None:
    assert ROUTES, "no routes found"
    for method, path in ROUTES:
        required_role(method, path)  # raises for a write without a role
    assert set(OPERATIONS) <= set(ROUTES), "the matrix names a route that does not exist"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_each_role_may_do_exactly_what_the_matrix_says(
    gateway: TestClient, method: str, path: str
) -> None:
    needed = required_role(method, path)
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
    for role in Role:
        response = gateway.request(
            method, _url(path), headers={"X-API-Key": KEYS[role.value]}, json=body
        )
        allowed = needed is None or needed is role
        if allowed:
            assert response.status_code == 503, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            problem = response.json()
            assert needed is not None
            assert (problem["code"], problem["required_role"]) == ("auth.forbidden", needed.value)

    every = gateway.request(method, _url(path), headers={"X-API-Key": ALL_ROLES_KEY}, json=body)
    assert every.status_code == 503  # a client not listed holds every role
    nobody = gateway.request(method, _url(path), headers={"X-API-Key": NO_ROLE_KEY})
    assert nobody.status_code == 403
    missing = gateway.request(method, _url(path))
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing-api-key")
    wrong = gateway.request(method, _url(path), headers={"X-API-Key": "w" * 32})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.invalid-api-key")


def test_the_roles_cover_the_programme_duties() -> None:
    assert required_role("POST", "/files/{file_code}/pages") is Role.ARCHIVIST
    assert required_role("POST", "/files/{file_code}/verification") is Role.REVIEWER
    assert required_role("POST", "/selection-decisions") is Role.APPROVER
    assert required_role("POST", "/files/{file_code}/accept") is Role.APPROVER
    assert required_role("POST", "/admin/dead-letters/replay") is Role.ADMIN
    assert required_role("GET", "/search") is None
    assert frozenset(Role) == EVERY_ROLE


RESTRICTED = "H49.64.33.2001.161"


def test_a_partner_reader_never_reaches_a_restricted_hồ_sơ_or_its_pages() -> None:
    """Stand-in services record what reaches them: a restricted hồ sơ is 404 for a
    ``partner_read`` client before ingest is asked for its pages; staff see it."""
    reached: list[tuple[str, str, str | None]] = []

    def service(name: str) -> httpx.AsyncClient:
        def answer(request: httpx.Request) -> httpx.Response:
            audience = request.headers.get("x-sohoa-audience")
            reached.append((name, request.url.path, audience))
            if name == "catalogue" and RESTRICTED in request.url.path and audience == "public":
                return httpx.Response(404, json={"code": "catalogue.file-not-found"})
            return httpx.Response(200, json={"service": name})

        return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url=f"http://{name}")

    settings = GatewaySettings(
        api_keys={"tinh": KEYS["partner_read"], "staff": KEYS["archivist"]},
        client_roles={"tinh": frozenset({Role.PARTNER_READ}), "staff": frozenset({Role.ARCHIVIST})},
    )
    with TestClient(create_app(settings)) as client:
        client.app.state.upstreams = {  # type: ignore[attr-defined]
            name: Upstream(name, service(name)) for name in ("ingest", "catalogue", "handover")
        }
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
