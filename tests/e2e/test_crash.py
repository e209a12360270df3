"""kill -9 the OCR worker while it holds a page: after a restart every page is read and
recorded exactly once in the catalogue, and the hồ sơ reaches its final digitized state."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from services.ops.demo import wait_until
from services.ops.stack import LocalStack
from tests.e2e.journey import register_and_upload

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.CRASH"
IN_PROGRESS = "sohoa_ocr_pages_in_progress 1.0"
IDLE = ('sohoa_consumer_lag{group="sohoa-ocr"} 0.0', "sohoa_ocr_pages_in_progress 0.0")
WORKERS = ("ocr", "ocr-2")


def _metrics(stack: LocalStack, worker: str) -> str:
    try:
        return httpx.get(f"{stack.services[worker].url}/metrics", timeout=2).text
    except httpx.HTTPError:
        return ""


def _reading_worker(stack: LocalStack) -> str | None:
    return next((w for w in WORKERS if IN_PROGRESS in _metrics(stack, w)), None)


def _ocr_idle(stack: LocalStack) -> dict[str, object] | None:
    """No page in hand and nothing waiting: whatever is read next is this test's."""
    idle = all(all(line in _metrics(stack, w) for line in IDLE) for w in WORKERS)
    return {"idle": True} if idle else None


def test_ocr_worker_killed_mid_page_loses_and_duplicates_nothing(
    stack: LocalStack, client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    title, paths = scans
    wait_until(lambda: _ocr_idle(stack), timeout=300, what="the OCR workers to be idle")
    register_and_upload(client, FILE_CODE, paths, title=title)

    deadline = time.monotonic() + 120
    while (worker := _reading_worker(stack)) is None:  # ask until a worker holds a page
        assert time.monotonic() < deadline, "no OCR worker started a page"
    stack.services[worker].kill()
    before = client.get(f"/api/v1/files/{FILE_CODE}").json()
    assert before["pages_read"] < 3  # the kill came mid-hồ sơ, holding one of its pages

    stack.restart(worker)

    def digitized() -> dict[str, object] | None:
        file: dict[str, object] = client.get(f"/api/v1/files/{FILE_CODE}").json()
        return file if file["state"] == "digitized" else None

    file = wait_until(digitized, timeout=300, what="every page read after the restart")
    pages = file["pages"]
    assert sorted(p["sequence"] for p in pages) == [1, 2, 3]  # no page recorded twice
    assert len({p["page_id"] for p in pages}) == 3
    assert all(p["stored"] and p["has_text"] for p in pages)
    assert file["pages_read"] == 3
    states = [h["to_state"] for h in file["history"]]
    assert states == [  # each transition once
        "inventoried",
        "selected",
        "approved",
        "digitizing",
        "digitized",
    ]
