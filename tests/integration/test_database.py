"""Migrations, the outbox and the processed-event record on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

import services.catalogue.adapters.orm
import services.gateway.db
import services.handover.adapters.db
import services.ingest.adapters.db  # noqa: F401  # registers the tables compared below
from services.catalogue.app import MIGRATIONS as CATALOGUE
from services.gateway.db import MIGRATIONS as GATEWAY
from services.handover.app import MIGRATIONS as HANDOVER
from services.ingest.app import MIGRATIONS as INGEST
from shared.config import KafkaSettings
from shared.db import Inbox, ProcessedEvent, make_engine, migrate, prune_processed, utcnow
from shared.events import FileAccepted
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from shared.outbox import OutboxMessage, OutboxRelay, add_to_outbox

pytestmark = pytest.mark.integration
TABLES_OF = {
    "ingest": {"ingest_page", "ingest_file", "ingest_batch"},
    "catalogue": {
        "catalogue_fonds",
        "catalogue_file",
        "catalogue_document",
        "catalogue_page",
        "catalogue_search",
        "catalogue_transition",
        "catalogue_selection_decision",
        "catalogue_acceptance",
        "catalogue_verification",
        "catalogue_correction",
    },
    "handover": {"handover_package"},
    "gateway": {
        "gateway_client",
        "gateway_person",
        "gateway_audit",
        "gateway_audit_record",
        "gateway_webhook",
        "gateway_webhook_delivery",
    },
}
SHARED_TABLES = {"outbox_message", "processed_event"}
MESSAGING_TABLES = {"gateway": {"processed_event"}}  # consumes, never publishes: no outbox


# PostgreSQL's generated tsvector columns, their GIN indexes (one per kind of text) and the
# (kind, id) index its walk follows are the search index of one backend only (SQLite keeps an
# FTS5 table instead), so the models do not describe them.
SEARCH_INDEX_ONLY = {
    "exact_tsv",
    "folded_tsv",
    "ix_catalogue_search_kind_id",
    *(
        f"ix_catalogue_search_{kind}_{form}_tsv"
        for kind in ("page", "file")
        for form in ("exact", "folded")
    ),
}


def _compared(wanted: set[str], _object: object, name: str | None, kind: str, *_: object) -> bool:
    if kind == "table":
        return name in wanted
    return name not in SEARCH_INDEX_ONLY


@pytest.mark.parametrize(
    ("service", "migrations"),
    [("ingest", INGEST), ("catalogue", CATALOGUE), ("handover", HANDOVER), ("gateway", GATEWAY)],
)
def test_migrations_create_exactly_what_the_models_describe(
    database_url: str, service: str, migrations: Path
) -> None:
    engine = make_engine(database_url)
    migrate(engine, migrations)
    migrate(engine, migrations)  # running again at the next start-up is a no-op
    wanted = TABLES_OF[service] | MESSAGING_TABLES.get(service, SHARED_TABLES)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": partial(_compared, wanted)},
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def _accepted() -> FileAccepted:
    return FileAccepted(
        file_code="H49.64.33.2001.160",
        title="Hồ sơ về công tác số hóa tài liệu năm 2024",
        accepted_by="lưu trữ viên",
        accepted_at=datetime.fromisoformat("2026-11-23T10:00:00+07:00"),
        pages=(),
    )


async def test_outbox_row_leaves_only_if_its_transaction_commits_and_keeps_its_event_id(
    database_url: str, kafka_settings: KafkaSettings
) -> None:
    engine = make_engine(database_url)
    migrate(engine, CATALOGUE)
    with Session(engine) as session:
        add_to_outbox(session, _accepted(), source="test")
        session.rollback()  # the state change failed: its event must not leave
    with Session(engine) as session:
        envelope = add_to_outbox(session, _accepted(), source="test", correlation_id="c-9")
        session.commit()
    await ensure_topics(kafka_settings, topics_for([FileAccepted]))
    async with KafkaPublisher.open(kafka_settings, source="test") as publisher:
        relay = OutboxRelay(engine, publisher)
        assert await relay.drain() == 1
        assert await relay.drain() == 0  # marked sent
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert [row.event_id for row in rows] == [envelope.id]
    assert rows[0].sent_at is not None

    consumer = AIOKafkaConsumer(
        FileAccepted.TOPIC,
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while True:
            record = await asyncio.wait_for(consumer.getone(), timeout=30)
            if dict(record.headers)["ce_id"] == envelope.id.encode():
                break
    finally:
        await consumer.stop()
    assert dict(record.headers)["ce_correlationid"] == b"c-9"
    assert json.loads(record.value)["file_code"] == "H49.64.33.2001.160"
    assert record.key == b"H49.64.33.2001.160"
    engine.dispose()


class Recorder:
    """A publisher that remembers the ce_id of everything it was asked to send."""

    def __init__(self) -> None:
        self.ids: list[bytes] = []

    async def send(
        self, _topic: str, _key: str, _value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        self.ids.append(dict(headers)["ce_id"])


class CrashAfterSend(OutboxRelay):
    def _mark_sent(self, session: Session, ids: list[int | None]) -> None:
        raise RuntimeError("process killed between publish and mark")


async def test_row_sent_but_not_marked_is_sent_again_with_the_same_event_id(
    database_url: str,
) -> None:
    """The retry carries the same ce_id, so idempotent consumers skip it."""
    engine = make_engine(database_url)
    migrate(engine, CATALOGUE)
    with Session(engine) as session:
        envelope = add_to_outbox(session, _accepted(), source="test")
        session.commit()
    recorder = Recorder()
    with pytest.raises(RuntimeError):
        await CrashAfterSend(engine, recorder).drain()  # type: ignore[arg-type]  # duck-typed
    assert await OutboxRelay(engine, recorder).drain() == 1  # type: ignore[arg-type]
    assert recorder.ids == [envelope.id.encode(), envelope.id.encode()]
    engine.dispose()


class Watched(OutboxRelay):
    """A relay that counts its claims that found rows, and says when it has drained and
    when ``count`` rows are marked sent."""

    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claims, self._count, self._marked = 0, count, 0
        self.all_marked, self.drained = asyncio.Event(), asyncio.Event()
        self._loop = asyncio.get_running_loop()

    async def drain(self) -> int:
        sent = await super().drain()
        self.drained.set()
        return sent

    def _claim(self, session: Session) -> list[OutboxMessage]:
        batch = super()._claim(session)
        self.claims += bool(batch)
        return batch

    def _mark_sent(self, session: Session, ids: list[int | None]) -> None:
        super()._mark_sent(session, ids)
        self._marked += len(ids)
        if self._marked >= self._count:
            self._loop.call_soon_threadsafe(self.all_marked.set)


async def test_a_burst_of_events_lingers_into_one_claim_and_leaves_in_order(
    database_url: str,
) -> None:
    """Woken by the first commit, the relay waits its linger for the rest of the burst: the
    events committed meanwhile leave together, in the order they were committed."""
    engine = make_engine(database_url)
    migrate(engine, CATALOGUE)

    def commit_one() -> str:
        with Session(engine) as session:
            envelope = add_to_outbox(session, _accepted(), source="test")
            session.commit()
        return envelope.id

    recorder = Recorder()
    relay = Watched(engine, recorder, idle_seconds=60, linger_seconds=2, count=3)
    async with relay:
        await relay.drained.wait()  # its first drain, at start, found nothing
        staged = []
        for _ in range(3):  # each commit off the event loop, so the relay could run between
            staged.append(await asyncio.to_thread(commit_one))
            relay.wake()
        await asyncio.wait_for(relay.all_marked.wait(), timeout=30)
    assert recorder.ids == [i.encode() for i in staged]
    assert relay.claims == 1
    engine.dispose()


async def test_relays_of_two_replicas_share_the_rows_and_send_each_once(postgres_url: str) -> None:
    """FOR UPDATE SKIP LOCKED: a batch one relay holds is skipped by the other."""
    engine = make_engine(postgres_url)
    migrate(engine, CATALOGUE)
    with Session(engine) as session:
        staged = [add_to_outbox(session, _accepted(), source="test").id for _ in range(60)]
        session.commit()

    class Interleaving(Recorder):
        async def send(
            self, topic: str, key: str, value: bytes, headers: Sequence[tuple[str, bytes]]
        ) -> None:
            await super().send(topic, key, value, headers)
            await asyncio.sleep(0)  # let the other relay run between sends

    recorder = Interleaving()
    relays = [OutboxRelay(engine, recorder, batch_size=10) for _ in range(2)]  # type: ignore[arg-type]
    counts = await asyncio.gather(*(relay.drain() for relay in relays))
    assert sum(counts) == 60
    assert min(counts) > 0  # both took part
    assert sorted(recorder.ids) == sorted(i.encode() for i in staged)  # each row once
    engine.dispose()


async def test_processed_event_record_remembers_per_consumer_group(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine, HANDOVER)
    inbox = Inbox(engine, "sohoa-handover")
    other = Inbox(engine, "another-group")
    assert not await inbox.seen("e-1")
    await inbox.remember("e-1")
    await inbox.remember("e-1")  # a concurrent redelivery remembers the same fact
    assert await inbox.seen("e-1")
    assert not await other.seen("e-1")
    engine.dispose()


async def test_the_gateway_forgets_processed_events_past_retention(database_url: str) -> None:
    """The gateway consumes without an outbox, so it prunes its processed-event record alone."""
    engine = make_engine(database_url)
    migrate(engine, GATEWAY)
    inbox = Inbox(engine, "sohoa-gateway-webhooks")
    await inbox.remember("old")
    await inbox.remember("new")
    with Session(engine) as session:
        old = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == "old")).one()
        old.processed_at = utcnow() - timedelta(hours=25)
        session.add(old)
        session.commit()
    assert prune_processed(engine, retention_hours=24) == 1
    assert not await inbox.seen("old")
    assert await inbox.seen("new")
    engine.dispose()
