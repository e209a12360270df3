"""The supervised stack's processes as tests see them: pid files, liveness, a restart."""

from __future__ import annotations

import os
import time
from pathlib import Path


def pid_of(run_dir: Path, name: str) -> int:
    return int((run_dir / f"{name}.pid").read_text(encoding="ascii"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_new_pid(run_dir: Path, name: str, old: int, *, timeout: float) -> int:
    """The pid of ``name`` started again by the supervisor in place of ``old``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = pid_of(run_dir, name)
        except ValueError:  # read while the supervisor was writing it
            pid = old
        if pid != old and alive(pid):
            return pid
        time.sleep(0.2)  # poll interval
    raise AssertionError(f"{name} was not started again")
