"""Who is calling: every ``/api/v1`` route takes ``X-API-Key: <key>`` or
``Authorization: Bearer <access token>`` and turns it into a :class:`Caller` (client, person,
roles) before anything else happens. The checks themselves are the use cases of
:mod:`services.gateway.accounts`; database work runs off the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.gateway import accounts
from services.gateway.domain import InvalidToken, MissingApiKey, authorize
from services.gateway.identity import Caller, person_name
from services.gateway.ports import UnitOfWork
from services.gateway.tokens import TokenSigner

PERSON_HEADER = "x-acting-person"


@dataclass(frozen=True)
class Identity:
    """What authentication needs, built by the composition root."""

    uow: Callable[[], UnitOfWork]
    bootstrap: accounts.Bootstrap
    signer: TokenSigner

    async def by_key(self, key: str) -> Caller:
        name = self.bootstrap.client_for_key(key)  # settings keys: no database round trip
        if name is not None:
            return Caller(name, self.bootstrap.roles_of(name))
        return await asyncio.to_thread(
            lambda: accounts.caller_for_key(self.uow(), key, self.bootstrap)
        )

    async def by_token(self, token: str) -> Caller:
        claims = self.signer.verify(token, time.time())
        return await asyncio.to_thread(
            lambda: accounts.caller_for_token(self.uow(), claims, self.bootstrap)
        )


api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="khóa API của hệ thống gọi (sohoa_…)"
)
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="mã truy cập từ POST /api/v1/oauth/token (client_credentials hoặc password)",
)


async def _caller(
    request: Request,
    key: Annotated[str | None, Depends(api_key_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    identity: Identity = request.app.state.identity
    if "authorization" in request.headers and (bearer is None or not bearer.credentials):
        raise InvalidToken("Authorization phải có dạng 'Bearer <mã truy cập>'")
    if key:
        caller = await identity.by_key(key)
    elif bearer is not None and bearer.credentials:
        caller = await identity.by_token(bearer.credentials)
    else:
        raise MissingApiKey(
            "gửi khóa API trong header X-API-Key hoặc mã truy cập trong Authorization: Bearer"
        )
    request.state.caller = caller  # for the audit of this request
    return caller


Authenticated = Annotated[Caller, Depends(_caller)]


def require(caller: Caller, method: str, path: str) -> None:
    """``auth.forbidden`` naming the missing role, checked before a body is read."""
    authorize(caller.roles, method, path)


def route_template(request: Request) -> str:
    """The matched route's path under ``/api/v1``, e.g. ``/clients/{name}``: what the role
    matrix and the audit log name an operation by."""
    path: str = getattr(request.scope.get("route"), "path", request.url.path)
    return path.removeprefix("/api/v1")


async def _authorized(request: Request, caller: Authenticated) -> Caller:
    """The role check, then the client's rate limit: the gateway's own routes (clients,
    webhooks, the audit log) count against it like the forwarded ones."""
    require(caller, request.method, route_template(request))
    request.app.state.limiter.check(caller.client, time.monotonic())
    return caller


Authorized = Annotated[Caller, Depends(_authorized)]
"""A caller holding the role the matched route needs (gateway-answered routes)."""


ActingPersonHeader = Annotated[
    str | None,
    Header(
        alias=PERSON_HEADER,
        description="người thực hiện (UTF-8, percent-encoded), recorded with every step; "
        "ignored when the access token names the person",
    ),
]


def acting_person(caller: Caller, header: str | None) -> str | None:
    """Who acts: the person the token names (the header cannot say otherwise), or with an
    API key the person the client names in ``X-Acting-Person``."""
    if caller.person is not None:
        return caller.person.full_name
    return person_name(header)


def forwarded_person(caller: Caller, header: str | None) -> str | None:
    """The person as the services receive it: NFC, percent-encoded (headers are ASCII)."""
    name = acting_person(caller, header)
    return quote(name) if name else None


async def run_use_case(request: Request, use_case: Any, *args: Any, **kwargs: Any) -> Any:
    """A use case of the gateway's own routes in a worker thread, with a fresh unit of work."""
    identity: Identity = request.app.state.identity
    return await asyncio.to_thread(lambda: use_case(identity.uow(), *args, **kwargs))
