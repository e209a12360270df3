"""Delivery to the national archive with the reference receiver: receiver down then up →
delivered once; a duplicate receipt changes nothing; a tampered package is refused and the
hồ sơ goes back to the archivists with the reason."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ops.demo import run_journey, wait_for_receipt, wait_until
from services.ops.samples import SampleDocument
from services.ops.stack import LocalStack
from shared.config import KafkaSettings
from shared.events import PackageReceipt
from shared.kafka import KafkaPublisher

pytestmark = pytest.mark.e2e


def _deliveries(stack: LocalStack, package_id: str) -> list[dict[str, Any]]:
    path = "/api/v1/deliveries"
    headers = stack.signed_headers("GET", path)
    url = f"{stack.services['handover'].url}{path}"
    listed = httpx.get(url, headers=headers, timeout=10).json()
    return [d for d in listed if d["package_id"] == package_id]


async def _publish(settings: KafkaSettings, event: PackageReceipt) -> None:
    async with KafkaPublisher.open(settings, source="test") as publisher:
        await publisher.publish(event)


def _lag_is_zero(stack: LocalStack, service: str, group: str) -> bool:
    metrics = httpx.get(f"{stack.services[service].url}/metrics", timeout=5).text
    return f'sohoa_consumer_lag{{group="{group}"}} 0.0' in metrics


def test_receiver_down_then_up_delivers_once_and_a_duplicate_receipt_changes_nothing(
    stack: LocalStack, client: httpx.Client, sample: tuple[SampleDocument, list[Path]]
) -> None:
    document, paths = sample
    code = "H49.64.33.2024.GIAO"
    stack.services["receiver"].stop()
    try:
        package = run_journey(client, paths, document, say=lambda _l: None, file_code=code)
        (pending,) = _deliveries(stack, package["package_id"])
        assert pending["state"] == "pending"
        assert client.get(f"/api/v1/files/{code}").json()["state"] == "packaged"
    finally:
        stack.restart("receiver")
    file = wait_for_receipt(client, code)
    assert file["state"] == "handed_over"

    def answered() -> dict[str, Any] | None:
        (d,) = _deliveries(stack, package["package_id"])
        return d if d["state"] == "accepted" else None

    delivery = wait_until(answered, timeout=60, what="the delivery's receipt")
    assert delivery["attempts"] == 1
    assert delivery["receipt_id"].startswith("BN-")
    handed = [h for h in file["history"] if h["to_state"] == "handed_over"]
    assert len(handed) == 1  # delivered once

    assert stack.broker is not None
    duplicate = PackageReceipt(
        file_code=code, package_id=package["package_id"], receipt_id=delivery["receipt_id"],
        accepted=False, sha256=package["sha256"], receiver="replay", at=file["history"][-1]["at"],
    )  # fmt: skip
    asyncio.run(_publish(KafkaSettings(bootstrap_servers=stack.broker.bootstrap), duplicate))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        _lag_is_zero(stack, "catalogue", "sohoa-catalogue")
        and _lag_is_zero(stack, "handover", "sohoa-handover")
    ):
        time.sleep(0.2)  # poll interval
    after = client.get(f"/api/v1/files/{code}").json()
    assert after["state"] == "handed_over"
    assert after["history"] == file["history"]
    (still,) = _deliveries(stack, package["package_id"])
    assert (still["state"], still["receipt_id"]) == ("accepted", delivery["receipt_id"])
    receipt = client.get(f"/api/v1/files/{code}/receipt").json()  # the first answer, kept
    assert (receipt["receipt_id"], receipt["accepted"]) == (delivery["receipt_id"], True)
    assert receipt["package_id"] == package["package_id"]
    assert receipt["received_sha256"] == receipt["package_sha256"] == package["sha256"]
    assert receipt["receiver"] != "replay"


def test_a_tampered_package_is_refused_and_returns_to_the_archivists(
    stack: LocalStack, client: httpx.Client, sample: tuple[SampleDocument, list[Path]]
) -> None:
    document, paths = sample
    code = "H49.64.33.2024.HONG"
    stack.services["receiver"].stop()
    try:
        package = run_journey(client, paths, document, say=lambda _l: None, file_code=code)
        stored = stack.objects_dir / "handover" / code / f"{package['package_id']}.zip"
        data = bytearray(stored.read_bytes())
        data[len(data) // 2] ^= 0x01  # one flipped byte in the stored package
        stored.chmod(0o644)  # stored write-once and read-only: the tamperer must force it
        stored.write_bytes(bytes(data))
    finally:
        stack.restart("receiver")
    file = wait_for_receipt(client, code)
    assert file["state"] == "described"
    last = max(file["history"], key=lambda t: t["at"])
    assert "từ chối" in last["reason"]
    assert "SHA-256" in last["reason"]

    def answered() -> dict[str, Any] | None:
        (d,) = _deliveries(stack, package["package_id"])
        return d if d["state"] == "rejected" else None

    delivery = wait_until(answered, timeout=60, what="the rejection")
    assert any("SHA-256" in r for r in delivery["reasons"])
    receipt = client.get(f"/api/v1/files/{code}/receipt").json()
    assert (receipt["accepted"], receipt["reasons"]) == (False, delivery["reasons"])
    assert receipt["received_sha256"] != receipt["package_sha256"]  # what was tampered with
