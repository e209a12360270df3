"""Re-drive the outbox into a broker that lost its log, and prune what is past retention.

The embedded broker keeps its log in memory, and any broker can be rebuilt empty: then events
the outbox marked sent are gone before every consumer read them. Each service leaves a marker
record (keyed by its name) on :data:`MARKER_TOPIC`; the marker lives in the broker's own log,
so a broker without it is one that does not hold this service's history. Finding no marker,
the sweep creates the service's topics again, marks the rows sent within the window unsent —
the relay publishes them, in order, with their own ``ce_id`` so consumers skip what they
handled — and then writes the marker. Safe on every replica: two replicas re-driving send
duplicates, which consumers skip.

The same sweep deletes sent outbox rows and processed-event records past retention, which is
never shorter than the re-drive window: an event that may be sent again is still recognised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta

import structlog
from prometheus_client import Counter
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from shared.config import KafkaSettings
from shared.db import processed_before, utcnow
from shared.kafka import KafkaPublisher, TopicReader, ensure_topics
from shared.outbox import OutboxMessage, OutboxRelay

log = structlog.get_logger(__name__)
MARKER_TOPIC = "sohoa.ops.outbox-marker.v1"
REDRIVEN = Counter("sohoa_outbox_redriven_total", "Outbox rows re-sent after a broker lost its log")
SWEEPS = Counter("sohoa_outbox_redrive_sweeps_total", "Checks for a broker that lost its log")


async def has_marker(settings: KafkaSettings, source: str) -> bool:
    """Whether the broker's log holds this service's marker."""
    async with TopicReader.open(settings, client_id=f"{source}-redrive") as reader:
        if MARKER_TOPIC not in await reader.topics():
            return False
        async for record in reader.read_topics([MARKER_TOPIC]):
            if record.key == source.encode():
                return True
    return False


def prune(engine: Engine, retention: timedelta) -> tuple[int, int]:
    """Delete sent outbox rows and processed-event records older than ``retention``; returns
    how many of each. Unsent rows are never deleted."""
    cutoff = utcnow() - retention
    with Session(engine) as session:
        outbox = session.exec(delete(OutboxMessage).where(col(OutboxMessage.sent_at) < cutoff))
        processed = session.exec(processed_before(cutoff))
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
    """Checks that the broker holds this service's marker, and re-drives the outbox when it
    does not; run every ``settings.redrive_check_seconds`` by ``shared.background.Periodic``."""

    def __init__(
        self,
        engine: Engine,
        publisher: KafkaPublisher,
        relay: OutboxRelay,
        settings: KafkaSettings,
        topics: Iterable[str] = (),
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._relay = relay
        self._settings = settings
        self._topics = list(topics)  # the service's own, created again in a broker without them

    async def check(self) -> int:
        """One sweep; returns the rows re-driven (0 when the broker holds the marker)."""
        SWEEPS.inc()
        retention = timedelta(hours=self._settings.retention_hours)
        await asyncio.to_thread(prune, self._engine, retention)
        source = self._publisher.source
        if await has_marker(self._settings, source):
            return 0
        if self._topics:  # never left to a broker's auto-creation (nor its partition count)
            await ensure_topics(self._settings, self._topics)
        window = timedelta(hours=self._settings.redrive_window_hours)
        count = await asyncio.to_thread(mark_unsent, self._engine, window)
        self._relay.wake()
        # One partition: a marker is looked for by reading the whole (tiny) topic.
        await ensure_topics(self._settings, [MARKER_TOPIC], partitions=1)
        await self._publisher.send(MARKER_TOPIC, source, utcnow().isoformat().encode(), [])
        if count:
            REDRIVEN.inc(count)
            log.warning("outbox_redriven", rows=count, reason="broker lost its log")
        return count
