"""A broker that comes back without its log gets the outbox again: the sweep finds the
service's marker missing, the rows sent within the window go out again with their own ce_id,
and a broker that kept its log gets nothing twice. Records past retention are pruned."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from services.ops.broker import TansuBroker, free_port
from shared.config import KafkaSettings
from shared.db import ProcessedEvent, make_engine, utcnow
from shared.events import PageIngested
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from shared.outbox import OutboxMessage, OutboxRelay, add_to_outbox
from shared.redrive import RedriveSweep, prune
from tests.support.events import page_ingested

pytestmark = pytest.mark.integration
SOURCE = "sohoa-test-redrive"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    database = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    tables = [OutboxMessage.__table__, ProcessedEvent.__table__]  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(database, tables=tables)  # the messaging tables only
    yield database
    database.dispose()


def _stage(engine: Engine, count: int) -> list[str]:
    with Session(engine) as session:
        events = [page_ingested(n) for n in range(1, count + 1)]
        ids = [add_to_outbox(session, event, source=SOURCE).id for event in events]
        session.commit()
    return ids


async def _event_ids_on_topic(settings: KafkaSettings, expected: int) -> list[str]:
    consumer = AIOKafkaConsumer(
        PageIngested.TOPIC,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    ids: list[str] = []
    try:
        while len(ids) < expected:
            record = await asyncio.wait_for(consumer.getone(), timeout=30)
            ids.append(dict(record.headers)["ce_id"].decode())
    finally:
        await consumer.stop()
    return ids


async def test_a_broker_that_lost_its_log_gets_the_recent_outbox_again(
    engine: Engine, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    port = free_port()
    settings = kafka_settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{port}"})
    first = TansuBroker(port=port, log_path=tmp_path / "first.log")
    await asyncio.to_thread(first.start)
    try:
        await ensure_topics(settings, topics_for([PageIngested]))
        async with KafkaPublisher.open(settings, source=SOURCE) as publisher:
            relay = OutboxRelay(engine, publisher)
            sweep = RedriveSweep(engine, publisher, relay, settings)
            old, *recent = _stage(engine, 3)
            assert await relay.drain() == 3
            # First contact: the broker cannot show it holds these, so they go again (consumers
            # skip them), and the marker is left.
            assert await sweep.check() == 3
            assert await relay.drain() == 3
            assert await sweep.check() == 0  # the broker holds the marker: nothing again
            assert await relay.drain() == 0
        # One row was sent long before the window: it is not the broker's to lose any more.
        with Session(engine) as session:
            row = session.exec(
                select(OutboxMessage).where(col(OutboxMessage.event_id) == old)
            ).one()
            row.sent_at = utcnow() - timedelta(hours=settings.redrive_window_hours + 1)
            session.add(row)
            session.commit()
    finally:
        first.stop()

    second = TansuBroker(port=port, log_path=tmp_path / "second.log")  # same address, empty log
    await asyncio.to_thread(second.start)
    try:
        async with KafkaPublisher.open(settings, source=SOURCE) as publisher:
            relay = OutboxRelay(engine, publisher)
            sweep = RedriveSweep(engine, publisher, relay, settings)
            assert await sweep.check() == 2
            assert await relay.drain() == 2
            assert await sweep.check() == 0
            # the same events, with their own ce_id (each page is its own key and partition)
            assert sorted(await _event_ids_on_topic(settings, 2)) == sorted(recent)
    finally:
        second.stop()


def test_rows_past_retention_are_pruned_and_unsent_rows_never(engine: Engine) -> None:
    old_sent, recent_sent, old_unsent = _stage(engine, 3)
    long_ago = utcnow() - timedelta(days=40)
    with Session(engine) as session:
        for row in session.exec(select(OutboxMessage)):
            row.created_at = long_ago
            row.sent_at = {old_sent: long_ago, recent_sent: utcnow(), old_unsent: None}[
                row.event_id
            ]
            session.add(row)
        session.add(ProcessedEvent(consumer="g", event_id="old", processed_at=long_ago))
        session.add(ProcessedEvent(consumer="g", event_id="new"))
        session.commit()

    assert prune(engine, timedelta(days=30)) == (1, 1)
    with Session(engine) as session:
        left = {row.event_id for row in session.exec(select(OutboxMessage))}
        remembered = {row.event_id for row in session.exec(select(ProcessedEvent))}
    assert left == {recent_sent, old_unsent}
    assert remembered == {"new"}


def test_retention_is_never_shorter_than_the_redrive_window() -> None:
    with pytest.raises(ValueError, match="retention_hours"):
        KafkaSettings(redrive_window_hours=200, retention_hours=100)
