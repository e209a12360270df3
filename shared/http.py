"""What every service's HTTP side shares: RFC 9457 problem responses, the correlation id,
the gateway's signature check, and the probes ``/health``, ``/ready`` and ``/metrics``."""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import servicetoken
from shared.config import InternalAuthSettings
from shared.errors import SohoaError
from shared.records import RecordsMiddleware

log = structlog.get_logger(__name__)
PROBLEM_DOCS = "https://sohoa.example/problems"
CORRELATION_HEADER = "x-correlation-id"
ReadyCheck = Callable[[], Awaitable[None]]


def problem(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"{PROBLEM_DOCS}#{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status, media_type="application/problem+json")


# What the framework itself refuses (no route, wrong method, a body it cannot parse), in the
# same problem shape as everything else: status → (code, title).
FRAMEWORK_PROBLEMS: Mapping[int, tuple[str, str]] = {
    400: ("request.malformed", "Yêu cầu không đọc được"),
    404: ("http.not-found", "Không có đường dẫn này"),
    405: ("http.method-not-allowed", "Phương thức không được hỗ trợ"),
}


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the API document gives this path: several routes may share one path, and
    the framework's own 405 names only the first one's."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def framework_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = FRAMEWORK_PROBLEMS.get(exc.status_code, ("http.error", "Yêu cầu bị từ chối"))
        response = problem(exc.status_code, code, title, str(exc.detail), request.url.path)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(app, request.url.path))
        return response

    @app.exception_handler(SohoaError)
    async def sohoa_error(request: Request, exc: SohoaError) -> JSONResponse:
        response = problem(
            exc.http_status, exc.code, exc.title, str(exc), request.url.path, **exc.extra
        )
        if "retry_after_seconds" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after_seconds"])
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return problem(
            422,
            "request.invalid",
            "Yêu cầu không hợp lệ",
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem(500, "internal.error", "Lỗi hệ thống", "unexpected error", request.url.path)


class CorrelationIdMiddleware:
    """Binds the caller's ``X-Correlation-ID`` (or a new one) to logs and echoes it back.

    Pure ASGI, so streamed request and response bodies pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        correlation_id = headers.get(CORRELATION_HEADER.encode(), b"").decode() or str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (CORRELATION_HEADER.encode(), correlation_id.encode())
                )
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            await self.app(scope, receive, send_with_id)


def correlation_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("correlation_id", ""))


def probes_router() -> APIRouter:
    """Liveness, readiness (asks the broker, database and storage in ``app.state.ready_checks``)
    and Prometheus metrics."""
    router = APIRouter(tags=["probes"])

    @router.get("/health", summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready", summary="Readiness: every dependency answers")
    async def ready(request: Request) -> JSONResponse:
        checks: Mapping[str, ReadyCheck] = getattr(request.app.state, "ready_checks", {})
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=5)
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001  # a readiness probe reports, never raises
                results[name] = f"{type(exc).__name__}: {exc}"[:300]
        ok = bool(checks) and all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ok, "checks": results}, 200 if ok else 503)

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class ServiceTokenMiddleware:
    """Takes ``/api/…`` requests only with the gateway's signature on them
    (:mod:`shared.servicetoken`); probes and ``exempt`` prefixes (URLs that carry their own
    signature) pass. Pure ASGI, so streamed bodies pass through untouched."""

    def __init__(
        self, app: ASGIApp, *, secret: str, max_age: float, exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self._secret = secret
        self._max_age = max_age
        self._exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path.startswith(self._exempt):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path = scope.get("raw_path") or path.encode()
        try:
            servicetoken.verify(
                self._secret,
                headers.get(servicetoken.HEADER),
                scope["method"],
                raw_path.decode("latin-1"),
                headers,
                time.time(),
                self._max_age,
            )
        except servicetoken.NotFromGateway as exc:
            refused = problem(exc.http_status, exc.code, exc.title, str(exc), path)
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


class OperatorOnly(SohoaError):
    code = "auth.operator-only"
    title = "Chỉ dành cho vận hành"
    http_status = 401


class OperatorProbesMiddleware:
    """``/ready`` and ``/metrics`` of a public service (the gateway) only for operators: they
    name its dependencies and their errors. The caller sends ``Authorization: Bearer <token>``
    (the probe token: Prometheus, the orchestrator's probe); ``/health`` stays open for
    liveness. Without a token configured they answer nobody."""

    GUARDED = ("/ready", "/metrics")

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.GUARDED:
            await self.app(scope, receive, send)
            return
        presented = dict(scope["headers"]).get(b"authorization", b"")
        if self._expected is None or not hmac.compare_digest(presented, self._expected):
            refused = problem(
                OperatorOnly.http_status,
                OperatorOnly.code,
                OperatorOnly.title,
                "cần mã thăm dò của vận hành (Authorization: Bearer …)",
                scope["path"],
            )
            refused.headers["WWW-Authenticate"] = "Bearer"
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_service_app(
    name: str,
    *,
    lifespan: Any,
    title: str,
    description: str,
    internal: InternalAuthSettings | None = None,
    signed_by_gateway: bool = True,
    exempt: tuple[str, ...] = (),
    public: bool = False,
    probe_token: SecretStr | None = None,
) -> FastAPI:
    """A FastAPI app with the parts every sohoa service has. Internal services take only
    requests the gateway signed, once a secret is set (``SOHOA_INTERNAL_TOKEN_SECRET``).
    A ``public`` one (the gateway) shows ``/ready`` and ``/metrics`` only to ``probe_token``;
    an internal one tells the gateway the hồ sơ each answer touched (:mod:`shared.records`)."""
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.ready_checks = {}
    internal = internal or InternalAuthSettings()
    if public:
        token = probe_token.get_secret_value() if probe_token is not None else None
        app.add_middleware(OperatorProbesMiddleware, token=token)
    else:
        app.add_middleware(RecordsMiddleware)
    if signed_by_gateway and internal.token_secret is not None:
        app.add_middleware(
            ServiceTokenMiddleware,
            secret=internal.token_secret.get_secret_value(),
            max_age=internal.token_max_age_seconds,
            exempt=exempt,
        )
    app.add_middleware(CorrelationIdMiddleware)
    install_error_handlers(app)
    app.include_router(probes_router())
    app.state.service_name = name
    return app


def run_service(app_factory: str, *, host: str, port: int) -> None:
    """Console entry point body: serve ``module:factory`` with uvicorn, logs as configured."""
    import uvicorn

    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=60,
    )
