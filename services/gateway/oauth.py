"""OAuth2 at the gateway (RFC 6749): ``POST /api/v1/oauth/token`` gives a short-lived access
token to a client (``client_credentials``) or to a person signing in through it
(``password``); ``GET /api/v1/me`` says who a key or token stands for."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.gateway import accounts
from services.gateway.api import PROBLEMS
from services.gateway.callers import Authenticated, Identity
from services.gateway.domain import (
    BodyTooLarge,
    InvalidClient,
    OAuthError,
    Role,
    UnsupportedGrantType,
)
from services.gateway.identity import Caller, claims_for

router = APIRouter(prefix="/api/v1", tags=["identity"])
MAX_FORM_BYTES = 8 * 1024
FORM = "application/x-www-form-urlencoded"
TOKEN_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {
                            "type": "string",
                            "enum": ["client_credentials", "password"],
                        },
                        "client_id": {"type": "string", "description": "or HTTP Basic"},
                        "client_secret": {"type": "string", "description": "the client's API key"},
                        "username": {"type": "string", "description": "grant_type=password"},
                        "password": {"type": "string", "format": "password"},
                    },
                },
                "example": {
                    "grant_type": "password",
                    "client_id": "workspace",
                    "client_secret": "sohoa_…",
                    "username": "luutru",
                    "password": "…",
                },
            }
        },
    }
}


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="seconds", examples=[900])
    scope: str = Field(description="the roles, space-separated", examples=["archivist reviewer"])


class PersonOut(BaseModel):
    username: str = Field(examples=["luutru"])
    full_name: str = Field(examples=["Nguyễn Thị Lưu"])


class Me(BaseModel):
    client: str = Field(examples=["workspace"])
    person: PersonOut | None
    roles: list[Role]


async def _form(request: Request) -> dict[str, str]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise BodyTooLarge(f"biểu mẫu tối đa {MAX_FORM_BYTES} byte")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BodyTooLarge(f"biểu mẫu tối đa {MAX_FORM_BYTES} byte")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM:
        raise OAuthError(f"gửi biểu mẫu {FORM}")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise OAuthError("biểu mẫu không phải UTF-8") from exc


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """HTTP Basic (each part form-encoded, RFC 6749 §2.3.1) or the form's own fields."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClient("HTTP Basic không đúng dạng") from exc
        name, _, secret = decoded.partition(":")
        return unquote_plus(name), unquote_plus(secret)
    name, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not name or not secret:
        raise InvalidClient("thiếu client_id và client_secret (hoặc HTTP Basic)")
    return name, secret


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    summary="Cấp mã truy cập (OAuth2): client_credentials, or password for a person",
    description="The client authenticates with HTTP Basic (name : API key) or `client_id` and "
    "`client_secret`. A client's token lasts 900 s; a person's 3600 s, with the person's roles "
    "that the client also holds. Refusals carry RFC 6749's `error` beside `code`.",
    openapi_extra=TOKEN_FORM,
    responses={
        400: {"description": "auth.invalid-grant, auth.unsupported-grant-type (error member)"},
        401: {"description": "auth.invalid-client (error: invalid_client)"},
    },
)
async def token(request: Request) -> JSONResponse:
    form = await _form(request)
    grant = form.get("grant_type", "")
    if grant not in ("client_credentials", "password"):
        if not grant:
            raise OAuthError("thiếu grant_type")
        raise UnsupportedGrantType(f"grant_type {grant!r} không được hỗ trợ")
    identity: Identity = request.app.state.identity
    name, secret = _client_credentials(request, form)
    client = await asyncio.to_thread(
        lambda: accounts.authenticate_client(identity.uow(), name, secret, identity.bootstrap)
    )
    request.app.state.limiter.check(client.client, time.monotonic())
    caller: Caller = client
    if grant == "password":
        username, password = form.get("username", ""), form.get("password", "")
        if not username or not password:
            raise OAuthError("grant_type=password cần username và password")
        caller = await asyncio.to_thread(
            lambda: accounts.sign_in(identity.uow(), client, username, password)
        )
    request.state.caller = caller  # the audit names who signed in
    claims = claims_for(caller, int(time.time()))
    body = TokenResponse(
        access_token=identity.signer.issue(claims),
        token_type="Bearer",  # noqa: S106  # RFC 6750's scheme name, not a secret
        expires_in=claims.lifetime,
        scope=" ".join(sorted(role.value for role in claims.roles)),
    )
    return JSONResponse(
        body.model_dump(), headers={"cache-control": "no-store", "pragma": "no-cache"}
    )


@router.get(
    "/me",
    response_model=Me,
    summary="Who this key or token stands for: the client, the person, the roles",
    responses=PROBLEMS,
)
async def me(caller: Authenticated) -> Me:
    person = caller.person
    return Me(
        client=caller.client,
        person=PersonOut(username=person.username, full_name=person.full_name) if person else None,
        roles=sorted(caller.roles),
    )
