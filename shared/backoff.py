"""Exponential backoff, capped: the one schedule for retrying a message (the consumer
runner) and a webhook delivery (the gateway). No I/O, so domain rules may use it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries; the wait after attempt *n* is ``first_backoff · 2ⁿ⁻¹``,
    never more than ``max_backoff``."""

    max_attempts: int = 5
    first_backoff: float = 0.5
    max_backoff: float = 30.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1)))
