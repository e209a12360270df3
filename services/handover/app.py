"""Composition root of handover: stores, database, outbox, consumer of file-accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

import structlog
from fastapi import FastAPI

from services.handover import api, handlers
from services.handover.adapters.pades import AgencySigner
from services.handover.config import HandoverSettings
from shared.background import Periodic
from shared.db import utcnow
from shared.events import FileAccepted, PackageFailed, PackageReady, PackageReceipt
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.objectstore import open_store
from shared.runtime import service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP_ID = "sohoa-handover"
log = structlog.get_logger(__name__)


def _signer(settings: HandoverSettings) -> AgencySigner | None:
    """The archive's signing key from settings; a wrong file or passphrase stops start-up."""
    if settings.signing_pkcs12 is None:
        return None
    passphrase = settings.signing_passphrase
    return AgencySigner(
        Path(settings.signing_pkcs12),
        passphrase.get_secret_value() if passphrase is not None else None,
        settings.source_organization,
        settings.signing_font,
    )


def create_app(settings: HandoverSettings | None = None) -> FastAPI:
    settings = settings or HandoverSettings()
    configure_logging(settings.log, service=handlers.SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings.kafka,
            source=handlers.SOURCE,
            topics=topics_for([FileAccepted, PackageReady, PackageFailed, PackageReceipt]),
            database_url=settings.database_url,
            migrations=MIGRATIONS,
        ) as runtime:
            stores = {
                a: await open_store(settings.storage, a)
                for a in ("originals", "derivatives", "handover")
            }
            deps = handlers.HandoverDeps(
                engine=runtime.database(),
                originals=stores["originals"],
                derivatives=stores["derivatives"],
                packages=stores["handover"],
                wake_outbox=runtime.wake_outbox,
                organization=settings.source_organization,
                work_dir=settings.work_dir,
                pdf_per=settings.pdf_per,
                signer=_signer(settings),
                public_url=settings.public_url,
                download_secret=settings.download_secret,
                download_ttl_seconds=settings.download_ttl_seconds,
                retry=handlers.RetryTimes(
                    first_wait=timedelta(seconds=settings.redeliver_first_seconds),
                    max_wait=timedelta(seconds=settings.redeliver_max_seconds),
                    overdue_after=timedelta(seconds=settings.overdue_after_seconds),
                ),
            )
            runner = runtime.consumer(GROUP_ID)
            runner.subscribe(FileAccepted, partial(handlers.on_file_accepted, deps=deps))
            runner.subscribe(PackageReceipt, partial(handlers.on_package_receipt, deps=deps))
            await runtime.start_consumer(runner)
            await runtime.stack.enter_async_context(
                Periodic(
                    "redeliver",
                    settings.redeliver_check_seconds,
                    lambda: handlers.redeliver_due(deps, utcnow()),
                )
            )
            if settings.fixity_objects_per_minute > 0:
                # one stored object per round, oldest check first: the rate limit itself
                await runtime.stack.enter_async_context(
                    Periodic(
                        "fixity-audit",
                        60 / settings.fixity_objects_per_minute,
                        lambda: handlers.audit_fixity(deps, limit=1),
                    )
                )
            app.state.deps = deps
            app.state.ready_checks = {
                **runtime.ready_checks,
                **{f"storage:{area}": store.ping for area, store in stores.items()},
            }
            yield

    app = create_service_app(
        handlers.SOURCE,
        lifespan=lifespan,
        title="sohoa handover",
        description="Đóng gói hồ sơ đã nghiệm thu (BagIt, SHA-256) và bàn giao.",
        # The national archive downloads by the signed URL package-ready gave, not the gateway.
        exempt=api.SIGNED_DOWNLOADS,
    )
    app.state.settings = settings
    app.include_router(api.router)
    return app


def main() -> None:
    settings = HandoverSettings()
    run_service("services.handover.app:create_app", host=settings.host, port=settings.port)
