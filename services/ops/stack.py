"""The local stack: broker, storage directory, SQLite databases and the five services as
separate processes. Each is ready when it says so (``/ready``), never after a fixed sleep;
stopping sends SIGTERM (services finish the message in hand), then SIGKILL after a timeout.

Supervised (as ``sohoa stack`` runs it), a process that dies is started again within a second,
like compose's ``restart: always``. Each process's pid is kept in ``<var>/run/<name>.pid`` and
the broker's address in ``<var>/run/stack.json``, for operators' tools such as ``sohoa dlq``,
with the keys of the stack's clients and its people's passwords (:mod:`services.ops.people`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from services.ops.broker import BrokerError, TansuBroker, free_port
from services.ops.hotfolder import HotFolderThread
from services.ops.people import WORKSPACE, StackPerson, provision
from shared import servicetoken
from shared.pades import SelfSignedKey, make_test_certificate

SERVICES = ("ingest", "ocr", "catalogue", "handover", "gateway", "receiver", "workspace")
"""``receiver`` is the reference national archive: it answers package-ready with receipts;
``workspace`` is the archivists' web screens, a client of the gateway."""
CLIENTS_OF_GATEWAY = ("gateway", "receiver", "workspace")  # not behind the gateway
STATEFUL = ("ingest", "catalogue", "handover", "gateway")


POLL_SECONDS = 0.5  # how often the supervisor looks for a process that died
TEST_SIGNER = "sohoa stack (chứng thư thử)"


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackRecord:
    """What a running stack tells other processes about itself (``<var>/run/stack.json``)."""

    bootstrap: str
    gateway_url: str
    workspace_client_key: str = ""
    client_keys: dict[str, str] = field(default_factory=dict)
    people: dict[str, StackPerson] = field(default_factory=dict)

    @staticmethod
    def path(var_dir: Path) -> Path:
        return var_dir / "run" / "stack.json"


def read_stack_record(var_dir: Path) -> StackRecord | None:
    try:
        data = json.loads(StackRecord.path(var_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return StackRecord(
        bootstrap=str(data["bootstrap"]),
        gateway_url=str(data["gateway_url"]),
        workspace_client_key=str(data.get("workspace_client_key", "")),
        client_keys=dict(data.get("client_keys", {})),
        people={
            name: StackPerson(str(p["client"]), str(p["password"]), tuple(p["roles"]))
            for name, p in data.get("people", {}).items()
        },
    )


def _write_pid(run_dir: Path, name: str, pid: int | None) -> None:
    if pid is not None:
        (run_dir / f"{name}.pid").write_text(f"{pid}\n", encoding="ascii")


@dataclass
class ServiceProcess:
    name: str  # "ocr", or "ocr-2" for a second OCR worker
    port: int
    env: dict[str, str]
    log_path: Path
    run_dir: Path | None = None
    probe_headers: Mapping[str, str] = field(default_factory=dict)  # the gateway's are closed
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def module(self) -> str:
        return self.name.split("-")[0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(  # noqa: S603  # our own interpreter and module
            [sys.executable, "-m", f"services.{self.module}"],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if self.run_dir is not None:
            _write_pid(self.run_dir, self.name, self.process.pid)

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def wait_ready(self, deadline: float) -> None:
        """Ask ``/ready`` until it says yes; fail early if the process died."""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise StackError(f"{self.name} exited; see {self.log_path}")
            try:
                ready = httpx.get(f"{self.url}/ready", headers=self.probe_headers, timeout=2)
                if ready.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # poll interval between readiness questions
        raise StackError(f"{self.name} not ready in time; see {self.log_path}")

    def stop(self, timeout: float = 60) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL: no goodbye, no commit (the crash test)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class LocalStack:
    """Everything sohoa needs on one machine, under ``var_dir``."""

    var_dir: Path
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    internal_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    download_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    client_keys: dict[str, str] = field(default_factory=dict)
    people: dict[str, StackPerson] = field(default_factory=dict)
    probe_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    gateway_port: int | None = None
    ocr_workers: int = 1
    catalogue_replicas: int = 1  # more share its consumer group; the gateway calls the first
    extra_env: Mapping[str, str] = field(default_factory=dict)
    supervise: bool = False
    broker: TansuBroker | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    hotfolder: HotFolderThread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    def signed_headers(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Headers with the gateway's signature, for operators' tools and tests that must
        call an internal service past the gateway (``path`` as sent, without the query)."""
        sent = {"x-sohoa-actor": "stack", **(headers or {})}
        token = servicetoken.sign(self.internal_secret, method, path, sent, time.time())
        return {**sent, servicetoken.HEADER: token}

    @property
    def probe_headers(self) -> dict[str, str]:
        """What the gateway's ``/ready`` and ``/metrics`` need: operators only."""
        return {"Authorization": f"Bearer {self.probe_token}"}

    @property
    def gateway_url(self) -> str:
        return self.services["gateway"].url

    @property
    def workspace_url(self) -> str:
        return self.services["workspace"].url

    @property
    def objects_dir(self) -> Path:
        return self.var_dir / "objects"

    def _signing_env(self) -> dict[str, str]:
        """The local stack signs its PDF/A copies with a self-signed key made at its first
        start (kept in ``<var>/signing``, never committed); the reference receiver trusts
        that certificate alone and refuses unsigned copies."""
        folder = self.var_dir / "signing"
        kept = folder / "passphrase"
        if kept.exists() and (folder / "signing.p12").exists():
            key = SelfSignedKey(folder / "signing.p12", kept.read_text(), folder / "signing.pem")
        else:
            key = make_test_certificate(folder, TEST_SIGNER)
            kept.touch(mode=0o600)
            kept.write_text(key.passphrase)
        return {
            "SOHOA_HANDOVER_SIGNING_PKCS12": str(key.pkcs12),
            "SOHOA_HANDOVER_SIGNING_PASSPHRASE": key.passphrase,
            "SOHOA_RECEIVER_TRUSTED_CERTIFICATES": json.dumps([str(key.certificate)]),
            "SOHOA_RECEIVER_REQUIRE_SIGNATURES": "true",
        }

    def _env(self, bootstrap: str, ports: Mapping[str, int]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(
            {
                "SOHOA_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "SOHOA_STORAGE_BACKEND": "local",
                "SOHOA_STORAGE_ROOT": str(self.objects_dir),
                "SOHOA_GATEWAY_API_KEYS": json.dumps({"demo": self.api_key}),
                "SOHOA_GATEWAY_TOKEN_KEYS": json.dumps({"stack": self.token_key}),
                # the gateway signs what it forwards; the services take nothing else
                "SOHOA_INTERNAL_TOKEN_SECRET": self.internal_secret,
                # one trusted key on loopback: bulk uploads and tests are not throttled
                "SOHOA_GATEWAY_RATE_LIMIT_PER_MINUTE": "0",
                # a developer's receivers listen on this machine: webhooks may call loopback
                "SOHOA_GATEWAY_WEBHOOK_PRIVATE_DESTINATIONS": "true",
                "SOHOA_HANDOVER_DOWNLOAD_SECRET": self.download_secret,
                "SOHOA_GATEWAY_PROBE_TOKEN": self.probe_token,
                "SOHOA_HANDOVER_PUBLIC_URL": f"http://127.0.0.1:{ports['handover']}",
                "SOHOA_RECEIVER_INBOX_DIR": str(self.var_dir / "receiver"),
                "SOHOA_WORKSPACE_GATEWAY_URL": f"http://127.0.0.1:{ports['gateway']}",
                **self._signing_env(),
            }
        )
        for name, port in ports.items():
            prefix = f"SOHOA_{name.upper()}_"
            env[f"{prefix}PORT"] = str(port)
            if name in STATEFUL:
                env[f"{prefix}DATABASE_URL"] = f"sqlite:///{self.var_dir / (name + '.db')}"
            if name not in CLIENTS_OF_GATEWAY:
                env[f"SOHOA_GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.update(self.extra_env)
        return env

    def start(
        self, timeout: float = 120, on_ready: Callable[[str, str], None] | None = None
    ) -> LocalStack:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        (self.var_dir / "logs").mkdir(exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        broker = TansuBroker(log_path=self.var_dir / "logs" / "broker.log").start()
        self.broker = broker
        _write_pid(self.run_dir, "broker", broker.pid)
        ports = {name: free_port() for name in SERVICES}
        if self.gateway_port:
            ports["gateway"] = self.gateway_port
        env = self._env(broker.bootstrap, ports)
        names = [
            *SERVICES[:2],
            *(f"ocr-{n}" for n in range(2, self.ocr_workers + 1)),
            SERVICES[2],
            *(f"catalogue-{n}" for n in range(2, self.catalogue_replicas + 1)),
            *SERVICES[3:],
        ]
        for name in names:
            port = ports.get(name) or free_port()
            worker_env = {**env, f"SOHOA_{self._prefix(name)}_PORT": str(port)}
            self.services[name] = ServiceProcess(
                name,
                port,
                worker_env,
                self.var_dir / "logs" / f"{name}.log",
                self.run_dir,
                self.probe_headers if name == "gateway" else {},
            )
        try:
            self.client_keys, self.people = provision(env["SOHOA_GATEWAY_DATABASE_URL"])
            # the workspace signs its people in with its own client's key
            self.services["workspace"].env["SOHOA_WORKSPACE_CLIENT_SECRET"] = self.client_keys[
                WORKSPACE
            ]
            deadline = time.monotonic() + timeout  # the services' time, the provisioning aside
            for service in self.services.values():
                service.start()
            for service in self.services.values():
                service.wait_ready(deadline)
                if on_ready is not None:
                    on_ready(service.name, service.url)
            self.hotfolder = HotFolderThread(
                self.var_dir / "hotfolder", self.gateway_url, self.api_key
            ).start()
        except BaseException:
            self.stop()
            raise
        record = {
            "bootstrap": broker.bootstrap,
            "gateway_url": self.gateway_url,
            "workspace_client_key": self.client_keys[WORKSPACE],
            "client_keys": self.client_keys,
            "people": {name: vars(person) for name, person in self.people.items()},
        }
        StackRecord.path(self.var_dir).write_text(json.dumps(record), encoding="utf-8")
        if self.supervise:
            self._supervisor = threading.Thread(
                target=self._watch, name="sohoa-supervisor", daemon=True
            )
            self._supervisor.start()
        return self

    def _watch(self) -> None:
        """Start again whatever died, until the stack stops (``restart: always``)."""
        while not self._stopping.wait(POLL_SECONDS):
            with self._lock:
                if self._stopping.is_set():
                    return
                if self.broker is not None and self.broker.exited():
                    self.broker.stop()
                    try:
                        self.broker.start()  # same port: the services reconnect by themselves
                    except BrokerError:
                        continue  # tried again at the next look
                    _write_pid(self.run_dir, "broker", self.broker.pid)
                    self.restarts["broker"] = self.restarts.get("broker", 0) + 1
                for service in self.services.values():
                    if service.exited():
                        service.stop()
                        service.start()
                        self.restarts[service.name] = self.restarts.get(service.name, 0) + 1

    def restart(self, name: str, timeout: float = 60) -> ServiceProcess:
        service = self.services[name]
        service.stop()
        service.start()
        service.wait_ready(time.monotonic() + timeout)
        return service

    @staticmethod
    def _prefix(name: str) -> str:
        return name.split("-")[0].upper()

    def stop(self) -> None:
        self._stopping.set()
        if self.hotfolder is not None:
            self.hotfolder.stop()
        with self._lock:  # a restart in progress finishes first
            for service in reversed(list(self.services.values())):
                service.stop()
            if self.broker is not None:
                self.broker.stop()
        if self._supervisor is not None:
            self._supervisor.join()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
