"""The consumer runner: the one place that decides a message's fate.

One record at a time: parse, skip if already processed, run the handler, and commit the offset
only after the handler succeeded or the message was dead-lettered. A permanent error goes to
``<topic>.dlq`` at once. A transient one (database, storage or broker unavailable) never does:
the record is retried with capped backoff for as long as the outage lasts, the member's
partitions paused so it keeps polling and stays in its group, and readiness says why it waits.
Anything else is a bug: retried a few times, then dead-lettered with its traceback, to be
replayed once fixed. Stopping finishes the message in hand, or leaves it uncommitted when an
outage holds it.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Any, Protocol, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from prometheus_client import Counter, Gauge
from sqlalchemy import exc as sa_exc

from shared.backoff import RetryPolicy
from shared.config import KafkaSettings
from shared.envelope import Envelope, decode_body
from shared.errors import BadMessage, PermanentError, SohoaError, TransientError
from shared.events import Event, dead_letter_topic
from shared.kafka import BrokerUnavailable, connection

log = structlog.get_logger(__name__)
E = TypeVar("E", bound=Event)
Handler = Callable[[Any, Envelope], Awaitable[None]]

HANDLED = Counter("sohoa_events_handled_total", "Events handled", ["topic", "outcome"])
LAG = Gauge("sohoa_consumer_lag", "Records waiting in this member's partitions", ["group"])
ASSIGNED = Gauge("sohoa_consumer_assigned_partitions", "Partitions this member holds", ["group"])
RETRIES = Counter(
    "sohoa_consumer_transient_retries_total", "Retries of a record held by an outage", ["topic"]
)
WAITING = Gauge("sohoa_consumer_waiting_on_outage", "1 while an outage holds a record", ["group"])

# Library errors that mean "a dependency is away", for adapters that did not translate them.
OUTAGES: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)


class WaitingOnOutage(TransientError):
    code = "consumer.waiting-on-outage"
    title = "Đang chờ một dịch vụ phụ thuộc hoạt động lại"


class _Abandoned(Exception):
    """Stopping while an outage holds a record: leave it uncommitted for the next owner."""


class Consumer(Protocol):
    """What the runner needs of a Kafka consumer (aiokafka's, or a fake in unit tests)."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]: ...

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    def assignment(self) -> set[TopicPartition]: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...


class DeadLetterSink(Protocol):
    async def send(
        self, topic: str, key: str, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None: ...


class ProcessedRecord(Protocol):
    async def seen(self, event_id: str) -> bool: ...
    async def remember(self, event_id: str) -> None: ...


class ConsumerRunner:
    """Runs handlers for subscribed event types in one consumer group."""

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group_id: str,
        dead_letters: DeadLetterSink,
        processed: ProcessedRecord | None = None,
        consumer_factory: Callable[[list[str]], Consumer] | None = None,
    ) -> None:
        self._settings = settings
        self.group_id = group_id
        self._dead_letters = dead_letters
        self._processed = processed
        self._consumer_factory = consumer_factory or self._kafka_consumer
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}
        self.policy = RetryPolicy(settings.max_attempts, settings.backoff_seconds)
        self._consumer: Consumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._outage: str | None = None  # why a record is held, for readiness

    def subscribe(
        self, event_type: type[E], handler: Callable[[E, Envelope], Awaitable[None]]
    ) -> None:
        self._handlers[event_type.TOPIC] = (event_type, handler)

    def _kafka_consumer(self, topics: list[str]) -> Consumer:
        consumer: Consumer = AIOKafkaConsumer(
            *topics,
            **connection(self._settings),
            group_id=self.group_id,
            enable_auto_commit=False,  # commit after success only
            auto_offset_reset="earliest",
            session_timeout_ms=self._settings.session_timeout_ms,
            heartbeat_interval_ms=self._settings.heartbeat_interval_ms,
            max_poll_interval_ms=self._settings.max_poll_interval_ms,
        )
        return consumer

    async def __aenter__(self) -> ConsumerRunner:
        consumer = self._consumer_factory(sorted(self._handlers))
        if isinstance(consumer, AIOKafkaConsumer):
            try:
                await consumer.start()
            except KafkaError as exc:
                await consumer.stop()
                raise BrokerUnavailable(str(exc)) from exc
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Finish and commit the message in hand, then leave the group."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if isinstance(self._consumer, AIOKafkaConsumer):
            await self._consumer.stop()

    async def _report_assignment(self) -> None:
        """Partitions held and records waiting in them (highwater minus position), for
        operators scaling workers on lag."""
        consumer = self._consumer
        if not isinstance(consumer, AIOKafkaConsumer):
            return
        partitions = consumer.assignment()
        ASSIGNED.labels(self.group_id).set(len(partitions))
        waiting = 0
        for partition in partitions:
            highwater = consumer.highwater(partition)
            if highwater is None:
                continue  # nothing fetched from it yet
            with suppress(IllegalStateError):  # revoked meanwhile
                waiting += max(0, highwater - await consumer.position(partition))
        LAG.labels(self.group_id).set(waiting)

    def _started(self) -> Consumer:
        if self._consumer is None:
            raise RuntimeError("the runner is not started")
        return self._consumer

    async def ping(self) -> None:
        if self._task is None or self._task.done():
            raise BrokerUnavailable("consumer is not running")
        if self._outage is not None:
            raise WaitingOnOutage(self._outage)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batches = await self._started().getmany(timeout_ms=500, max_records=1)
                await self._report_assignment()
            except KafkaError:
                log.exception("consumer_fetch_failed", group=self.group_id)
                await asyncio.sleep(self.policy.first_backoff)
                continue
            for records in batches.values():
                for record in records:
                    await self._process_or_rewind(record)

    async def _process_or_rewind(self, record: ConsumerRecord[bytes, bytes]) -> None:
        partition = TopicPartition(record.topic, record.partition)
        try:
            await self.process(record)
        except _Abandoned:
            log.info("record_left_for_next_owner", topic=record.topic, offset=record.offset)
        except (CommitFailedError, IllegalStateError):
            # A rebalance moved the partition while the record was in hand: its new owner
            # reads it again from the last commit, and handlers are idempotent.
            log.warning("commit_lost_to_rebalance", topic=record.topic, offset=record.offset)
        except (KafkaError, BrokerUnavailable):
            # Neither the dead-letter write nor the commit went through: read it again.
            log.exception("record_not_settled", topic=record.topic, offset=record.offset)
            with suppress(IllegalStateError):  # unless the partition has moved meanwhile
                self._started().seek(partition, record.offset)
            await asyncio.sleep(self.policy.first_backoff)

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record to a final outcome, then commit its offset."""
        outcome = await self._settle(record)
        HANDLED.labels(record.topic, outcome).inc()
        partition = TopicPartition(record.topic, record.partition)
        await self._started().commit({partition: record.offset + 1})

    async def _settle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        try:
            return await self._retried(record)
        finally:
            self._end_outage()

    async def _retried(self, record: ConsumerRecord[bytes, bytes]) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._dispatch(record)
            except PermanentError as exc:
                await self._dead_letter(record, exc, attempt)
                return "dead-lettered"
            except OUTAGES as exc:
                await self._wait_out(record, exc, attempt)
                continue
            except Exception as exc:  # a bug: retried a few times, then dead-lettered
                log.exception("handler_failed", topic=record.topic, attempt=attempt)
                if attempt < self.policy.max_attempts:
                    await asyncio.sleep(self.policy.backoff(attempt))
                    continue
                await self._dead_letter(record, exc, attempt)
                return "dead-lettered"

    async def _wait_out(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException, attempt: int
    ) -> None:
        """Back off while keeping the group membership: partitions are paused and polled (a
        poll of paused partitions returns nothing but counts as the member being alive)."""
        if self._stopping.is_set():
            raise _Abandoned
        consumer = self._started()
        self._outage = f"{record.topic}: {type(exc).__name__}: {exc}"[:500]
        WAITING.labels(self.group_id).set(1)
        RETRIES.labels(record.topic).inc()
        log.warning("waiting_on_outage", topic=record.topic, attempt=attempt, error=str(exc))
        consumer.pause(*consumer.assignment())
        clock = asyncio.get_running_loop().time
        deadline = clock() + self.policy.backoff(attempt)
        while True:  # at least one poll per retry, so a long outage never starves the group
            if self._stopping.is_set():
                raise _Abandoned
            wait = min(max(deadline - clock(), 0.0), 0.5)
            try:
                fetched = await consumer.getmany(timeout_ms=max(1, int(wait * 1000)))
            except KafkaError:
                fetched = {}  # the broker may be the outage; the record in hand is still ours
            for partition, records in fetched.items():
                # Assigned by a rebalance after the pause: read again once the outage is over.
                consumer.seek(partition, records[0].offset)
                consumer.pause(partition)
            if clock() >= deadline:
                return

    def _end_outage(self) -> None:
        if self._outage is None:
            return
        self._outage = None
        WAITING.labels(self.group_id).set(0)
        consumer = self._started()
        consumer.resume(*consumer.assignment())
        log.info("outage_over", group=self.group_id)

    async def _dispatch(self, record: ConsumerRecord[bytes, bytes]) -> str:
        try:
            event_type, handler = self._handlers[record.topic]
        except KeyError as exc:
            raise BadMessage(f"no handler for topic {record.topic}") from exc
        envelope = Envelope.from_headers(record.headers)
        event = decode_body(event_type, record.value)
        with structlog.contextvars.bound_contextvars(  # the key names the page or hồ sơ
            correlation_id=envelope.correlation_id,
            event_id=envelope.id,
            topic=record.topic,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            offset=f"{record.partition}:{record.offset}",
        ):
            if self._processed is not None and await self._processed.seen(envelope.id):
                log.info("event_skipped_as_handled")
                return "duplicate"
            await handler(event, envelope)
            log.info("event_handled")
        if self._processed is not None:
            await self._processed.remember(envelope.id)
        return "handled"

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: Exception, attempts: int
    ) -> None:
        code = exc.code if isinstance(exc, SohoaError) else "internal.unhandled"
        reason = [
            ("dlq_error_code", code.encode()),
            ("dlq_error_message", str(exc)[:2000].encode()),
            ("dlq_error_type", type(exc).__name__.encode()),
            ("dlq_traceback", "".join(traceback.format_exception(exc))[-4000:].encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer_group", self.group_id.encode()),
        ]
        key = record.key.decode("utf-8", "replace") if record.key else ""
        # A failed dead-letter write raises: nothing is committed and the record comes back.
        await self._dead_letters.send(
            dead_letter_topic(record.topic), key, record.value or b"", [*record.headers, *reason]
        )
        log.warning("event_dead_lettered", topic=record.topic, offset=record.offset, code=code)
