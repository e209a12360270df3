"""What the workspace needs from the world: the gateway, as any client sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.workspace.domain import Person


class GatewayProblem(Exception):
    """The gateway answered with an RFC 9457 problem; shown to the person with its ``code``."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.body = dict(body)
        self.code = str(body.get("code", "gateway.error"))
        self.detail = str(body.get("detail") or body.get("title") or "")
        super().__init__(f"{status} {self.code}: {self.detail}")


@dataclass(frozen=True)
class Grant:
    """An OAuth2 access token for one person (RFC 6749 password grant)."""

    access_token: str
    expires_in: float


@dataclass
class Streamed:
    """A body passed through as it arrives (exports, page images, packages)."""

    status: int
    media_type: str
    chunks: AsyncIterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)


Params = Mapping[str, str | int | list[str]]


class Gateway(Protocol):
    async def sign_in(self, username: str, password: str) -> Grant:
        """Raises :class:`SignInRefused` for a wrong name or password."""
        ...

    async def me(self, token: str) -> Person: ...

    async def get(self, token: str, path: str, params: Params | None = None) -> Any:
        """JSON of ``GET /api/v1{path}``; a problem raises :class:`GatewayProblem`."""
        ...

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
    ) -> Any: ...

    async def stream(self, token: str, path: str, params: Params | None = None) -> Streamed: ...
