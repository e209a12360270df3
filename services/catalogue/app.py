"""Composition root of the catalogue: database, outbox, consumers of page and package events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.catalogue import api, handlers
from services.catalogue.config import CatalogueSettings
from shared.events import FileAccepted, PackageReady, PageFailed, PageIngested, PageProcessed
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.runtime import service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP_ID = "sohoa-catalogue"


def create_app(settings: CatalogueSettings | None = None) -> FastAPI:
    settings = settings or CatalogueSettings()
    configure_logging(settings.log, service=handlers.SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings.kafka,
            source=handlers.SOURCE,
            topics=topics_for(
                [PageIngested, PageProcessed, PageFailed, FileAccepted, PackageReady]
            ),
            database_url=settings.database_url,
            migrations=MIGRATIONS,
        ) as runtime:
            deps = handlers.CatalogueDeps(runtime.database(), runtime.wake_outbox)
            runner = runtime.consumer(GROUP_ID)
            runner.subscribe(PageIngested, partial(handlers.on_page_ingested, deps=deps))
            runner.subscribe(PageProcessed, partial(handlers.on_page_processed, deps=deps))
            runner.subscribe(PageFailed, partial(handlers.on_page_failed, deps=deps))
            runner.subscribe(PackageReady, partial(handlers.on_package_ready, deps=deps))
            await runtime.start_consumer(runner)
            app.state.deps = deps
            app.state.ready_checks = runtime.ready_checks
            yield

    app = create_service_app(
        handlers.SOURCE,
        lifespan=lifespan,
        title="sohoa catalogue",
        description="Biên mục hồ sơ, trang và văn bản; tìm kiếm không dấu; nghiệm thu.",
    )
    app.state.settings = settings
    app.include_router(api.router)
    return app


def main() -> None:
    settings = CatalogueSettings()
    run_service("services.catalogue.app:create_app", host=settings.host, port=settings.port)
