"""The publisher and the consumer runner against a real Kafka-protocol broker (Tansu)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import PageIngested
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from tests.support.events import page_ingested

pytestmark = pytest.mark.integration


async def _read_one(settings: KafkaSettings, topic: str) -> tuple[bytes, dict[str, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    return record.value, dict(record.headers)


async def test_topics_are_created_with_the_configured_partition_count(
    kafka_settings: KafkaSettings,
) -> None:
    topic = f"sohoa.test.created-{uuid.uuid4().hex[:8]}.v1"
    counts = await ensure_topics(kafka_settings, [topic, f"{topic}.dlq"])
    assert counts == {topic: 3, f"{topic}.dlq": 3}
    assert await ensure_topics(kafka_settings, [topic]) == {topic: 3}  # idempotent


async def test_published_event_reaches_a_subscribed_handler_once(
    kafka_settings: KafkaSettings,
) -> None:
    await ensure_topics(kafka_settings, topics_for([PageIngested]))
    event = page_ingested()
    received: list[tuple[PageIngested, Envelope]] = []
    done = asyncio.Event()

    async def handler(got: PageIngested, envelope: Envelope) -> None:
        if got.page_id == event.page_id:
            received.append((got, envelope))
            done.set()

    async with KafkaPublisher.open(kafka_settings, source="test") as publisher:
        sent = await publisher.publish(event, correlation_id="corr-1")
        runner = ConsumerRunner(
            kafka_settings, group_id=f"g-{uuid.uuid4()}", dead_letters=publisher
        )
        runner.subscribe(PageIngested, handler)
        async with runner:
            await asyncio.wait_for(done.wait(), timeout=30)
    [(got, envelope)] = received
    assert got == event
    assert envelope.id == sent.id
    assert envelope.correlation_id == "corr-1"


async def test_poison_message_lands_in_the_dlq_and_does_not_block_the_partition(
    kafka_settings: KafkaSettings,
) -> None:
    topic = PageIngested.TOPIC
    await ensure_topics(kafka_settings, topics_for([PageIngested]))
    good = page_ingested(file_code="H49.GOOD")
    handled = asyncio.Event()

    async def handler(got: PageIngested, _envelope: Envelope) -> None:
        if got.file_code == "H49.POISON":
            raise PermanentError("trang không đọc được")
        if got.page_id == good.page_id:
            handled.set()

    group = f"g-{uuid.uuid4()}"
    async with KafkaPublisher.open(kafka_settings, source="test") as publisher:
        poison = page_ingested(file_code="H49.POISON")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
        await producer.start()
        try:  # the poison pill and then a good page, on one partition (same key)
            envelope = Envelope.new(poison, source="test")
            await producer.send_and_wait(
                topic, b"{not json", key=b"same", headers=envelope.to_headers()
            )
            envelope = Envelope.new(good, source="test")
            await producer.send_and_wait(
                topic, good.model_dump_json().encode(), key=b"same", headers=envelope.to_headers()
            )
        finally:
            await producer.stop()
        runner = ConsumerRunner(kafka_settings, group_id=group, dead_letters=publisher)
        runner.subscribe(PageIngested, handler)
        async with runner:
            await asyncio.wait_for(handled.wait(), timeout=30)
    value, headers = await _read_one(kafka_settings, f"{topic}.dlq")
    assert value == b"{not json"
    assert headers["dlq_error_code"] == b"event.bad-message"
    assert headers["dlq_consumer_group"] == group.encode()
    assert headers["dlq_original_topic"] == topic.encode()
