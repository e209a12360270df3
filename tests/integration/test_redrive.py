"""A broker that comes back without its log gets the outbox again: the sweep finds the
service's marker missing, the rows sent within the window go out again with their own ce_id,
and a broker that kept its log gets nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.ops.broker import TansuBroker, free_port
from shared.config import KafkaSettings
from shared.db import make_engine, utcnow
from shared.events import PageIngested
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from shared.outbox import OutboxMessage, OutboxRelay, add_to_outbox
from shared.redrive import RedriveSweep

pytestmark = pytest.mark.integration
SOURCE = "sohoa-test-redrive"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    database = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    OutboxMessage.__table__.create(database)  # type: ignore[attr-defined]  # only this table
    yield database
    database.dispose()


def _page(sequence: int) -> PageIngested:
    return PageIngested(
        file_code="H49.64.33.2001.160",
        page_id=uuid.uuid4(),
        sequence=sequence,
        object_key=f"H49.64.33.2001.160/{sequence:04d}.png",
        sha256="b" * 64,
        size=1,
        media_type="image/png",
        width=1,
        height=1,
    )


def _stage(engine: Engine, count: int) -> list[str]:
    with Session(engine) as session:
        ids = [add_to_outbox(session, _page(n), source=SOURCE).id for n in range(1, count + 1)]
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
