"""The gateway's signature: it holds for exactly the request it was made for, for a while."""

from __future__ import annotations

import pytest

from shared.servicetoken import NotFromGateway, sign, verify

pytestmark = pytest.mark.unit
SECRET = "s" * 32
HEADERS = {"x-sohoa-actor": "vpubnd", "x-sohoa-person": "L%C3%AA", "x-sohoa-audience": "public"}
PATH = "/api/v1/files/H49.64.33.2001.160/accept"


def _verify(token: str | None, **changes: object) -> None:
    request: dict[str, object] = {
        "secret": SECRET,
        "method": "POST",
        "path": PATH,
        "headers": HEADERS,
        "now": 1_000_100.0,
        "max_age": 300.0,
        **changes,
    }
    verify(token=token, **request)  # type: ignore[arg-type]


def test_a_token_verifies_for_its_own_request() -> None:
    _verify(sign(SECRET, "POST", PATH, HEADERS, now=1_000_000))


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "GET"},
        {"path": "/api/v1/files/H49.64.33.2001.161/accept"},
        {"headers": {**HEADERS, "x-sohoa-actor": "other"}},
        {"headers": {**HEADERS, "x-sohoa-person": "K%E1%BA%BB"}},
        {"headers": {k: v for k, v in HEADERS.items() if k != "x-sohoa-audience"}},
        {"secret": "t" * 32},
        {"now": 1_000_000.0 + 301},
    ],
    ids=["method", "path", "actor", "person", "audience", "secret", "expired"],
)
def test_any_change_or_age_refuses_it(changes: dict[str, object]) -> None:
    token = sign(SECRET, "POST", PATH, HEADERS, now=1_000_000)
    with pytest.raises(NotFromGateway):
        _verify(token, **changes)


@pytest.mark.parametrize("token", [None, "", "v2.1000000.abc", "v1.x.abc", "v1.1000000"])
def test_a_missing_or_malformed_token_is_refused(token: str | None) -> None:
    with pytest.raises(NotFromGateway):
        _verify(token)
