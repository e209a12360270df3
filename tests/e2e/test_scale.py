"""OCR workers scale out in one consumer group: two split the page topic's partitions, the
survivor takes over a killed one's, and a page that cannot be read goes to the DLQ with its
reason while the hồ sơ shows why."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from services.ops.demo import open_for_scanning, wait_until
from services.ops.stack import LocalStack
from shared.config import KafkaSettings
from shared.events import PageIngested
from shared.kafka import KafkaPublisher
from tests.e2e.journey import register_and_upload

pytestmark = pytest.mark.e2e
PARTITIONS = 3  # SOHOA_KAFKA_PARTITIONS of the e2e stack
HELD = 2 * PARTITIONS  # the group reads page-ingested and the sweep's page-read-requested
ASSIGNED = re.compile(r'sohoa_consumer_assigned_partitions\{group="sohoa-ocr"\} ([\d.]+)')


def _assigned(stack: LocalStack, worker: str) -> int | None:
    try:
        metrics = httpx.get(f"{stack.services[worker].url}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    found = ASSIGNED.search(metrics)
    return int(float(found.group(1))) if found else None


def _wait_for_assignment(stack: LocalStack, expected: dict[str, int]) -> None:
    def settled() -> dict[str, Any] | None:
        seen = {worker: _assigned(stack, worker) for worker in expected}
        return {"seen": seen} if seen == expected else None

    wait_until(settled, timeout=60, what=f"partition assignment {expected}")


def _wait_digitized(client: httpx.Client, file_code: str) -> dict[str, Any]:
    def digitized() -> dict[str, Any] | None:
        file: dict[str, Any] = client.get(f"/api/v1/files/{file_code}").json()
        return file if file["state"] == "digitized" else None

    return wait_until(digitized, timeout=300, what=f"{file_code} digitized")


def test_two_workers_in_one_group_split_the_partitions(stack: LocalStack) -> None:
    def split() -> dict[str, Any] | None:
        held = [_assigned(stack, worker) or 0 for worker in ("ocr", "ocr-2")]
        return {"held": held} if min(held) >= 1 and sum(held) == HELD else None

    wait_until(split, timeout=60, what="both OCR workers holding partitions")


def test_survivor_takes_over_a_killed_workers_partitions(
    stack: LocalStack, client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    stack.services["ocr-2"].kill()
    try:
        _wait_for_assignment(stack, {"ocr": HELD})
        register_and_upload(client, "H49.64.33.2024.TAKEOVER", scans[1])
        file = _wait_digitized(client, "H49.64.33.2024.TAKEOVER")
        assert sorted(p["sequence"] for p in file["pages"]) == [1, 2, 3]
        assert all(p["has_text"] for p in file["pages"])
    finally:
        stack.restart("ocr-2")


async def _dead_letter_of(bootstrap: str, page_id: str) -> dict[str, bytes]:
    consumer = AIOKafkaConsumer(
        f"{PageIngested.TOPIC}.dlq",
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    if page_id.encode() in (record.value or b""):
                        return dict(record.headers)
    finally:
        await consumer.stop()
    raise AssertionError(f"no dead letter for page {page_id}")


def test_unreadable_original_is_dead_lettered_with_its_reason_and_shown_on_the_page(
    stack: LocalStack, client: httpx.Client
) -> None:
    """Ingest refuses corrupt uploads, so damage after capture is simulated in storage."""
    file_code = "H49.64.33.2024.POISON"
    response = client.post(
        "/api/v1/files", json={"file_code": file_code, "title": "Trang hỏng", "number_of_page": 1}
    )
    assert response.status_code == 201
    open_for_scanning(client, file_code, pages=1)
    corrupt = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000
    key = f"{file_code}/0001-{hashlib.sha256(corrupt).hexdigest()[:16]}.png"
    target = stack.objects_dir / "originals" / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(corrupt)
    event = PageIngested(
        file_code=file_code,
        page_id=uuid.uuid4(),
        sequence=1,
        object_key=key,
        sha256=hashlib.sha256(corrupt).hexdigest(),
        size=len(corrupt),
        media_type="image/png",
        width=2480,
        height=3508,
    )
    assert stack.broker is not None
    settings = KafkaSettings(bootstrap_servers=stack.broker.bootstrap)

    async def publish_then_read_dlq() -> dict[str, bytes]:
        async with KafkaPublisher.open(settings, source="test") as publisher:
            await publisher.publish(event)
        return await _dead_letter_of(stack.broker.bootstrap, str(event.page_id))  # type: ignore[union-attr]

    headers = asyncio.run(publish_then_read_dlq())
    assert headers["dlq_error_code"] == b"ocr.unreadable-image"
    assert headers["dlq_consumer_group"] == b"sohoa-ocr"
    assert b"decode" in headers["dlq_error_message"]

    def failure_recorded() -> dict[str, Any] | None:
        pages: list[dict[str, Any]] = client.get(f"/api/v1/files/{file_code}").json()["pages"]
        failed = [p for p in pages if p["failure_code"]]
        return failed[0] if failed else None

    page = wait_until(failure_recorded, timeout=60, what="page-failed recorded by the catalogue")
    assert page["failure_code"] == "ocr.unreadable-image"
    assert page["page_id"] == str(event.page_id)
    # the workers keep serving after the poison page
    assert httpx.get(f"{stack.services['ocr'].url}/ready", timeout=5).status_code == 200
