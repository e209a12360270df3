"""Dead letters for operators: list them, show one, replay them onto their topic.

A dead letter is the original record (value and CloudEvents headers) with the reason in
``dlq_*`` headers (see :mod:`shared.consumer`). Replaying sends the original value and
envelope back to the topic it came from, so the event keeps its id: consumers that already
handled it skip it, and a replay sent twice is handled once. Every replay is recorded as a
:class:`~shared.events.DeadLetterReplayed` event, and a replay of ``--all`` skips what the
record says was replayed already.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import Gauge

from shared.config import KafkaSettings
from shared.envelope import decode_body
from shared.errors import NotFound, PermanentError
from shared.events import DeadLetterReplayed, dead_letter_topic
from shared.kafka import KafkaPublisher, TopicReader

DLQ_SUFFIX = dead_letter_topic("")
REASON_PREFIX = "dlq_"
DEPTH = Gauge(
    "sohoa_dead_letters",
    "Records in each dead-letter topic (replayed letters stay as evidence: alert on increase)",
    ["topic"],
)


class DeadLetterNotFound(NotFound):
    code = "dead-letter.not-found"
    title = "Không có thư chết này"


class InvalidDeadLetterId(PermanentError):
    code = "dead-letter.invalid-id"
    title = "Mã thư chết không hợp lệ"
    http_status = 422


@dataclass(frozen=True)
class DeadLetterId:
    """Where a dead letter sits: ``<dlq topic>:<partition>:<offset>``."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> DeadLetterId:
        topic, _, rest = text.rpartition(":")
        topic, _, partition = topic.rpartition(":")
        if not topic.endswith(DLQ_SUFFIX) or not partition.isdigit() or not rest.isdigit():
            raise InvalidDeadLetterId(f"{text!r} is not <topic>.dlq:<partition>:<offset>")
        return cls(topic, int(partition), int(rest))


@dataclass(frozen=True)
class DeadLetter:
    id: DeadLetterId
    key: str
    original_topic: str
    code: str
    detail: str
    attempts: int
    consumer_group: str
    event_id: str
    time: datetime
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        headers = tuple(record.headers)
        reason = {k: v.decode("utf-8", "replace") for k, v in headers if k.startswith("dlq_")}
        event_id = dict(headers).get("ce_id", b"").decode("utf-8", "replace")
        return cls(
            id=DeadLetterId(record.topic, record.partition, record.offset),
            key=(record.key or b"").decode("utf-8", "replace"),
            original_topic=reason.get("dlq_original_topic", record.topic.removesuffix(DLQ_SUFFIX)),
            code=reason.get("dlq_error_code", ""),
            detail=reason.get("dlq_error_message", ""),
            attempts=int(reason.get("dlq_attempts", "0") or 0),
            consumer_group=reason.get("dlq_consumer_group", ""),
            event_id=event_id,
            time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
            value=record.value or b"",
            headers=headers,
        )

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        """The envelope as it was published, without the reason."""
        return [(k, v) for k, v in self.headers if not k.startswith(REASON_PREFIX)]

    def summary(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "topic": self.original_topic,
            "key": self.key,
            "code": self.code,
            "detail": self.detail,
            "attempts": self.attempts,
            "consumer_group": self.consumer_group,
            "event_id": self.event_id,
            "time": self.time.isoformat(),
        }


class DeadLetters:
    """The dead-letter topics, read through a :class:`~shared.kafka.TopicReader`."""

    def __init__(self, reader: TopicReader) -> None:
        self._reader = reader

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: KafkaSettings) -> AsyncIterator[DeadLetters]:
        async with TopicReader.open(settings, client_id="sohoa-dead-letters") as reader:
            yield cls(reader)

    async def topics(self) -> list[str]:
        """Every dead-letter topic the broker has, in name order."""
        return sorted(t for t in await self._reader.topics() if t.endswith(DLQ_SUFFIX))

    async def _dlq_topics(self, topic: str | None) -> list[str]:
        """``topic`` may name the dead-letter topic or the topic it serves."""
        if topic is None:
            return await self.topics()
        return [topic if topic.endswith(DLQ_SUFFIX) else dead_letter_topic(topic)]

    async def count(self, topic: str | None = None) -> int:
        partitions = await self._reader.partitions(await self._dlq_topics(topic))
        return await self._reader.count(partitions)

    async def depths(self, topics: Iterable[str]) -> dict[str, int]:
        """Letters held by each of ``topics`` (dead-letter topics); one the broker lacks holds
        none."""
        wanted = [t for t in topics if t.endswith(DLQ_SUFFIX)]
        held = await self._reader.count_by_topic(await self._reader.partitions(wanted))
        return {topic: held.get(topic, 0) for topic in wanted}

    async def scan(self, topic: str | None = None) -> AsyncIterator[DeadLetter]:
        """Every dead letter there is now, one at a time (flat memory however many)."""
        async for record in self._reader.read_topics(await self._dlq_topics(topic)):
            yield DeadLetter.of(record)

    async def get(self, dead_letter_id: DeadLetterId) -> DeadLetter:
        partition = TopicPartition(dead_letter_id.topic, dead_letter_id.partition)
        if partition not in await self._reader.partitions([dead_letter_id.topic]):
            raise DeadLetterNotFound(str(dead_letter_id))
        async for record in self._reader.read(partition, first=dead_letter_id.offset):
            if record.offset == dead_letter_id.offset:
                return DeadLetter.of(record)
            break
        raise DeadLetterNotFound(str(dead_letter_id))

    async def replayed(self) -> set[str]:
        """Ids of dead letters a recorded replay has sent back already."""
        done: set[str] = set()
        async for record in self._reader.read_topics([DeadLetterReplayed.TOPIC]):
            done.add(decode_body(DeadLetterReplayed, record.value).dead_letter_id)
        return done


async def replay(
    letter: DeadLetter, publisher: KafkaPublisher, *, by: str, now: datetime | None = None
) -> DeadLetterReplayed:
    """Send one dead letter back to its topic with its own envelope, and record that."""
    await publisher.send(letter.original_topic, letter.key, letter.value, letter.original_headers)
    record = DeadLetterReplayed(
        dead_letter_id=str(letter.id),
        original_topic=letter.original_topic,
        event_id=letter.event_id,
        code=letter.code,
        replayed_by=by,
        replayed_at=now or datetime.now(UTC),
    )
    await publisher.publish(record)
    return record


@dataclass(frozen=True)
class ReplayOutcome:
    replayed: list[str]
    skipped: list[str]  # replayed before, by the record

    def summary(self) -> dict[str, object]:
        return {"replayed": self.replayed, "skipped": self.skipped}


async def replay_selected(
    letters: DeadLetters,
    publisher: KafkaPublisher,
    *,
    by: str,
    ids: Iterable[DeadLetterId] = (),
    topic: str | None = None,
    everything: bool = False,
) -> ReplayOutcome:
    """Replay the letters named by ``ids``, or every letter of ``topic`` (every topic when
    ``None``) with ``everything``; a letter the record says was replayed is skipped."""
    done = await letters.replayed()
    replayed: list[str] = []
    skipped: list[str] = []

    async def one(letter: DeadLetter) -> None:
        if str(letter.id) in done:
            skipped.append(str(letter.id))
            return
        await replay(letter, publisher, by=by)
        done.add(str(letter.id))
        replayed.append(str(letter.id))

    if everything:
        async for letter in letters.scan(topic):
            await one(letter)
    for dead_letter_id in ids:
        await one(await letters.get(dead_letter_id))
    return ReplayOutcome(replayed, skipped)


async def replay_letters(
    settings: KafkaSettings,
    *,
    source: str,
    by: str,
    ids: Iterable[str] = (),
    topic: str | None = None,
    everything: bool = False,
) -> ReplayOutcome:
    """:func:`replay_selected` with its own reader and publisher, for the operators' command
    and the gateway's admin route alike; ``ids`` as people type them."""
    parsed = [DeadLetterId.parse(i) for i in ids]  # a bad id refuses before anything is sent
    async with (
        DeadLetters.open(settings) as letters,
        KafkaPublisher.open(settings, source=source) as publisher,
    ):
        return await replay_selected(
            letters, publisher, by=by, ids=parsed, topic=topic, everything=everything
        )


async def measure_depths(settings: KafkaSettings, topics: Iterable[str]) -> dict[str, int]:
    """Set ``sohoa_dead_letters{topic}`` for the dead-letter topics among ``topics`` (a
    service's own), for ``/metrics``; run periodically beside the service's work."""
    async with DeadLetters.open(settings) as letters:
        depths = await letters.depths(topics)
    for topic, depth in depths.items():
        DEPTH.labels(topic).set(depth)
    return depths
