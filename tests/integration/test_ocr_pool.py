"""The OCR pool's processes die with their worker, even one killed with SIGKILL: an orphan
would keep a core busy with a page nobody waits for. A page that hangs past its time is
killed with its pool process and the program that process started, and the pool goes on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.ocr.adapters.tesseract import PooledCall, renewable_pool
from services.ocr.domain import PageTimeout

pytestmark = pytest.mark.integration

_SCRIPT = """
import os, sys, time
from pathlib import Path
from services.ocr.adapters.tesseract import ocr_pool


def busy(marks: str) -> None:
    # a long page: the process is in its work, not waiting on the pool's queue
    (Path(marks) / str(os.getpid())).touch()
    time.sleep(600)


if __name__ == "__main__":
    with ocr_pool(2, 1) as pool:
        for _ in range(2):
            pool.submit(busy, sys.argv[1])
        time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # gone between the signal and the read (ENOENT, or ESRCH mid-reap): dead
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children_of(parent: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == parent:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_pool_processes_die_with_a_worker_killed_by_sigkill(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    marks = tmp_path / "busy"
    marks.mkdir()
    worker = subprocess.Popen(  # our own script
        [sys.executable, str(script), str(marks)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    busy = [int(mark.name) for mark in marks.iterdir()]
    assert len(busy) == 2, "both pool processes should be busy with a page"
    children = sorted(set(busy) | _children_of(worker.pid))  # the resource tracker too
    assert all(_alive(pid) for pid in busy)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling with a deadline, not a synchronisation sleep
    assert not any(_alive(pid) for pid in children), "pool processes outlived their worker"


def hang(marks: Path) -> None:
    """A page stuck in a program the pool process started (as tesseract would be)."""
    stuck = subprocess.Popen(["sleep", "600"])
    (marks / f"{os.getpid()}-{stuck.pid}").touch()
    stuck.wait()


def _stuck_pids(marks: Path) -> list[int]:
    (mark,) = [p.name for p in marks.iterdir()]
    return [int(pid) for pid in mark.split("-")]


def _all_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling with a deadline, not a synchronisation sleep
    return not any(_alive(pid) for pid in pids)


def answer(_marks: Path) -> int:
    return os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")
async def test_a_page_that_hangs_is_killed_with_its_process_and_the_pool_goes_on(
    tmp_path: Path,
) -> None:
    with renewable_pool(1, 1) as pool:
        with pytest.raises(PageTimeout):
            await PooledCall(pool, hang, timeout=5.0)(tmp_path)
        stuck = await asyncio.to_thread(_stuck_pids, tmp_path)
        assert await asyncio.to_thread(_all_gone, stuck), "the hung page outlived its time"
        served_by = await PooledCall(pool, answer, timeout=60.0)(tmp_path)
        assert served_by not in stuck
