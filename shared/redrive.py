"""Re-drive the outbox into a broker that lost its log, and prune what is past retention.

The embedded broker keeps its log in memory, and any broker can be rebuilt empty: then events
the outbox marked sent are gone before every consumer read them. Each service leaves a marker
record (keyed by its name) on :data:`MARKER_TOPIC`; the marker lives in the broker's own log,
so a broker without it is one that does not hold this service's history. Finding no marker,
the sweep marks the rows sent within the window unsent again — the relay publishes them, in
order, with their own ``ce_id`` so consumers skip what they handled — and then writes the
marker. Safe on every replica: two replicas re-driving send duplicates, which consumers skip.

The same sweep deletes sent outbox rows and processed-event records past retention, which is
never shorter than the re-drive window: an event that may be sent again is still recognised.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from prometheus_client import Counter
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from shared.config import KafkaSettings
from shared.db import ProcessedEvent, utcnow
from shared.kafka import BrokerUnavailable, KafkaPublisher
from shared.outbox import OutboxMessage, OutboxRelay

log = structlog.get_logger(__name__)
MARKER_TOPIC = "sohoa.ops.outbox-marker.v1"
REDRIVEN = Counter("sohoa_outbox_redriven_total", "Outbox rows re-sent after a broker lost its log")
SWEEPS = Counter("sohoa_outbox_redrive_sweeps_total", "Checks for a broker that lost its log")


async def has_marker(settings: KafkaSettings, source: str) -> bool:
    """Whether the broker's log holds this service's marker (read without a consumer group)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=settings.request_timeout_ms,
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=settings.request_timeout_ms,
    )
    try:
        await admin.start()
        if MARKER_TOPIC not in await admin.list_topics():
            return False
        described = await admin.describe_topics([MARKER_TOPIC])
        partitions = [
            TopicPartition(MARKER_TOPIC, p["partition"]) for p in described[0]["partitions"]
        ]
        await consumer.start()
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for partition in partitions:
            consumer.seek(partition, starts[partition])
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                if any(record.key == source.encode() for record in records):
                    return True
        return False
    except KafkaError as exc:
        raise BrokerUnavailable(f"marker check failed: {exc}") from exc
    finally:
        await consumer.stop()
        await admin.close()


async def _create_marker_topic(settings: KafkaSettings) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=settings.request_timeout_ms,
    )
    try:
        await admin.start()
        if MARKER_TOPIC not in await admin.list_topics():
            # One partition: a marker is looked for by reading the whole (tiny) topic.
            await admin.create_topics([NewTopic(MARKER_TOPIC, 1, settings.replication_factor)])
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot create {MARKER_TOPIC}: {exc}") from exc
    finally:
        await admin.close()


def prune(engine: Engine, retention: timedelta) -> tuple[int, int]:
    """Delete sent outbox rows and processed-event records older than ``retention``; returns
    how many of each. Unsent rows are never deleted."""
    cutoff = utcnow() - retention
    with Session(engine) as session:
        outbox = session.exec(delete(OutboxMessage).where(col(OutboxMessage.sent_at) < cutoff))
        processed = session.exec(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff)
        )
        session.commit()
        return int(outbox.rowcount or 0), int(processed.rowcount or 0)


def mark_unsent(engine: Engine, window: timedelta) -> int:
    """Rows sent within ``window`` go back to pending; returns how many."""
    with Session(engine) as session:
        result = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.sent_at) >= utcnow() - window)
            .values(sent_at=None)
        )
        session.commit()
        return int(result.rowcount or 0)


class RedriveSweep:
    """Checks every ``settings.redrive_check_seconds`` that the broker holds this service's
    marker; re-drives the outbox when it does not."""

    def __init__(
        self,
        engine: Engine,
        publisher: KafkaPublisher,
        relay: OutboxRelay,
        settings: KafkaSettings,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._relay = relay
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> int:
        """One sweep; returns the rows re-driven (0 when the broker holds the marker)."""
        SWEEPS.inc()
        retention = timedelta(hours=self._settings.retention_hours)
        await asyncio.to_thread(prune, self._engine, retention)
        source = self._publisher.source
        if await has_marker(self._settings, source):
            return 0
        window = timedelta(hours=self._settings.redrive_window_hours)
        count = await asyncio.to_thread(mark_unsent, self._engine, window)
        self._relay.wake()
        await _create_marker_topic(self._settings)
        await self._publisher.send(MARKER_TOPIC, source, utcnow().isoformat().encode(), [])
        if count:
            REDRIVEN.inc(count)
            log.warning("outbox_redriven", rows=count, reason="broker lost its log")
        return count

    async def __aenter__(self) -> RedriveSweep:
        self._task = asyncio.create_task(self._run(), name="outbox-redrive")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the broker may be away: the next sweep looks again
                log.exception("outbox_redrive_failed")
            await asyncio.sleep(self._settings.redrive_check_seconds)
