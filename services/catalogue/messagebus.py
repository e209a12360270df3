"""How a handler runs: in a fresh unit of work, on a worker thread (the domain and the SQL are
synchronous; the event loop only waits), again when another transaction raced it to the same
rows, and with the outbox relay woken once it committed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from services.catalogue.ports import UnitOfWork
from shared.envelope import Envelope
from shared.errors import ConcurrentUpdate
from shared.events import Event

log = structlog.get_logger(__name__)
M = TypeVar("M")
R = TypeVar("R")
E = TypeVar("E", bound=Event)


class MessageBus:
    def __init__(
        self,
        unit_of_work: Callable[[str], UnitOfWork],
        after_commit: Callable[[], None],
        *,
        attempts: int = 5,
    ) -> None:
        self._unit_of_work = unit_of_work  # correlation id → a new unit of work
        self._after_commit = after_commit
        self._attempts = attempts

    async def run(
        self, handler: Callable[[M, UnitOfWork], R], message: M, *, correlation_id: str = ""
    ) -> R:
        """Run ``handler(message, uow)``; a concurrent update is retried from the start."""
        for attempt in range(1, self._attempts + 1):
            try:
                result = await asyncio.to_thread(
                    handler, message, self._unit_of_work(correlation_id)
                )
            except ConcurrentUpdate:
                if attempt == self._attempts:
                    raise
                log.info("concurrent_update_retried", handler=handler.__name__, attempt=attempt)
                continue
            self._after_commit()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def on_event(
        self, handler: Callable[[E, UnitOfWork], None]
    ) -> Callable[[E, Envelope], Awaitable[None]]:
        """The handler as the consumer runner calls it, keeping the event's correlation id."""

        async def consume(event: E, envelope: Envelope) -> None:
            await self.run(handler, event, correlation_id=envelope.correlation_id or "")

        consume.__name__ = handler.__name__
        return consume
