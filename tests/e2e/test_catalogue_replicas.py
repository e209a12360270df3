"""Two catalogue processes on one PostgreSQL database, in one consumer group: the last pages of
a hồ sơ read by different replicas at once leave it digitized, and two acceptances sent to the
two replicas at the same moment give exactly one file-accepted."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.ops.broker import TansuBroker, free_port
from services.ops.demo import wait_until
from services.ops.stack import ServiceProcess
from shared.config import KafkaSettings
from shared.db import normalise_url
from shared.events import PageIngested
from shared.kafka import KafkaPublisher
from tests.support.catalogue import ingested, processed

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2001.REPLICA"
PAGES = 6
ACTOR = {"x-sohoa-actor": "test", "x-sohoa-person": "L%C3%AA%20V%C4%83n%20H%C3%A2n"}


@pytest.fixture
def replicas(
    kafka_broker: TansuBroker, postgres_url: str, tmp_path: Path
) -> Iterator[list[ServiceProcess]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(
        {
            "SOHOA_KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
            "SOHOA_KAFKA_PARTITIONS": "3",
            "SOHOA_KAFKA_SESSION_TIMEOUT_MS": "3000",
            "SOHOA_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "SOHOA_CATALOGUE_DATABASE_URL": postgres_url,
            "SOHOA_LOG_JSON": "false",
        }
    )
    processes = []
    for n in (1, 2):
        port = free_port()
        processes.append(
            ServiceProcess(
                f"catalogue-{n}",
                port,
                {**env, "SOHOA_CATALOGUE_PORT": str(port)},
                tmp_path / f"catalogue-{n}.log",
            )
        )
    processes[0].start()  # the first one migrates; the second starts on a migrated database
    processes[0].wait_ready(_deadline(90))
    processes[1].start()
    processes[1].wait_ready(_deadline(90))
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


def _deadline(seconds: float) -> float:
    return time.monotonic() + seconds


def _call(replica: ServiceProcess, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = httpx.request(
        method, f"{replica.url}/api/v1{path}", headers=ACTOR, timeout=60, **kwargs
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _publish(bootstrap: str, events: list[Any]) -> None:
    async def send() -> None:
        async with KafkaPublisher.open(
            KafkaSettings(bootstrap_servers=bootstrap), source="test"
        ) as publisher:
            for event in events:
                await publisher.publish(event)

    asyncio.run(send())


def _file(replica: ServiceProcess) -> dict[str, Any]:
    return _call(replica, "GET", f"/files/{FILE_CODE}")


def test_two_replicas_count_every_page_and_accept_once(
    replicas: list[ServiceProcess], kafka_broker: TansuBroker, postgres_url: str
) -> None:
    first, second = replicas
    _call(
        first,
        "POST",
        "/files",
        json={
            "file_code": FILE_CODE,
            "title": "Hồ sơ hai bản sao",
            "number_of_page": PAGES,
            "numberOfPaper": PAGES,
            "maintenance": "01",
            "mode": "01",
            "language": "01",
            "startDate": "2001",
            "endDate": "2001",
            "totalDoc": 1,
            "format": "01",
            "paperFileCode": "TTLT.1",
        },
    )
    _call(
        first,
        "POST",
        f"/files/{FILE_CODE}/selection",
        json={"criteria": [{"code": 1, "evidence": "vĩnh viễn"}]},
    )
    _call(
        second,
        "POST",
        "/selection-decisions",
        json={
            "number": "7/QĐ",
            "date": "2026-03-05",
            "signer": "Lê Văn Hân",
            "file_codes": [FILE_CODE],
        },
    )
    _call(first, "POST", f"/files/{FILE_CODE}/arrangement", json={"confirmed_by": "Phạm Thị Chỉnh"})

    pages: list[PageIngested] = [ingested(FILE_CODE, n) for n in range(1, PAGES + 1)]
    # page events are keyed by page id, so they spread over the partitions both replicas hold
    _publish(kafka_broker.bootstrap, [*pages, *(processed(p) for p in pages)])

    def digitized() -> dict[str, Any] | None:
        file = _file(second)
        return file if file["state"] == "digitized" else None

    file = wait_until(digitized, timeout=120, what="both replicas to record every page")
    assert file["pages_read"] == PAGES
    assert [h["to_state"] for h in file["history"]].count("digitized") == 1

    _call(
        first,
        "PUT",
        f"/files/{FILE_CODE}/documents/1",
        json={
            "first_page": 1,
            "last_page": PAGES,
            "typeName": "10",
            "codeNumber": "115",
            "codeNotation": "KH-UBND",
            "issuedDate": "14/12/2001",
            "organName": "Ủy ban nhân dân tỉnh",
            "subject": "Kế hoạch",
        },
    )
    _call(second, "POST", f"/files/{FILE_CODE}/description")
    _call(first, "POST", f"/files/{FILE_CODE}/verification", json={"waivers": []})

    barrier = threading.Barrier(2)
    answers: list[dict[str, Any]] = []

    def accept(replica: ServiceProcess) -> None:
        barrier.wait()
        answers.append(_call(replica, "POST", f"/files/{FILE_CODE}/accept"))

    threads = [threading.Thread(target=accept, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a["state"] for a in answers] == ["accepted", "accepted"]
    assert len({a["acceptance"]["acceptance_id"] for a in answers}) == 1

    engine = sa.create_engine(normalise_url(postgres_url))
    with engine.connect() as connection:
        bodies = connection.execute(
            sa.text("SELECT body FROM outbox_message WHERE topic = :t"),
            {"t": "sohoa.catalogue.file-accepted.v1"},
        ).scalars()
        accepted = [json.loads(body) for body in bodies]
    engine.dispose()
    assert [a["file_code"] for a in accepted] == [FILE_CODE]
    assert [h["to_state"] for h in _file(first)["history"]].count("accepted") == 1
