"""A periodic sweep keeps running through failures, starts at once when asked to, and stops
when its context is left."""

from __future__ import annotations

import asyncio

import pytest

from shared.background import Periodic

pytestmark = pytest.mark.unit


async def test_a_failing_round_does_not_stop_the_next_ones() -> None:
    calls = 0
    third = asyncio.Event()

    async def work() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            third.set()
        if calls < 3:
            raise RuntimeError("the broker is away")

    sweep = Periodic("test-sweep", 0.001, work, at_start=True)
    async with sweep:
        await asyncio.wait_for(third.wait(), timeout=10)
    assert calls >= 3
    assert sweep._task is None  # cancelled and awaited on leaving


async def test_without_at_start_the_first_round_waits_one_period() -> None:
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    async with Periodic("test-sweep", 3600, work):
        await asyncio.sleep(0)  # let the task start
        assert not ran.is_set()
    async with Periodic("test-sweep", 3600, work, at_start=True):
        await asyncio.wait_for(ran.wait(), timeout=10)
