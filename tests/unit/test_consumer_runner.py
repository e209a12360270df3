"""The runner's decisions with a fake consumer: commit after success, DLQ for permanent
errors, outages waited out with the partitions paused and never dead-lettered, bounded retries
then DLQ for bugs, redeliveries skipped, nothing committed when the dead-letter write fails."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError
from sqlalchemy import exc as sa_exc

from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner, WaitingOnOutage
from shared.envelope import Envelope, encode_body
from shared.errors import PermanentError, TransientError
from shared.events import PageIngested
from shared.kafka import BrokerUnavailable

pytestmark = pytest.mark.unit
TOPIC = PageIngested.TOPIC


class FakeConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.assigned = {TopicPartition(TOPIC, 2), TopicPartition(TOPIC, 3)}
        self.paused: set[TopicPartition] = set()
        self.polls_while_paused = 0
        self.arrivals: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        self.seeks: list[tuple[TopicPartition, int]] = []

    async def getmany(
        self, *_p: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        if self.paused:
            self.polls_while_paused += 1
        if self.arrivals:  # a rebalance hands over a partition that is not paused
            arrived, self.arrivals = self.arrivals, {}
            return arrived
        await asyncio.sleep(timeout_ms / 1000)  # an empty poll waits out its timeout
        return {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused -= set(partitions)

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        assert offsets is not None
        self.commits.append(offsets)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


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


async def test_an_outage_is_waited_out_with_partitions_paused_and_never_dead_lettered() -> None:
    """Many more failures than max_attempts: an outage lasts as long as it lasts."""
    calls = 0
    seen_while_waiting: list[tuple[set[TopicPartition], str]] = []
    runner: ConsumerRunner

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            with pytest.raises(WaitingOnOutage) as not_ready:
                await runner.ping()
            seen_while_waiting.append((set(consumer.paused), str(not_ready.value)))
        if calls < 10:
            raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("db down"))

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    await runner.process(_record())
    await runner.ping()  # ready again
    await runner.stop()
    assert calls == 10
    assert sink.sent == []
    assert consumer.commits == [{TopicPartition(TOPIC, 2): 8}]
    assert all(paused == consumer.assigned for paused, _ in seen_while_waiting)
    assert "OperationalError" in seen_while_waiting[0][1]
    assert consumer.paused == set()  # resumed after the outage
    assert consumer.polls_while_paused >= 9  # kept polling: still a live group member


async def test_records_handed_over_during_an_outage_are_read_again_afterwards() -> None:
    calls = 0
    newcomer = TopicPartition(TOPIC, 5)

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            consumer.arrivals = {newcomer: [_record(offset=40)]}
            raise TransientError("storage down")

    runner, consumer = await _runner(handler, FakeSink())
    await runner.process(_record())
    await runner.stop()
    assert consumer.seeks == [(newcomer, 40)]
    assert calls == 2


async def test_stopping_during_an_outage_leaves_the_record_uncommitted() -> None:
    async def handler(_event: PageIngested, _e: Envelope) -> None:
        asyncio.get_running_loop().call_soon(runner._stopping.set)
        raise TransientError("db down")

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    await runner._process_or_rewind(_record())
    await runner.stop()
    assert consumer.commits == []
    assert sink.sent == []


async def test_a_bug_is_retried_then_dead_lettered_with_its_traceback() -> None:
    calls = 0

    async def handler(_event: PageIngested, _e: Envelope) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("not an outage")

    sink = FakeSink()
    runner, consumer = await _runner(handler, sink)
    await runner.process(_record())
    await runner.stop()
    assert calls == 3
    headers = sink.sent[0][3]
    assert headers["dlq_attempts"] == b"3"
    assert headers["dlq_error_code"] == b"internal.unhandled"
    assert b"ValueError" in headers["dlq_traceback"]
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
