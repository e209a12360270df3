"""Composition root of the workspace: settings → the gateway client and the session store →
screens, static files, security headers and the error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from services.workspace import api
from services.workspace.adapters import HttpGateway
from services.workspace.config import WorkspaceSettings
from services.workspace.domain import CsrfRefused, Session, SessionStore
from services.workspace.ports import Gateway, GatewayProblem
from shared.asgi import AnswerHeadersMiddleware, Headers
from shared.errors import SohoaError
from shared.http import create_service_app, run_service
from shared.logging import configure_logging

SOURCE = "sohoa-workspace"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware(AnswerHeadersMiddleware):
    """Every answer carries a strict CSP and its companions; pages are never cached."""

    def added(self, scope: Scope, present: Headers) -> Headers:
        named = {name.lower() for name, _ in present}
        added = [(name, value) for name, value in SECURITY_HEADERS.items() if name not in named]
        if b"cache-control" not in named:
            added.append((b"cache-control", b"no-store"))
        return added


def create_app(
    settings: WorkspaceSettings | None = None, gateway: Gateway | None = None
) -> FastAPI:
    """``gateway`` replaces the HTTP client in unit tests (a fake of the port)."""
    settings = settings or WorkspaceSettings()
    configure_logging(settings.log, service=SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if gateway is not None:
            app.state.gateway = gateway
            app.state.ready_checks = {"gateway": _always_ready}
            yield
            return
        secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
        http = HttpGateway(
            httpx.AsyncClient(
                base_url=settings.gateway_url,
                timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=5),
            ),
            settings.client_id,
            secret,
        )
        app.state.gateway = http
        app.state.ready_checks = {"gateway": http.health}
        try:
            yield
        finally:
            await http.aclose()

    app = create_service_app(
        SOURCE,
        lifespan=lifespan,
        signed_by_gateway=False,  # people reach it with a browser; it calls the gateway itself
        title="sohoa workspace",
        description="Không gian làm việc của lưu trữ viên: màn hình web trên API của cổng.",
    )
    app.state.settings = settings
    app.state.sessions = SessionStore(settings.max_sessions)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(api.router)
    _install_error_pages(app)
    return app


async def _always_ready() -> None:
    return None


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(api.NotSignedIn)
    async def not_signed_in(request: Request, _exc: api.NotSignedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/ho-so"
        return RedirectResponse(f"/dang-nhap?next={quote(target)}", status_code=303)

    @app.exception_handler(GatewayProblem)
    async def gateway_problem(request: Request, exc: GatewayProblem) -> Response:
        if exc.status == 401:  # the token expired or was revoked: sign in again
            app.state.sessions.close(request.cookies.get(api.COOKIE, ""))
            return RedirectResponse("/dang-nhap", status_code=303)
        return _error_page(request, exc.status, exc.code, exc.detail)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return _error_page(request, exc.http_status, exc.code, str(exc))

    @app.exception_handler(SohoaError)
    async def refused(request: Request, exc: SohoaError) -> Response:
        return _error_page(request, exc.http_status, exc.code, str(exc))


def _error_page(request: Request, status: int, code: str, detail: str) -> HTMLResponse:
    session = app_session(request)
    return api.render(request, "error.html", session, status_code=status, code=code, detail=detail)


def app_session(request: Request) -> Session | None:
    try:
        return api.current_session(request)
    except api.NotSignedIn:
        return None


def main() -> None:
    settings = WorkspaceSettings()
    run_service("services.workspace.app:create_app", host=settings.host, port=settings.port)
