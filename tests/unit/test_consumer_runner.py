"""The runner's decisions with a fake consumer: commit after success, DLQ for permanent
errors, bounded retries then DLQ for others, redeliveries skipped, nothing committed when
the dead-letter write fails."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError

from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner
from shared.envelope import Envelope, encode_body
from shared.errors import PermanentError, TransientError
from shared.events import PageIngested
from shared.kafka import BrokerUnavailable

pytestmark = pytest.mark.unit
TOPIC = PageIngested.TOPIC


class FakeConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def getmany(
        self, *_p: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        await asyncio.sleep(
            timeout_ms / 1000
        )  # an empty poll waits out its timeout, as Kafka's does
        return {}

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        assert offsets is not None
        self.commits.append(offsets)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        raise AssertionError("not expected")


class FakeSink:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, bytes, dict[str, bytes]]] = []
        self.fail = fail

    async def send(
        self, topic: str, key: str, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        if self.fail:
            raise BrokerUnavailable("dlq down")
        self.sent.append((topic, key, value, dict(headers)))


class FakeProcessed:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def remember(self, event_id: str) -> None:
        self.ids.add(event_id)


def _record(offset: int = 7, body: bytes | None = None) -> ConsumerRecord[bytes, bytes]:
    event = PageIngested(
        file_code="H49.1",
        page_id=uuid.uuid4(),
        sequence=1,
        object_key="k",
        sha256="0" * 64,
        size=1,
        media_type="image/png",
        width=1,
        height=1,
    )
    headers = tuple(Envelope.new(event, source="test").to_headers())
    value = encode_body(event) if body is None else body
    return ConsumerRecord(
        TOPIC, 2, offset, 0, 0, b"key", value, None, len(b"key"), len(value), headers
    )


async def _runner(
    handler: Any, sink: FakeSink, processed: FakeProcessed | None = None
) -> tuple[ConsumerRunner, FakeConsumer]:
    consumer = FakeConsumer()
    settings = KafkaSettings(max_attempts=3, backoff_seconds=0)
    runner = ConsumerRunner(
        settings,
        group_id="g",
        dead_letters=sink,
        processed=processed,
        consumer_factory=lambda _t: consumer,
    )
    runner.subscribe(PageIngested, handler)
    await runner.__aenter__()
    return runner, consumer


async def test_offset_is_committed_after_the_handler_succeeds() -> None:
    handled: list[PageIngested] = []

    async def handler(event: PageIngested, _e: Envelope) -> None:
        handled.append(event)

    runner, consumer = await _runner(handler, FakeSink())
    await runner.process(_record(offset=7))
    await runner.stop()
    assert len(handled) == 1
    assert consumer.commits == [{TopicPartition(TOPIC, 2): 8}]


async def test_permanent_error_goes_to_the_dlq_at_once_with_its_reason() -> None:
    calls = 0

    class Unreadable(PermanentError):
        code = "ocr.unreadable-image"

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        raise Unreadable("trang hỏng")

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    record = _record()
    await runner.process(record)
    await runner.stop()
    assert calls == 1
    [(topic, _key, value, headers)] = sink.sent
    assert topic == f"{TOPIC}.dlq"
    assert value == record.value
    assert headers["dlq_error_code"] == b"ocr.unreadable-image"
    assert headers["dlq_error_message"] == "trang hỏng".encode()
    assert headers["dlq_original_offset"] == b"7"
    assert headers["ce_type"] == TOPIC.encode()  # original envelope kept for replay
    assert consumer.commits == [{TopicPartition(TOPIC, 2): 8}]


async def test_transient_error_is_retried_then_dead_lettered() -> None:
    calls = 0

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        raise TransientError("db down")

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    await runner.process(_record())
    await runner.stop()
    assert calls == 3
    assert sink.sent[0][3]["dlq_attempts"] == b"3"
    assert len(consumer.commits) == 1


async def test_transient_error_that_heals_is_handled_without_dlq() -> None:
    calls = 0

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise TransientError("db down")

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    await runner.process(_record())
    await runner.stop()
    assert calls == 2
    assert sink.sent == []
    assert len(consumer.commits) == 1


async def test_unparseable_message_is_dead_lettered_without_calling_the_handler() -> None:
    async def handler(_event: PageIngested, _e: Envelope) -> None:
        raise AssertionError("must not run")

    sink = FakeSink()
    runner, _consumer = await _runner(handler, sink)
    await runner.process(_record(body=b"{garbage"))
    await runner.stop()
    assert sink.sent[0][3]["dlq_error_code"] == b"event.bad-message"


async def test_redelivered_event_is_handled_once() -> None:
    calls = 0

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1

    runner, consumer = await _runner(handler, FakeSink(), FakeProcessed())
    record = _record()
    await runner.process(record)
    await runner.process(record)
    await runner.stop()
    assert calls == 1
    assert len(consumer.commits) == 2


async def test_nothing_is_committed_when_the_dead_letter_write_fails() -> None:
    async def handler(_event: PageIngested, _e: Envelope) -> None:
        raise PermanentError("bad")

    runner, consumer = await _runner(handler, FakeSink(fail=True))
    with pytest.raises(BrokerUnavailable):
        await runner.process(_record())
    await runner.stop()
    assert consumer.commits == []


async def test_runner_survives_a_commit_lost_to_a_rebalance() -> None:
    """The partition moved mid-record: the runner logs it and keeps consuming."""
    handled: list[int] = []

    async def handler(event: PageIngested, _e: Envelope) -> None:
        handled.append(event.sequence)

    runner, consumer = await _runner(handler, FakeSink())

    async def revoked(offsets: dict[TopicPartition, int] | None = None) -> None:
        raise IllegalStateError("No current assignment for partition")

    consumer.commit = revoked  # type: ignore[method-assign]
    await runner._process_or_rewind(_record(offset=1))
    await runner._process_or_rewind(_record(offset=2))
    await runner.ping()  # still running
    await runner.stop()
    assert handled == [1, 1]
