"""HTTP calls to the internal services. Request bodies are streamed through, never buffered."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping

import httpx
from fastapi import Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.gateway.domain import UpstreamTimeout, UpstreamUnavailable
from shared import servicetoken
from shared.records import RECORDS_COUNT_HEADER, RECORDS_HEADER

PASSED_RESPONSE_HEADERS = (
    "content-type",
    "content-length",
    "content-disposition",
    "location",
    "retry-after",
    "etag",
    "digest",  # a package download's SHA-256 (RFC 3230), for the receiver to check
    "last-modified",
    # The hồ sơ the service touched: for the audit middleware, which takes them off before
    # the caller sees the answer (services.gateway.audit).
    RECORDS_HEADER,
    RECORDS_COUNT_HEADER,
)


class Upstream:
    """One internal service behind the gateway."""

    def __init__(
        self, name: str, client: httpx.AsyncClient, *, token_secret: str | None = None
    ) -> None:
        self.name = name
        self._client = client
        self._secret = token_secret

    async def forward(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        body: AsyncIterator[bytes] | None = None,
        stream: bool = True,
    ) -> Response:
        """The service's answer, streamed to the caller as it arrives (a package or a page
        image passes through in constant memory); ``stream=False`` reads a small one whole."""
        request = self._client.build_request(
            method, path, params=params, headers=dict(headers), content=body
        )
        if self._secret is not None:  # the services take only what the gateway signed
            raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
            request.headers[servicetoken.HEADER] = servicetoken.sign(
                self._secret, method, raw_path, request.headers, time.time()
            )
        try:
            upstream = await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"{self.name} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        passed = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_RESPONSE_HEADERS}
        if "content-encoding" in upstream.headers:
            passed.pop("content-length", None)  # passed on decoded
        if not stream:
            try:
                content = await upstream.aread()
            finally:
                await upstream.aclose()
            return Response(content, status_code=upstream.status_code, headers=passed)
        return StreamingResponse(
            upstream.aiter_bytes(),
            status_code=upstream.status_code,
            headers=passed,
            background=BackgroundTask(upstream.aclose),
        )

    async def health(self) -> None:
        try:
            response = await self._client.get("/health")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            # the name only: the exception text carries the service's address
            raise UpstreamUnavailable(f"{self.name}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
