"""The gateway's identity routes in process, on its SQLite database, with stand-in services
that record what reaches them: clients registered and revoked by an admin, a person signing
in through the OAuth2 token endpoint, and a person's token naming who acts, whatever
``X-Acting-Person`` says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from tests.support.gateway import stand_in_services

pytestmark = pytest.mark.integration
ADMIN_KEY = "admin-key".ljust(32, "x")
ADMIN = {"X-API-Key": ADMIN_KEY}
SIGN_IN = "/api/v1/oauth/token"


@pytest.fixture
def reached() -> list[httpx.Request]:
    return []


@pytest.fixture
def gateway(tmp_path: Path, reached: list[httpx.Request]) -> Iterator[TestClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        reached.append(request)
        return httpx.Response(200, json={"ok": True})

    settings = GatewaySettings(
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
        api_keys={"ops": ADMIN_KEY},
        token_keys={"k1": "t" * 32},
    )
    with TestClient(create_app(settings)) as client:
        stand_in_services(client, answer)
        yield client


def _register(gateway: TestClient, name: str, roles: list[str]) -> str:
    created = gateway.post("/api/v1/clients", headers=ADMIN, json={"name": name, "roles": roles})
    assert created.status_code == 201, created.text
    assert set(created.json()["client"]) == {
        "name",
        "roles",
        "created_at",
        "expires_at",
        "revoked_at",
    }
    key: str = created.json()["api_key"]
    return key


def test_an_admin_registers_rotates_and_revokes_a_client(gateway: TestClient) -> None:
    key = _register(gateway, "stttt", ["partner_read"])
    again = gateway.post("/api/v1/clients", headers=ADMIN, json={"name": "stttt", "roles": []})
    assert (again.status_code, again.json()["code"]) == (409, "gateway.client-exists")
    assert gateway.get("/api/v1/me", headers={"X-API-Key": key}).json() == {
        "client": "stttt",
        "person": None,
        "roles": ["partner_read"],
    }
    listed = gateway.get("/api/v1/clients", headers=ADMIN).json()["clients"]
    assert [c["name"] for c in listed] == ["stttt"]
    assert key not in str(listed)

    rotated = gateway.post("/api/v1/clients/stttt/key", headers=ADMIN)
    assert rotated.status_code == 200
    new_key = rotated.json()["api_key"]
    old = gateway.get("/api/v1/me", headers={"X-API-Key": key})
    assert (old.status_code, old.json()["code"]) == (401, "auth.invalid-api-key")

    assert gateway.delete("/api/v1/clients/stttt", headers=ADMIN).status_code == 204
    revoked = gateway.get("/api/v1/me", headers={"X-API-Key": new_key})
    assert (revoked.status_code, revoked.json()["code"]) == (401, "auth.key-revoked")
    assert gateway.get("/api/v1/clients/stttt", headers=ADMIN).json()["revoked_at"] is not None
    missing = gateway.get("/api/v1/clients/khong-co", headers=ADMIN)
    assert (missing.status_code, missing.json()["code"]) == (404, "gateway.client-not-found")


def test_a_person_signs_in_and_their_token_names_who_acts(
    gateway: TestClient, reached: list[httpx.Request]
) -> None:
    key = _register(gateway, "workspace", ["archivist", "reviewer"])
    person = {
        "username": "luutru",
        "full_name": "Nguyễn Thị Lưu",
        "roles": ["archivist", "approver"],
        "password": "mat-khau-1",
    }
    too_much = gateway.post("/api/v1/clients/workspace/people", headers=ADMIN, json=person)
    assert (too_much.status_code, too_much.json()["code"]) == (422, "gateway.roles-not-held")
    person["roles"] = ["archivist"]
    added = gateway.post("/api/v1/clients/workspace/people", headers=ADMIN, json=person)
    assert added.status_code == 201
    assert added.json()["person"]["disabled_at"] is None
    assert "password" not in added.text

    form = {"grant_type": "password", "username": "luutru", "password": "mat-khau-1"}
    signed_in = gateway.post(SIGN_IN, data=form, auth=("workspace", key))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.headers["cache-control"] == "no-store"
    body = signed_in.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "archivist")
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert gateway.get("/api/v1/me", headers=bearer).json() == {
        "client": "workspace",
        "person": {"username": "luutru", "full_name": "Nguyễn Thị Lưu"},
        "roles": ["archivist"],
    }

    claimed = {**bearer, "X-Acting-Person": "Ai%20Kh%C3%A1c"}
    assert gateway.patch("/api/v1/files/H49.64.33.2001.1", headers=claimed, json={}).is_success
    assert reached[-1].headers["x-sohoa-actor"] == "workspace"
    assert reached[-1].headers["x-sohoa-person"] == "Nguy%E1%BB%85n%20Th%E1%BB%8B%20L%C6%B0u"
    refused = gateway.post("/api/v1/files/H49.64.33.2001.1/verification", headers=bearer)
    assert (refused.status_code, refused.json()["required_role"]) == (403, "reviewer")

    machine = gateway.post(
        SIGN_IN,
        data={"grant_type": "client_credentials", "client_id": "workspace", "client_secret": key},
    )
    assert (machine.json()["expires_in"], machine.json()["scope"]) == (900, "archivist reviewer")

    assert gateway.get("/api/v1/clients/workspace/people", headers=ADMIN).json()["people"]
    assert (
        gateway.delete("/api/v1/clients/workspace/people/luutru", headers=ADMIN).status_code == 204
    )
    stopped = gateway.get("/api/v1/me", headers=bearer)
    assert (stopped.status_code, stopped.json()["code"]) == (401, "auth.invalid-token")
    again = gateway.post(SIGN_IN, data=form, auth=("workspace", key))
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("form", "auth", "status", "code", "error"),
    [
        ({"grant_type": "client_credentials"}, None, 401, "auth.invalid-client", "invalid_client"),
        (
            {"grant_type": "client_credentials"},
            ("ops", "w" * 32),
            401,
            "auth.invalid-client",
            "invalid_client",
        ),
        (
            {"grant_type": "implicit"},
            ("ops", ADMIN_KEY),
            400,
            "auth.unsupported-grant-type",
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "password"},
            ("ops", ADMIN_KEY),
            400,
            "auth.invalid-request",
            "invalid_request",
        ),
    ],
    ids=["no-client", "wrong-key", "unsupported", "password-without-username"],
)
def test_the_token_endpoint_refuses_with_rfc_6749_errors(
    gateway: TestClient,
    form: dict[str, str],
    auth: tuple[str, str] | None,
    status: int,
    code: str,
    error: str,
) -> None:
    response = gateway.post(SIGN_IN, data=form, auth=auth)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["error"]) == (code, error)


def test_a_settings_client_gets_a_token_too(gateway: TestClient) -> None:
    token = gateway.post(
        SIGN_IN, data={"grant_type": "client_credentials"}, auth=("ops", ADMIN_KEY)
    )
    assert token.status_code == 200
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert gateway.get("/api/v1/clients", headers=bearer).status_code == 200
