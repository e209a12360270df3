"""tesseract behind one small engine interface, run in a process pool.

The pool is the parallelism: one page per process, one tesseract thread per process
(OMP_THREAD_LIMIT), which is fastest per core. ``forkserver`` because forking a process that
runs client threads (Kafka, S3) is unsafe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytesseract

from services.ocr.domain import PageReading, PageTimeout, UnreadableImage, mean_word_confidence
from shared.text import nfc


def _init_worker(threads: int) -> None:
    os.environ["OMP_THREAD_LIMIT"] = str(threads)


def read_page(path: Path, languages: str) -> PageReading:
    """Read one page image: plain text and hOCR from a single tesseract run."""
    try:
        text, hocr = pytesseract.run_and_get_multiple_output(
            str(path), extensions=["txt", "hocr"], lang=languages
        )
    except pytesseract.TesseractError as exc:
        raise UnreadableImage(f"tesseract: {exc.message.strip()[:500]}") from exc
    version = str(pytesseract.get_tesseract_version())
    return PageReading(
        text=nfc(str(text)).strip(),
        hocr=nfc(str(hocr)),
        confidence=mean_word_confidence(str(hocr)),
        engine=f"tesseract {version} ({languages})",
    )


class PooledReader:
    """Runs :func:`read_page` in the pool with a per-page time limit."""

    def __init__(self, pool: ProcessPoolExecutor, languages: str, timeout: float) -> None:
        self._pool = pool
        self._languages = languages
        self._timeout = timeout

    async def __call__(self, path: Path) -> PageReading:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, partial(read_page, path, self._languages))
        try:
            return await asyncio.wait_for(future, timeout=self._timeout)
        except TimeoutError as exc:
            raise PageTimeout(f"page not read within {self._timeout:.0f} s") from exc


@contextmanager
def ocr_pool(processes: int, threads: int) -> Iterator[ProcessPoolExecutor]:
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_init_worker, initargs=(threads,)
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
