"""The gateway over HTTP (httpx): the workspace's client credentials sign people in; every
later call carries the person's bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from services.workspace.domain import Person, SignInRefused
from services.workspace.ports import GatewayProblem, Grant, Params, Streamed
from shared.text import nfc

PASSED_HEADERS = ("content-disposition", "content-length", "digest", "cache-control")


class HttpGateway:
    def __init__(self, client: httpx.AsyncClient, client_id: str, client_secret: str) -> None:
        self._http = client
        self._client_id = client_id
        self._client_secret = client_secret

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self) -> None:
        (await self._http.get("/health")).raise_for_status()

    async def sign_in(self, username: str, password: str) -> Grant:
        response = await self._http.post(
            "/api/v1/oauth/token",
            data={"grant_type": "password", "username": username, "password": password},
            auth=(self._client_id, self._client_secret),
        )
        if response.status_code in (400, 401):
            raise SignInRefused("tên đăng nhập hoặc mật khẩu không đúng")
        body = _json(response)
        return Grant(str(body["access_token"]), float(body.get("expires_in", 3600)))

    async def me(self, token: str) -> Person:
        body = _json(await self._http.get("/api/v1/me", headers=_bearer(token)))
        person = body.get("person") or {}
        return Person(
            username=str(person.get("username") or body.get("client", "")),
            full_name=nfc(str(person.get("full_name") or body.get("client", ""))),
            roles=frozenset(str(r) for r in body.get("roles", ())),
        )

    async def get(self, token: str, path: str, params: Params | None = None) -> Any:
        return _json(await self._http.get(f"/api/v1{path}", params=params, headers=_bearer(token)))

    async def send(
        self,
        token: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        content: AsyncIterator[bytes] | bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        headers = _bearer(token)
        if content_type:
            headers["content-type"] = content_type
        response = await self._http.request(
            method, f"/api/v1{path}", json=json, params=params, content=content, headers=headers
        )
        return _json(response)

    async def stream(self, token: str, path: str, params: Params | None = None) -> Streamed:
        request = self._http.build_request(
            "GET", f"/api/v1{path}", params=params, headers=_bearer(token)
        )
        response = await self._http.send(request, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            _json(response)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_bytes():
                    yield chunk
            finally:
                await response.aclose()

        return Streamed(
            response.status_code,
            response.headers.get("content-type", "application/octet-stream"),
            chunks(),
            {k: v for k, v in response.headers.items() if k in PASSED_HEADERS},
        )


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _json(response: httpx.Response) -> Any:
    """The body as JSON; any 4xx/5xx becomes :class:`GatewayProblem` (its problem+json)."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    if response.status_code >= 400:
        problem = body if isinstance(body, dict) else {"detail": response.text[:300]}
        raise GatewayProblem(response.status_code, problem)
    return body
