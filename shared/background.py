"""A loop a service runs beside its work for as long as it runs (the outbox relay, sweeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import ClassVar, Self

import structlog

log = structlog.get_logger(__name__)


class BackgroundLoop:
    """Entered, ``run()`` goes on as a task; left, the task is cancelled and awaited."""

    task_name: ClassVar[str]
    _task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self.run(), name=self.task_name)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class Periodic(BackgroundLoop):
    """Runs ``work`` every ``every`` seconds (first at once when ``at_start``); a failure is
    logged and the next round tries again, so a sweep never dies of one bad run."""

    def __init__(
        self,
        name: str,
        every: float,
        work: Callable[[], Awaitable[object]],
        *,
        at_start: bool = False,
    ) -> None:
        self.task_name = name  # type: ignore[misc]  # per instance: one class, many loops
        self._every = every
        self._work = work
        self._at_start = at_start

    async def run(self) -> None:
        if not self._at_start:
            await asyncio.sleep(self._every)  # the schedule itself, not synchronisation
        while True:
            try:
                await self._work()
            except Exception:  # the next round tries again
                log.exception("periodic_task_failed", task=self.task_name)
            await asyncio.sleep(self._every)
