"""Issue 10's promise on the real stack: five hồ sơ of eight pages go from registration to
handed over while every process is killed once with SIGKILL mid-run, the broker comes back
without its log, and storage and the database are away for a while. At the end every page is
read once in the record, every hồ sơ is packaged once, no dead-letter topic holds anything,
and nobody did anything an operator would do: no replay, no database edit, no restart by hand.

The stack is the supervised ``sohoa stack`` (restart: always) with PostgreSQL for ingest,
the two catalogue replicas and handover, and the S3 adapter on moto's server; both are
reached through a cuttable proxy, so an outage is the network going away, not a stopped
server that other tests share.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.ops.demo import (
    APPROVER,
    ARCHIVIST,
    FONDS,
    as_person,
    describe,
    inventory_csv,
    open_for_scanning,
    verify,
)
from services.ops.samples import SampleDocument, write_sample_file
from services.ops.stack import LocalStack
from shared.config import KafkaSettings
from shared.deadletters import DeadLetters
from shared.events import PageProcessed
from shared.kafka import TopicReader
from tests.e2e.conftest import FAST_FAILOVER
from tests.support.outage import CuttableProxy
from tests.support.processes import pid_of, wait_for_new_pid

pytestmark = pytest.mark.e2e
PAGES = 8
OUTAGE_SECONDS = 60.0  # as issue 10 asks: minutes of consumer backoff, capped at 30 s a wait
KILLED_DURING_UPLOADS = {8: "ingest", 16: "gateway", 24: "catalogue-2", 32: "ocr"}
"""After which upload (of 40) each process is killed: the pipeline is busy behind the uploads."""
DEADLINE = 600.0  # per wait; a quiet machine takes a fraction (OCR of 40 pages dominates)
POLL = 0.3  # seconds between two questions to the stack


@dataclass
class Chaos:
    stack: LocalStack
    database: CuttableProxy
    storage: CuttableProxy
    databases: dict[str, sa.engine.URL]  # each service's database, reached directly


@pytest.fixture
def chaos(
    tmp_path: Path,
    s3_endpoint: str,
    postgres_databases: Callable[[], sa.engine.URL],
) -> Iterator[Chaos]:
    direct = {name: postgres_databases() for name in ("ingest", "catalogue", "handover")}
    first = direct["ingest"]
    database = CuttableProxy(first.host or "127.0.0.1", first.port or 5432).start()
    s3_host, s3_port = s3_endpoint.split(":")
    storage = CuttableProxy(s3_host, int(s3_port)).start()
    env = {
        **FAST_FAILOVER,
        # As many as the embedded broker gives a topic it creates by itself when a client asks
        # for one it lost with its log: with another count, a group that assigned partitions
        # before the loss can leave the new one unread until its metadata is refreshed.
        "SOHOA_KAFKA_PARTITIONS": "4",
        "SOHOA_KAFKA_REDRIVE_CHECK_SECONDS": "3",
        "SOHOA_CATALOGUE_SWEEP_SECONDS": "5",
        # Within a wait's deadline, so an event lost some way the re-drive does not cover is
        # asked for again, as in production (after 30 min there). A page still in OCR's backlog
        # when asked again is answered from its stored result: a duplicate on the topic only.
        "SOHOA_CATALOGUE_UNREAD_PAGE_SECONDS": str(int(DEADLINE / 2.5)),
        "SOHOA_CATALOGUE_UNPACKAGED_SECONDS": "90",
        "SOHOA_STORAGE_BACKEND": "s3",
        "SOHOA_STORAGE_S3_ENDPOINT": storage.address,
        "SOHOA_STORAGE_S3_ACCESS_KEY": "sohoa-test",
        "SOHOA_STORAGE_S3_SECRET_KEY": "sohoa-test-secret",
        "SOHOA_STORAGE_BUCKET_PREFIX": f"chaos{uuid.uuid4().hex[:10]}",
    }
    for name, url in direct.items():
        proxied = url.set(host="127.0.0.1", port=database.port)
        env[f"SOHOA_{name.upper()}_DATABASE_URL"] = proxied.render_as_string(hide_password=False)
    stack = LocalStack(
        tmp_path / "chaos", ocr_workers=2, catalogue_replicas=2, extra_env=env, supervise=True
    )
    stack.start(timeout=180)
    try:
        yield Chaos(stack, database, storage, direct)
    finally:
        stack.stop()
        database.stop()
        storage.stop()


@pytest.fixture(scope="module")
def eight_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleDocument, list[Path]]:
    return write_sample_file(tmp_path_factory.mktemp("chaos-scans"), seed=11, pages=PAGES)


class Patient:
    """Gateway calls that ride out a killed gateway or service: a transport error or a 502–504
    is asked again until the deadline. Every call made through it is safe to repeat."""

    def __init__(self, stack: LocalStack) -> None:
        self.var_dir = stack.var_dir
        self.http = httpx.Client(
            base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=60
        )

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code in (200, 201):
                    body: dict[str, Any] = response.json()
                    return body
                assert response.status_code in (502, 503, 504), response.text
                last = response.text
            time.sleep(POLL)
        raise AssertionError(f"{method} {path}: {last}")

    def wait_for(self, file_code: str, states: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            file = self.call("GET", f"/api/v1/files/{file_code}")
            if file["state"] in states:
                return file
            time.sleep(POLL)
        raise AssertionError(
            f"{file_code} never reached {states}: {file['state']}; {self._trace(file)}"
        )

    def _trace(self, file: dict[str, Any]) -> str:
        """What each service logged about the pages still unread: a failure in CI leaves only
        this message behind, so it has to say where each page stopped."""
        pages = [p for p in file.get("pages", []) if p["current"]]
        unread = [p for p in pages if not p["has_text"]]
        missing = sorted(set(range(1, PAGES + 1)) - {p["sequence"] for p in pages})
        lines = [f"{len(unread)} page(s) unread, sequences never stored: {missing}"]
        for page in unread:
            seen = {
                log.stem: _events_naming(log, page["page_id"])
                for log in sorted((self.var_dir / "logs").glob("*.log"))
            }
            trail = "; ".join(
                f"{name}: {', '.join(events)}" for name, events in seen.items() if events
            )
            lines.append(
                f"page {page['sequence']} {page['page_id']} "
                f"(stored {page['stored']}, failure {page['failure_code']}) "
                f"— {trail or 'in no log'}"
            )
        return " | ".join(lines)


def _events_naming(log: Path, needle: str) -> list[str]:
    """The structured-log event names of the lines in ``log`` that mention ``needle``."""
    events: list[str] = []
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if needle in line:
                found = re.search(r'"event": "([^"]{1,60})', line)
                events.append(found.group(1) if found else line[:60])
    return events


def kill(stack: LocalStack, name: str) -> None:
    """kill -9, then wait for the supervisor to have started it again (not for it to be ready:
    the work must go on by itself)."""
    old = pid_of(stack.run_dir, name)
    os.kill(old, signal.SIGKILL)
    wait_for_new_pid(stack.run_dir, name, old, timeout=60)


def _answers(stack: LocalStack, name: str, path: str) -> httpx.Response | None:
    try:
        return httpx.get(f"{stack.services[name].url}{path}", timeout=5)
    except httpx.HTTPError:
        return None


def outage(stack: LocalStack, proxy: CuttableProxy, noticed_by: tuple[str, ...]) -> list[str]:
    """Keep ``proxy`` cut for OUTAGE_SECONDS; returns the services that reported it (``/ready``
    503) and those whose consumer held a record through it."""
    proxy.cut()
    started, noticed = time.monotonic(), set()
    try:
        while time.monotonic() - started < OUTAGE_SECONDS:  # the outage's length, not a wait
            for name in noticed_by:
                ready = _answers(stack, name, "/ready")
                if ready is not None and ready.status_code == 503:
                    noticed.add(f"{name}: not ready")
                metrics = _answers(stack, name, "/metrics")
                if metrics is not None and "sohoa_consumer_waiting_on_outage{" in metrics.text:
                    waiting = [
                        line
                        for line in metrics.text.splitlines()
                        if line.startswith("sohoa_consumer_waiting_on_outage{")
                        and not line.endswith(" 0.0")
                    ]
                    if waiting:
                        noticed.add(f"{name}: consumer waiting")
            time.sleep(POLL)
    finally:
        proxy.restore()
    return sorted(noticed)


def _progress(started: float) -> Callable[[str], None]:
    def say(line: str) -> None:
        print(f"  chaos {time.monotonic() - started:6.1f} s  {line}")  # noqa: T201

    return say


def _kafka(stack: LocalStack) -> KafkaSettings:
    assert stack.broker is not None
    return KafkaSettings(bootstrap_servers=stack.broker.bootstrap)


async def _dead_letter_count(settings: KafkaSettings) -> int:
    async with DeadLetters.open(settings) as letters:
        return await letters.count()


async def _page_processed_per_page(settings: KafkaSettings) -> Counter[str]:
    counts: Counter[str] = Counter()
    async with TopicReader.open(settings, client_id="chaos-test") as reader:
        async for record in reader.read_topics([PageProcessed.TOPIC]):
            counts[(record.key or b"").decode()] += 1
    return counts


def _swept(stack: LocalStack) -> dict[str, int]:
    """``sohoa_sweep_announced_total`` by sweep, over the catalogue replicas."""
    totals: Counter[str] = Counter()
    for name in ("catalogue", "catalogue-2"):
        metrics = _answers(stack, name, "/metrics")
        for line in metrics.text.splitlines() if metrics is not None else []:
            found = re.match(r'sohoa_sweep_announced_total\{sweep="([^"]+)"\} ([0-9.e+]+)', line)
            if found:
                totals[found.group(1)] += int(float(found.group(2)))
    return dict(totals)


def _rows(url: sa.engine.URL, query: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def test_five_files_reach_the_archive_through_kills_outages_and_a_lost_broker_log(
    chaos: Chaos, eight_pages: tuple[SampleDocument, list[Path]]
) -> None:
    stack, (document, scans) = chaos.stack, eight_pages
    gateway = Patient(stack)
    started = time.monotonic()
    year = document.facts.issued_date[-4:]
    files = [f"H49.64.33.{year}.CHAOS{n}" for n in range(1, 6)]
    for code in files:  # each from its mục lục row, with every element biên mục needs
        gateway.call(
            "POST",
            "/api/v1/inventory-imports",
            params={"dry_run": "false", "fonds": FONDS},
            content=inventory_csv(code, document, PAGES),
            headers={"content-type": "text/csv", **as_person(ARCHIVIST)},
        )
        open_for_scanning(gateway.http, code, pages=PAGES)
    say = _progress(started)
    say("registered and open for scanning")

    uploads = 0
    for sequence, scan in enumerate(scans, start=1):  # page by page: every hồ sơ in progress
        for code in files:
            gateway.call(
                "POST",
                f"/api/v1/files/{code}/pages",
                params={"sequence": sequence},
                content=scan.read_bytes(),
                headers={"content-type": "image/png"},
            )
            uploads += 1
            if uploads in KILLED_DURING_UPLOADS:
                kill(stack, KILLED_DURING_UPLOADS[uploads])

    say("40 pages uploaded; ingest, gateway, a catalogue replica and an OCR worker killed")
    assert asyncio.run(_dead_letter_count(_kafka(stack))) == 0  # the broker's log goes next
    kill(stack, "broker")  # the embedded broker keeps its log in memory: it comes back empty
    say("broker killed and back without its log")
    storage = outage(stack, chaos.storage, ("ocr", "ocr-2"))
    say(f"storage away for {OUTAGE_SECONDS:.0f} s, noticed by {storage}")
    database = outage(stack, chaos.database, ("catalogue", "catalogue-2", "ingest"))
    say(f"database away for {OUTAGE_SECONDS:.0f} s, noticed by {database}")

    for code in files:
        gateway.wait_for(code, {"digitized"})
    say("every hồ sơ digitized")
    for code in files:
        describe(gateway.http, code, document, PAGES)
        verify(gateway.http, code)
        gateway.call(
            "POST",
            f"/api/v1/files/{code}/accept",
            json={"minutes_number": "07/BB-NT", "role": "Giám đốc Sở Nội vụ"},
            headers=as_person(APPROVER),
        )
    say("described, verified and accepted")
    kill(stack, "handover")  # packaging the first of five
    gateway.wait_for(files[0], {"packaged", "handed_over"})
    kill(stack, "receiver")
    say("handover killed while packaging, the receiver after the first package")
    finals = [gateway.wait_for(code, {"handed_over"}) for code in files]
    say("every hồ sơ handed over")
    elapsed = time.monotonic() - started

    settings = _kafka(stack)
    per_page = asyncio.run(_page_processed_per_page(settings))
    print(  # noqa: T201  # the issue asks for these counts in the test's output
        f"\nchaos: {elapsed:.0f} s; outages noticed — storage: {storage}; database: {database}"
        f"\npage-processed events per page since the broker lost its log: "
        f"{dict(sorted(Counter(per_page.values()).items()))} (events per page: pages)"
        f"\nwork the catalogue's sweeps announced again: {_swept(stack)}"
    )
    assert asyncio.run(_dead_letter_count(settings)) == 0
    assert storage, "no service noticed the storage outage"  # felt, not slept through
    assert database, "no service noticed the database outage"
    # Each killed process came back, and nothing else was restarted. One may take more than one
    # start: a process started again before the kernel freed its port exits and is started
    # once more (errno 98), which is the supervisor doing its job.
    killed = {*KILLED_DURING_UPLOADS.values(), "broker", "handover", "receiver"}
    assert set(stack.restarts) == killed, stack.restarts
    assert all(count >= 1 for count in stack.restarts.values()), stack.restarts
    for final in finals:
        pages = final["pages"]
        assert [p["sequence"] for p in pages] == list(range(1, PAGES + 1)), final["file_code"]
        assert all("text" in p["derivatives"] and not p.get("failure_code") for p in pages)
        assert final["pages_read"] == PAGES
    packages = _rows(
        chaos.databases["handover"],
        "SELECT file_code, count(*) FROM handover_package GROUP BY file_code ORDER BY file_code",
    )
    assert packages == [(code, 1) for code in sorted(files)]
    stored = _rows(
        chaos.databases["ingest"], "SELECT file_code, count(*) FROM ingest_page GROUP BY file_code"
    )
    assert sorted(stored) == [(code, PAGES) for code in sorted(files)]
    read = _rows(  # one record per page, each with its reading
        chaos.databases["catalogue"],
        "SELECT file_code, count(*), count(text_key) FROM catalogue_page GROUP BY file_code",
    )
    assert sorted(read) == [(code, PAGES, PAGES) for code in sorted(files)]
