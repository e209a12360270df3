"""One local stack (Tansu, the five services and the reference receiver as processes) for the
e2e tests, and sample scans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.ops.samples import SampleDocument, write_sample_file
from services.ops.stack import LocalStack

FAST_FAILOVER = {
    # a SIGKILLed consumer's partitions move after this, not after the default 10 s
    "SOHOA_KAFKA_SESSION_TIMEOUT_MS": "3000",
    "SOHOA_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "SOHOA_KAFKA_PARTITIONS": "3",
    "SOHOA_KAFKA_BACKOFF_SECONDS": "0.2",
}


STARTUP_SECONDS = 300
"""Seven processes import and migrate at once; on a loaded 2-core machine that can pass two
minutes. Readiness is polled, so a quick start stays quick."""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(tmp_path_factory.mktemp("stack"), ocr_workers=2, extra_env=FAST_FAILOVER)
    local.start(timeout=STARTUP_SECONDS)
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def client(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=120
    ) as http:
        yield http


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleDocument, list[Path]]:
    """A 3-page sample văn bản at 300 dpi: what it prints, and its page images (PNG)."""
    return write_sample_file(tmp_path_factory.mktemp("scans"), seed=4, pages=3)


@pytest.fixture(scope="session")
def scans(sample: tuple[SampleDocument, list[Path]]) -> tuple[str, list[Path]]:
    """The sample's title and page images."""
    document, paths = sample
    return document.title, paths
