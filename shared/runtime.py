"""The start-up every service shares, in one place: database and migrations, topics,
publisher, outbox relay, consumer runners and readiness checks. Shutdown runs it backwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.background import Periodic
from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner
from shared.db import Inbox, make_engine, migrate, ping
from shared.deadletters import measure_depths
from shared.http import ReadyCheck
from shared.kafka import KafkaPublisher, ensure_topics
from shared.outbox import OutboxRelay
from shared.redrive import RedriveSweep


@dataclass
class Runtime:
    """What a running service holds; ``ready_checks`` feed ``/ready``."""

    kafka: KafkaSettings
    publisher: KafkaPublisher
    stack: AsyncExitStack
    engine: Engine | None = None
    relay: OutboxRelay | None = None
    ready_checks: dict[str, ReadyCheck] = field(default_factory=dict)

    def database(self) -> Engine:
        """The service's engine; only services started with a database URL have one."""
        if self.engine is None:
            raise RuntimeError("this service was started without a database")
        return self.engine

    def wake_outbox(self) -> None:
        if self.relay is not None:
            self.relay.wake()

    async def start_consumer(self, runner: ConsumerRunner) -> ConsumerRunner:
        """Start a runner whose handlers are subscribed; it stops before the publisher does."""
        await self.stack.enter_async_context(runner)
        self.ready_checks[f"consumer:{runner.group_id}"] = runner.ping
        return runner

    def consumer(self, group_id: str) -> ConsumerRunner:
        """A runner in ``group_id``; the processed-event record skips redeliveries."""
        processed = Inbox(self.engine, group_id) if self.engine is not None else None
        return ConsumerRunner(
            self.kafka, group_id=group_id, dead_letters=self.publisher, processed=processed
        )


@asynccontextmanager
async def service_runtime(
    kafka: KafkaSettings,
    *,
    source: str,
    topics: Iterable[str],
    database_url: str | None = None,
    migrations: Path | None = None,
) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        engine: Engine | None = None
        if database_url is not None:
            engine = make_engine(database_url)
            stack.callback(engine.dispose)
            if migrations is not None:
                migrate(engine, migrations)
        topics = list(topics)
        await ensure_topics(kafka, topics)
        publisher = await stack.enter_async_context(KafkaPublisher.open(kafka, source=source))
        runtime = Runtime(kafka=kafka, publisher=publisher, stack=stack, engine=engine)
        runtime.ready_checks["broker"] = publisher.ping
        depths = partial(measure_depths, kafka, topics)
        every = kafka.dead_letter_check_seconds
        await stack.enter_async_context(Periodic("dead-letter-depth", every, depths, at_start=True))
        if engine is not None:
            runtime.ready_checks["database"] = partial(ping, engine)
            relay = OutboxRelay(engine, publisher, linger_seconds=kafka.outbox_linger_seconds)
            runtime.relay = await stack.enter_async_context(relay)
            sweep = RedriveSweep(engine, publisher, runtime.relay, kafka, topics)
            redrive = Periodic(
                "outbox-redrive", kafka.redrive_check_seconds, sweep.check, at_start=True
            )
            await stack.enter_async_context(redrive)
        yield runtime
