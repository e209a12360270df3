"""A loop a service runs beside its work for as long as it runs (the outbox relay, sweeps)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import ClassVar, Self


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
