"""Composition root of the gateway: API keys and one HTTP client per internal service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.gateway import admin, api
from services.gateway.adapters import Upstream
from services.gateway.config import GatewaySettings
from services.gateway.domain import RateLimiter
from shared.http import create_service_app, run_service
from shared.logging import configure_logging

SOURCE = "sohoa-gateway"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_logging(settings.log, service=SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=5)
        secret = settings.internal.token_secret
        upstreams = {
            name: Upstream(
                name,
                httpx.AsyncClient(base_url=url, timeout=timeout),
                token_secret=secret.get_secret_value() if secret else None,
            )
            for name, url in (
                ("ingest", settings.ingest_url),
                ("catalogue", settings.catalogue_url),
                ("handover", settings.handover_url),
            )
        }
        app.state.upstreams = upstreams
        app.state.ready_checks = {name: u.health for name, u in upstreams.items()}
        try:
            yield
        finally:
            for upstream in upstreams.values():
                await upstream.aclose()

    app = create_service_app(
        SOURCE,
        lifespan=lifespan,
        signed_by_gateway=False,  # the gateway is the one that signs
        public=True,  # /ready and /metrics only with the probe token
        probe_token=settings.probe_token,
        title="sohoa API",
        description=(
            "API duy nhất của sohoa cho hệ thống cấp tỉnh và lưu trữ viên: đăng ký hồ sơ, tải ảnh "
            "trang, tìm kiếm, nghiệm thu, gói bàn giao. Mọi lời gọi cần header `X-API-Key`. "
            "Lỗi trả về `application/problem+json` (RFC 9457) với trường `code` cho máy đọc."
        ),
    )
    default_openapi = app.openapi
    app.openapi = lambda: api.document(default_openapi())  # type: ignore[method-assign]  # FastAPI's documented way to complete the document
    app.state.settings = settings
    app.state.api_keys = {name: key.get_secret_value() for name, key in settings.api_keys.items()}
    app.state.client_roles = settings.client_roles
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.include_router(api.router)
    app.include_router(admin.router)
    return app


def main() -> None:
    settings = GatewaySettings()
    run_service("services.gateway.app:create_app", host=settings.host, port=settings.port)
