"""Composition root of the catalogue: the only place real adapters are built. Settings →
database (migrated), unit of work, message bus → API routes and consumers of page, package
events; at start-up, hồ sơ from before the workflow announce their state once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI
from prometheus_client import Counter

from services.catalogue import handlers, suggester
from services.catalogue.adapters.hocr import StoredHocr, StoredOriginals
from services.catalogue.adapters.repository import SOURCE, SqlUnitOfWork
from services.catalogue.adapters.sheets import OpenpyxlSpreadsheets
from services.catalogue.adapters.views import SqlCatalogueViews
from services.catalogue.api import CatalogueApi, router
from services.catalogue.config import CatalogueSettings
from services.catalogue.domain.checks import CheckPolicy
from services.catalogue.domain.commands import (
    AnnounceStates,
    AnnounceUnpackaged,
    AskForUnreadPages,
)
from services.catalogue.domain.reports import Period, ProgrammePlan
from services.catalogue.messagebus import MessageBus
from shared.background import Periodic
from shared.events import (
    FileAccepted,
    FileStateChanged,
    PackageFailed,
    PackageReady,
    PackageReceipt,
    PageFailed,
    PageIngested,
    PageProcessed,
    PageReadRequested,
)
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.objectstore import open_store
from shared.runtime import service_runtime

log = structlog.get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SWEPT = Counter(
    "sohoa_sweep_announced_total",
    "Work announced again by a reconciliation sweep",
    ["sweep"],
)
GROUP_ID = "sohoa-catalogue"
SUGGESTIONS_GROUP_ID = "sohoa-catalogue-suggestions"  # its own group: never holds up pages


def create_app(settings: CatalogueSettings | None = None) -> FastAPI:
    settings = settings or CatalogueSettings()
    configure_logging(settings.log, service=SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings.kafka,
            source=SOURCE,
            topics=topics_for(
                [
                    PageIngested,
                    PageProcessed,
                    PageFailed,
                    PageReadRequested,
                    FileStateChanged,
                    FileAccepted,
                    PackageReady,
                    PackageFailed,
                    PackageReceipt,
                ]
            ),
            database_url=settings.database_url,
            migrations=MIGRATIONS,
        ) as runtime:
            engine = runtime.database()
            bus = MessageBus(
                lambda correlation: SqlUnitOfWork(engine, correlation_id=correlation),
                runtime.wake_outbox,
            )
            await bus.run(handlers.announce_states, AnnounceStates())
            runner = runtime.consumer(GROUP_ID)
            runner.subscribe(PageIngested, bus.on_event(handlers.on_page_ingested))
            runner.subscribe(PageProcessed, bus.on_event(handlers.on_page_processed))
            runner.subscribe(PageFailed, bus.on_event(handlers.on_page_failed))
            runner.subscribe(PackageReady, bus.on_event(handlers.on_package_ready))
            runner.subscribe(PackageFailed, bus.on_event(handlers.on_package_failed))
            runner.subscribe(PackageReceipt, bus.on_event(handlers.on_package_receipt))
            await runtime.start_consumer(runner)
            derivatives = await open_store(settings.storage, "derivatives")
            hocr = StoredHocr(derivatives)
            reader = runtime.consumer(SUGGESTIONS_GROUP_ID)
            reader.subscribe(FileStateChanged, suggester.on_file_state_changed(bus, hocr))
            await runtime.start_consumer(reader)
            await _start_sweeps(runtime.stack, bus, settings)
            app.state.api = CatalogueApi(
                bus=bus,
                views=SqlCatalogueViews(engine),
                sheets=OpenpyxlSpreadsheets(),
                policy=CheckPolicy(
                    min_dpi=settings.min_dpi,
                    min_confidence=settings.min_confidence,
                    duplicate_distance=settings.duplicate_distance,
                ),
                plan=ProgrammePlan(
                    digitization=Period(*settings.plan_digitization),
                    handover=Period(*settings.plan_handover),
                ),
                organization=settings.organization,
                max_import_bytes=settings.max_import_bytes,
                spool_dir=settings.spool_dir,
                hocr=hocr,
                images=hocr,
                originals=StoredOriginals(await open_store(settings.storage, "originals")),
            )
            app.state.ready_checks = {**runtime.ready_checks, "storage": derivatives.ping}
            yield

    app = create_service_app(
        SOURCE,
        lifespan=lifespan,
        title="sohoa catalogue",
        description=(
            "Phông, hồ sơ, văn bản và trang theo Thông tư 05/2025/TT-BNV; lựa chọn, phê duyệt, "
            "chỉnh lý, biên mục, kiểm tra, nghiệm thu; nhập mục lục; báo cáo; tìm kiếm không dấu."
        ),
    )
    app.state.settings = settings
    app.include_router(router)
    return app


async def _start_sweeps(
    stack: AsyncExitStack, bus: MessageBus, settings: CatalogueSettings
) -> None:
    """Reconciliation: work whose events were lost is announced again, on every replica."""
    unread = AskForUnreadPages(after=timedelta(seconds=settings.unread_page_seconds))
    unpackaged = AnnounceUnpackaged(after=timedelta(seconds=settings.unpackaged_seconds))

    async def sweep() -> None:
        pages = await bus.run(handlers.ask_for_unread_pages, unread)
        files = await bus.run(handlers.announce_unpackaged, unpackaged)
        SWEPT.labels("unread-pages").inc(pages)
        SWEPT.labels("unpackaged-files").inc(len(files))
        if pages or files:
            log.warning("sweep_announced_again", unread_pages=pages, unpackaged_files=files)

    await stack.enter_async_context(Periodic("catalogue-sweeps", settings.sweep_seconds, sweep))


def main() -> None:
    settings = CatalogueSettings()
    run_service("services.catalogue.app:create_app", host=settings.host, port=settings.port)
