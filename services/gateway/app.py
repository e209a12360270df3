"""Composition root of the gateway: its database of clients and people, the token signer,
one HTTP client per internal service, and the webhooks: the consumer of file-state-changed
and the worker that delivers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import partial

import httpx
import structlog
from fastapi import FastAPI

from services.gateway import admin, api, clients, oauth, subscriptions, webhooks_api
from services.gateway.accounts import Bootstrap
from services.gateway.adapters import Upstream
from services.gateway.audit import AuditMiddleware, AuditWriter, catalogue_modes
from services.gateway.callers import Identity
from services.gateway.config import GatewaySettings
from services.gateway.db import SqlAuditLog, SqlUnitOfWork, open_database
from services.gateway.deliveries import GROUP_ID, DeliveryWorker, WebhookFeed, on_file_state_changed
from services.gateway.domain import RateLimiter
from services.gateway.tokens import TokenSigner
from shared.background import Periodic
from shared.db import Inbox, ping, prune_processed, utcnow
from shared.http import create_service_app, run_service
from shared.logging import configure_logging

SOURCE = "sohoa-gateway"
PRUNE_DELIVERIES_SECONDS = 3600  # retention is counted in days: once an hour is plenty
log = structlog.get_logger(__name__)


def token_signer(settings: GatewaySettings) -> TokenSigner:
    keys = {kid: key.get_secret_value() for kid, key in settings.token_keys.items()}
    if not keys:
        log.warning("token_keys_ephemeral")  # tokens die with the process; set them in production
        keys = {"ephemeral": secrets.token_urlsafe(32)}
    return TokenSigner(keys, settings.token_issuer)


def _prune_deliveries(uow: Callable[[], SqlUnitOfWork], keep: timedelta) -> None:
    pruned = subscriptions.prune_deliveries(uow(), utcnow(), keep)
    if pruned:
        log.info("webhook_deliveries_pruned", count=pruned)


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
        engine = open_database(settings.database_url)
        uow = partial(SqlUnitOfWork, engine)
        bootstrap = Bootstrap(
            {name: key.get_secret_value() for name, key in settings.api_keys.items()},
            settings.client_roles,
        )
        app.state.identity = Identity(uow=uow, bootstrap=bootstrap, signer=token_signer(settings))
        app.state.upstreams = upstreams
        app.state.audit_log = SqlAuditLog(engine)
        app.state.ready_checks = {
            **{name: u.health for name, u in upstreams.items()},
            "database": partial(ping, engine),
        }
        writer = AuditWriter(
            app.state.audit_log,
            catalogue_modes(lambda: app.state.upstreams["catalogue"], SOURCE),
            batch=settings.audit_batch,
            linger=settings.audit_linger_seconds,
            capacity=settings.audit_queue,
            mode_ttl=settings.audit_mode_cache_seconds,
        )
        # no kept-alive connections: a delivery connects to the address checked for its host,
        # and a pooled connection to that address would be reused for another host resolving
        # to it without checking that host's certificate (httpcore pools by address)
        partners = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        worker = DeliveryWorker(
            uow,
            partners,
            settings.webhook_policy(),
            timeout=settings.webhook_timeout_seconds,
            bootstrap=bootstrap,
            private_destinations=settings.webhook_private_destinations,
        )
        feed = WebhookFeed(
            settings.kafka,
            on_file_state_changed(uow, bootstrap),
            Inbox(engine, GROUP_ID),
            source=SOURCE,
        )
        try:
            async with AsyncExitStack() as stack:  # left in reverse: the audit queue last
                await stack.enter_async_context(writer)
                app.state.audit = writer
                every = settings.webhook_poll_seconds
                deliver = Periodic("webhook-deliveries", every, worker.run_once)
                await stack.enter_async_context(deliver)
                await stack.enter_async_context(feed)
                retention = settings.kafka.retention_hours  # as the other services keep them
                prune = Periodic(
                    "processed-event-prune",
                    settings.kafka.redrive_check_seconds,
                    partial(asyncio.to_thread, prune_processed, engine, retention),
                    at_start=True,
                )
                await stack.enter_async_context(prune)
                kept = timedelta(days=settings.webhook_delivery_retention_days)
                forget = Periodic(
                    "webhook-delivery-prune",
                    PRUNE_DELIVERIES_SECONDS,
                    partial(asyncio.to_thread, _prune_deliveries, uow, kept),
                    at_start=True,
                )
                await stack.enter_async_context(forget)
                app.state.webhook_worker = worker
                yield
        finally:
            app.state.audit = None
            await partners.aclose()
            for upstream in upstreams.values():
                await upstream.aclose()
            engine.dispose()

    app = create_service_app(
        SOURCE,
        lifespan=lifespan,
        signed_by_gateway=False,  # the gateway is the one that signs
        public=True,  # /ready and /metrics only with the probe token
        probe_token=settings.probe_token,
        title="sohoa API",
        description=(
            "API duy nhất của sohoa cho hệ thống cấp tỉnh và lưu trữ viên: đăng ký hồ sơ, tải ảnh "
            "trang, tìm kiếm, nghiệm thu, gói bàn giao. Mọi lời gọi cần header `X-API-Key` "
            "hoặc `Authorization: Bearer` với mã truy cập từ `POST /api/v1/oauth/token`. "
            "Lỗi trả về `application/problem+json` (RFC 9457) với trường `code` cho máy đọc."
        ),
    )
    app.add_middleware(AuditMiddleware)
    default_openapi = app.openapi
    app.openapi = lambda: api.document(default_openapi())  # type: ignore[method-assign]  # FastAPI's documented way to complete the document
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(oauth.router)
    app.include_router(clients.router)
    app.include_router(webhooks_api.router)
    return app


def main() -> None:
    settings = GatewaySettings()
    run_service("services.gateway.app:create_app", host=settings.host, port=settings.port)
