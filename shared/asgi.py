"""Pure ASGI middleware that adds headers to an answer as it starts, whatever kind of answer
the route gave (JSON, a streamed file, a problem): bodies stream through untouched."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]


class AnswerHeadersMiddleware:
    """Subclasses say which headers an answer gets, from the request's scope and the headers
    the answer already has."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def added(self, scope: Scope, present: Headers) -> Headers:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.extend(self.added(scope, headers))
            await send(message)

        await self.app(scope, receive, with_headers)
