"""Stand-in internal services behind a gateway under test: each is reached at
``http://<service>`` (``request.url.host`` names it) and answered by one function; and for the
webhooks, a partner's receiver on loopback and the state changes it hears of."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.gateway.adapters import Upstream
from services.gateway.identity import ClientAccount, PersonAccount, PersonExists
from shared.events import FileStateChanged

SERVICES = ("ingest", "catalogue", "handover")


def stand_in_services(
    client: TestClient, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    transport = httpx.MockTransport(answer)
    client.app.state.upstreams = {  # type: ignore[attr-defined]
        name: Upstream(name, httpx.AsyncClient(transport=transport, base_url=f"http://{name}"))
        for name in SERVICES
    }


def state_change(
    file_code: str,
    *,
    public: bool,
    at: datetime,
    from_state: str = "described",
    to_state: str = "verified",
    version: int = 5,
) -> FileStateChanged:
    """A file-state-changed as the catalogue publishes it after kiểm tra, for webhook tests."""
    return FileStateChanged(
        file_code=file_code,
        from_state=from_state,
        to_state=to_state,
        version=version,
        person="Trần Văn Kiểm",
        client="workspace",
        reason="kiểm tra đạt",
        at=at,
        arranged=True,
        open_for_scanning=False,
        public=public,
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's endpoint: answers each path from its script (then 200), keeps every POST."""

    url: str
    script: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 (a free port) for as long as the block lasts."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            me = box["receiver"]
            body = self.rfile.read(int(self.headers["content-length"]))
            me.received.append(Received(self.path, dict(self.headers.items()), body))
            statuses = me.script.get(self.path, [])
            self.send_response(statuses.pop(0) if statuses else 200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass  # the test reads what arrived, not the access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["receiver"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["receiver"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class FakeIdentity:
    clients_by_name: dict[str, ClientAccount] = field(default_factory=dict)
    people_by_key: dict[tuple[str, str], PersonAccount] = field(default_factory=dict)

    def client(self, name: str) -> ClientAccount | None:
        return self.clients_by_name.get(name)

    def client_by_key(self, key_hash: str) -> ClientAccount | None:
        return next((c for c in self.clients_by_name.values() if c.key_hash == key_hash), None)

    def clients(self) -> list[ClientAccount]:
        return sorted(self.clients_by_name.values(), key=lambda c: c.name)

    def add_client(self, client: ClientAccount) -> None:
        self.clients_by_name[client.name] = client

    def save_client(self, client: ClientAccount) -> None:
        self.clients_by_name[client.name] = client

    def person(self, client: str, username: str) -> PersonAccount | None:
        return self.people_by_key.get((client, username))

    def people(self, client: str) -> list[PersonAccount]:
        return [p for (c, _), p in sorted(self.people_by_key.items()) if c == client]

    def add_person(self, person: PersonAccount) -> None:
        if (person.client, person.username) in self.people_by_key:
            raise PersonExists(person.username)
        self.people_by_key[(person.client, person.username)] = person

    def save_person(self, person: PersonAccount) -> None:
        self.people_by_key[(person.client, person.username)] = person
