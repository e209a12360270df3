"""Webhooks through the running stack: the catalogue publishes a hồ sơ's state change, the
gateway process consumes it from the broker and POSTs it, signed, to a receiver on loopback;
the partner system `doitac` (partner_read) hears of the open hồ sơ and never of the
restricted one."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from services.gateway.deliveries import SIGNATURE_HEADER, TIMESTAMP_HEADER
from services.gateway.webhooks import signature_matches
from services.ops.demo import wait_until
from services.ops.stack import LocalStack
from tests.support.gateway import Received, Receiver, receiving

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 60


def _subscribe(client: httpx.Client, url: str, key: str) -> tuple[str, str]:
    made = client.post("/api/v1/webhooks", headers={"X-API-Key": key}, json={"url": url})
    assert made.status_code == 201, made.text
    return made.json()["webhook"]["id"], made.json()["secret"]


def _heard(receiver: Receiver, path: str, file_code: str) -> list[Received]:
    return [r for r in receiver.on(path) if json.loads(r.body)["file_code"] == file_code]


def test_registered_hồ_sơ_reach_subscribers_signed_and_restricted_ones_only_staff(
    stack: LocalStack, client: httpx.Client
) -> None:
    suffix = uuid.uuid4().hex[:6]
    open_file, closed_file = f"H49.64.33.2026.W{suffix}.VP", f"H49.64.33.2026.R{suffix}.VP"
    with receiving() as receiver:
        _, staff_secret = _subscribe(client, f"{receiver.url}/staff", stack.api_key)
        partner, partner_secret = _subscribe(
            client, f"{receiver.url}/doitac", stack.client_keys["doitac"]
        )
        for file_code, mode in ((closed_file, "02"), (open_file, "01")):  # restricted first
            registered = client.post(
                "/api/v1/files",
                json={
                    "file_code": file_code,
                    "title": "Hồ sơ thử webhook",
                    "number_of_page": 1,
                    "mode": mode,
                },
            )
            assert registered.status_code == 201, registered.text

        expected = (("/doitac", open_file), ("/staff", open_file), ("/staff", closed_file))
        deadline = time.monotonic() + WAIT_SECONDS
        while not all(_heard(receiver, path, code) for path, code in expected):
            assert time.monotonic() < deadline, "a webhook never arrived"
            time.sleep(0.2)  # poll interval: the receiver is asked, not waited on

    (delivered,) = _heard(receiver, "/doitac", open_file)
    timestamp = int(delivered.headers[TIMESTAMP_HEADER])
    assert signature_matches(
        partner_secret, timestamp, delivered.body, delivered.headers[SIGNATURE_HEADER]
    )
    assert json.loads(delivered.body)["to_state"] == "inventoried"
    # The restricted one reached the staff key; its deliveries were made in one transaction,
    # so the partner reader's list says it had none, not merely not yet.
    (staff_closed,) = _heard(receiver, "/staff", closed_file)
    assert signature_matches(
        staff_secret,
        int(staff_closed.headers[TIMESTAMP_HEADER]),
        staff_closed.body,
        staff_closed.headers[SIGNATURE_HEADER],
    )
    assert _heard(receiver, "/doitac", closed_file) == []

    def recorded() -> dict[str, Any] | None:
        """The worker records the answer after the receiver has it: asked until it has."""
        page: dict[str, Any] = client.get(
            f"/api/v1/webhooks/{partner}/deliveries",
            headers={"X-API-Key": stack.client_keys["doitac"]},
        ).json()
        return page if all(d["state"] == "delivered" for d in page["deliveries"]) else None

    listed = wait_until(recorded, timeout=WAIT_SECONDS, what="the delivery recorded")["deliveries"]
    assert [(d["file_code"], d["state"]) for d in listed] == [(open_file, "delivered")]
