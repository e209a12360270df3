"""Kafka adapters: the publisher (acks=all) and explicit topic creation.

The idempotent and transactional producers stay off: the embedded broker (Tansu) lacks them,
and the outbox plus idempotent consumers already give at-least-once without duplicates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

from shared.config import KafkaSettings
from shared.envelope import Envelope, encode_body
from shared.errors import TransientError
from shared.events import Event, dead_letter_topic

log = structlog.get_logger(__name__)
TOPIC_ALREADY_EXISTS = 36


class BrokerUnavailable(TransientError):
    code = "kafka.unavailable"
    title = "Không kết nối được Kafka"


def connection(settings: KafkaSettings) -> dict[str, Any]:
    """How every producer, consumer and admin client of sohoa reaches the brokers: address,
    timeout, and TLS / SASL when the cluster asks for them. The one place they are set."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "request_timeout_ms": settings.request_timeout_ms,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol.endswith("SSL"):
        kwargs["ssl_context"] = create_ssl_context(cafile=settings.ssl_cafile)
    password = settings.sasl_password  # never None with SASL: the settings refuse that
    if settings.security_protocol.startswith("SASL_") and password is not None:
        kwargs["sasl_mechanism"] = settings.sasl_mechanism
        kwargs["sasl_plain_username"] = settings.sasl_username
        kwargs["sasl_plain_password"] = password.get_secret_value()
    return kwargs


class KafkaPublisher:
    """Publishes events with their CloudEvents envelope; every send waits for all replicas."""

    def __init__(self, producer: AIOKafkaProducer, source: str) -> None:
        self._producer = producer
        self.source = source

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: KafkaSettings, *, source: str) -> AsyncIterator[KafkaPublisher]:
        producer = AIOKafkaProducer(
            **connection(settings), acks="all", enable_idempotence=False, client_id=source
        )
        try:
            await producer.start()
        except KafkaError as exc:
            await producer.stop()
            raise BrokerUnavailable(str(exc)) from exc
        try:
            yield cls(producer, source)
        finally:
            await producer.stop()

    async def publish(self, event: Event, *, correlation_id: str | None = None) -> Envelope:
        """Publish now (for services without an outbox, such as the stateless OCR workers)."""
        envelope = Envelope.new(event, source=self.source, correlation_id=correlation_id)
        await self.send(
            event.TOPIC, event.partition_key(), encode_body(event), envelope.to_headers()
        )
        return envelope

    async def send(
        self, topic: str, key: str, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        try:
            await self._producer.send_and_wait(
                topic, value=value, key=key.encode(), headers=list(headers)
            )
        except KafkaError as exc:
            raise BrokerUnavailable(f"publish to {topic} failed: {exc}") from exc

    async def ping(self) -> None:
        """Ready when the broker answers a metadata request."""
        try:
            await self._producer.client.fetch_all_metadata()
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc


def topics_for(events: Iterable[type[Event]], *, with_dead_letters: bool = True) -> list[str]:
    topics: list[str] = []
    for event in events:
        topics.append(event.TOPIC)
        if with_dead_letters:
            topics.append(dead_letter_topic(event.TOPIC))
    return topics


async def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], *, partitions: int | None = None
) -> dict[str, int]:
    """Create topics with the configured partition count, or ``partitions`` (never rely on
    auto-creation).

    Returns the partition count each topic has; an existing topic keeps its own count, and
    one smaller than wanted is logged (partitions cannot be added on every broker).
    """
    wanted = sorted(set(topics))
    count_wanted = partitions or settings.partitions
    admin = AIOKafkaAdminClient(**connection(settings), client_id="sohoa-admin")
    try:
        await admin.start()
        response = await admin.create_topics(
            [NewTopic(t, count_wanted, settings.replication_factor) for t in wanted]
        )
        for topic, error_code, message in response.topic_errors:
            if error_code not in (0, TOPIC_ALREADY_EXISTS):
                raise BrokerUnavailable(f"cannot create topic {topic}: {message}")
        described = await admin.describe_topics(wanted)
    except KafkaError as exc:
        raise BrokerUnavailable(f"topic creation failed: {exc}") from exc
    finally:
        await admin.close()
    counts = {entry["topic"]: len(entry["partitions"]) for entry in described}
    for topic, count in counts.items():
        if count < count_wanted:
            log.warning("topic_has_fewer_partitions", topic=topic, partitions=count)
    return counts


class TopicReader:
    """Reads whole topics, start to end as they are now, with a group-less consumer: looking
    never moves any service's offsets. For operators' tools and bookkeeping topics."""

    def __init__(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        self._consumer = consumer
        self._admin = admin

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: KafkaSettings, *, client_id: str) -> AsyncIterator[TopicReader]:
        consumer = AIOKafkaConsumer(
            **connection(settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id=client_id,
        )
        admin = AIOKafkaAdminClient(**connection(settings), client_id=client_id)
        try:
            await consumer.start()
            await admin.start()
        except KafkaError as exc:
            await consumer.stop()
            await admin.close()
            raise BrokerUnavailable(str(exc)) from exc
        try:
            yield cls(consumer, admin)
        finally:
            await consumer.stop()
            await admin.close()

    async def topics(self) -> set[str]:
        try:
            return set(await self._admin.list_topics())
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc

    async def partitions(self, topics: Iterable[str]) -> list[TopicPartition]:
        """The partitions the broker has of ``topics``; a topic it lacks has none (and is not
        described, which would create it on a broker that creates topics on use)."""
        existing = await self.topics()
        wanted = [topic for topic in topics if topic in existing]
        if not wanted:
            return []
        try:
            described = await self._admin.describe_topics(wanted)
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc
        partitions: list[TopicPartition] = []
        for entry in described:
            numbers = sorted(p["partition"] for p in entry.get("partitions", []))
            partitions.extend(TopicPartition(entry["topic"], n) for n in numbers)
        return partitions

    async def _bounds(
        self, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, tuple[int, int]]:
        """First and next offset of each partition, asked of the broker in one go."""
        if not partitions:
            return {}
        try:
            self._consumer.assign(partitions)
            start = await self._consumer.beginning_offsets(partitions)
            end = await self._consumer.end_offsets(partitions)
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc
        return {p: (start[p], end[p]) for p in partitions}

    async def count(self, partitions: list[TopicPartition]) -> int:
        """Records the partitions hold now."""
        return sum((await self.count_by_topic(partitions)).values())

    async def count_by_topic(self, partitions: list[TopicPartition]) -> dict[str, int]:
        """Records the partitions hold now, added up per topic."""
        counts: dict[str, int] = {}
        for partition, (start, end) in (await self._bounds(partitions)).items():
            counts[partition.topic] = counts.get(partition.topic, 0) + end - start
        return counts

    async def read(
        self, partition: TopicPartition, first: int | None = None
    ) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """The records of one partition from ``first`` (or its start) to its end as of now."""
        bounds = await self._bounds([partition])
        async for record in self._records(partition, *bounds[partition], first):
            yield record

    async def read_topics(
        self, topics: Iterable[str]
    ) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Every record of ``topics`` as of now; empty partitions cost nothing."""
        bounds = await self._bounds(await self.partitions(topics))
        for partition, (start, end) in bounds.items():
            if end > start:
                async for record in self._records(partition, start, end, None):
                    yield record

    async def _records(
        self, partition: TopicPartition, start: int, end: int, first: int | None
    ) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        consumer = self._consumer
        try:
            consumer.assign([partition])
            consumer.seek(partition, start if first is None else max(first, start))
            while await consumer.position(partition) < end:
                batch = await consumer.getmany(partition, timeout_ms=1000, max_records=100)
                for record in batch.get(partition, []):
                    if record.offset >= end:
                        return
                    yield record
        except KafkaError as exc:
            raise BrokerUnavailable(str(exc)) from exc
