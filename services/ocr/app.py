"""Composition root of an OCR worker: storage, process pool, publisher, consumer runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from services.ocr import api, handlers
from services.ocr.adapters.tesseract import PooledCall, renewable_pool
from services.ocr.config import OcrSettings
from services.ocr.pipeline import process_image
from shared.events import PageIngested, PageReadRequested
from shared.http import create_service_app, run_service
from shared.kafka import topics_for
from shared.logging import configure_logging
from shared.objectstore import open_store
from shared.runtime import service_runtime

GROUP_ID = "sohoa-ocr"


def create_app(settings: OcrSettings | None = None) -> FastAPI:
    settings = settings or OcrSettings()
    configure_logging(settings.log, service=handlers.SOURCE)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with renewable_pool(settings.processes, settings.tesseract_threads) as pool:
            async with service_runtime(
                settings.kafka,
                source=handlers.SOURCE,
                topics=topics_for([PageIngested, PageReadRequested, *handlers.PUBLISHES]),
            ) as runtime:
                originals = await open_store(settings.storage, "originals")
                derivatives = await open_store(settings.storage, "derivatives")
                deps = handlers.OcrDeps(
                    originals=originals,
                    derivatives=derivatives,
                    read_page=PooledCall(
                        pool,
                        partial(process_image, languages=settings.languages),
                        settings.page_timeout_seconds,
                    ),
                    publish=runtime.publisher.publish,
                )
                # Stateless: no processed-event record; a redelivered page is read again.
                runner = runtime.consumer(GROUP_ID)
                read = partial(handlers.on_page_ingested, deps=deps)
                runner.subscribe(PageIngested, read)
                runner.subscribe(PageReadRequested, read)  # the catalogue's sweep asks again
                await runtime.start_consumer(runner)
                app.state.ready_checks = {
                    **runtime.ready_checks,
                    "storage:originals": originals.ping,
                    "storage:derivatives": derivatives.ping,
                }
                yield

    app = create_service_app(
        handlers.SOURCE,
        lifespan=lifespan,
        title="sohoa ocr",
        description="Làm sạch ảnh và nhận dạng ký tự tiếng Việt; worker không trạng thái.",
    )
    app.state.settings = settings
    app.include_router(api.router)
    return app


def main() -> None:
    settings = OcrSettings()
    run_service("services.ocr.app:create_app", host=settings.host, port=settings.port)
