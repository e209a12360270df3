"""Composition root of ingest: builds the adapters, wires the handlers, owns the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from services.ingest import api
from services.ingest.adapters.db import SqlUnitOfWork
from services.ingest.adapters.images import guard_decoders
from services.ingest.config import IngestSettings
from services.ingest.handlers import SOURCE, IngestDeps, consume, on_file_state_changed
from shared.events import BatchClosed, FileStateChanged, PageIngested, PageRejected
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.objectstore import open_store
from shared.runtime import service_runtime

MIGRATIONS = Path(__file__).parent / "migrations"
GROUP_ID = "sohoa-ingest"


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    configure_logging(settings.log, service=SOURCE)
    guard_decoders(settings.rules.policy())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            settings.kafka,
            source=SOURCE,
            topics=topics_for([PageIngested, PageRejected, BatchClosed, FileStateChanged]),
            database_url=settings.database_url,
            migrations=MIGRATIONS,
        ) as runtime:
            originals = await open_store(settings.storage, "originals")
            engine = runtime.database()
            deps = IngestDeps(
                partial(SqlUnitOfWork, engine, source=SOURCE),
                originals,
                runtime.wake_outbox,
                settings.policy_for,
            )
            runner = runtime.consumer(GROUP_ID)
            runner.subscribe(FileStateChanged, consume(deps, on_file_state_changed))
            await runtime.start_consumer(runner)
            app.state.deps = deps
            app.state.ready_checks = {**runtime.ready_checks, "storage": originals.ping}
            yield

    app = create_service_app(
        SOURCE,
        lifespan=lifespan,
        title="sohoa ingest",
        description="Nhận ảnh quét trang, kiểm tra, lưu bản gốc (ghi một lần) và thông báo.",
    )
    app.state.settings = settings
    app.include_router(api.router)
    return app


def main() -> None:
    settings = IngestSettings()
    run_service("services.ingest.app:create_app", host=settings.host, port=settings.port)
