"""The unit-of-work base every service's port extends: one transaction, entered with
``with``; leaving it without ``commit`` rolls back, so a handler that raises changes nothing."""

from __future__ import annotations

import abc
from datetime import datetime
from types import TracebackType
from typing import Self


class UnitOfWorkBase(abc.ABC):
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def now(self) -> datetime:
        """The time of the transaction, so handlers never read the clock themselves."""
