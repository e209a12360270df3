"""Composition root of the reference receiver: consumer of package-ready, publisher of
package-receipt, an HTTP client for downloads, ``/ready`` like every service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.receiver import handlers
from services.receiver.checks import SignaturePolicy
from services.receiver.config import ReceiverSettings
from shared.events import PackageReady, PackageReceipt
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.pades import trust_roots
from shared.runtime import service_runtime

GROUP_ID = "sohoa-reference-receiver"


def create_app(settings: ReceiverSettings | None = None) -> FastAPI:
    settings = settings or ReceiverSettings()
    configure_logging(settings.log, service=handlers.SOURCE)
    inbox = Path(settings.inbox_dir).absolute()
    signatures = SignaturePolicy(
        tuple(trust_roots(settings.trusted_certificates)), settings.require_signatures
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(inbox.mkdir, parents=True, exist_ok=True)
        async with (
            service_runtime(
                settings.kafka,
                source=handlers.SOURCE,
                topics=topics_for([PackageReady, PackageReceipt]),
            ) as runtime,
            httpx.AsyncClient(timeout=httpx.Timeout(30, read=300)) as http,
        ):
            deps = handlers.ReceiverDeps(runtime.publisher, inbox, settings.name, http, signatures)
            runner = runtime.consumer(GROUP_ID)
            runner.subscribe(PackageReady, partial(handlers.on_package_ready, deps=deps))
            await runtime.start_consumer(runner)
            app.state.ready_checks = dict(runtime.ready_checks)
            yield

    return create_service_app(
        handlers.SOURCE,
        lifespan=lifespan,
        title="sohoa reference receiver",
        description="Bên nhận mẫu (Lưu trữ quốc gia): tải gói, kiểm tra, gửi biên nhận.",
    )


def main() -> None:
    settings = ReceiverSettings()
    run_service("services.receiver.app:create_app", host=settings.host, port=settings.port)
