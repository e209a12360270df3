"""The audit writer and what an entry says, with an in-memory store: entries are written in
small transactions, everything queued is written at shutdown, a failed write loses nothing,
and a hồ sơ's chế độ sử dụng is asked once and remembered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from services.gateway.audit import AuditWriter, entry_of
from services.gateway.domain import AuditEntry, AuditFilter, Role, UpstreamUnavailable
from services.gateway.identity import Caller, PersonRef

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class FakeStore:
    def __init__(self, failures: int = 0) -> None:
        self.writes: list[list[AuditEntry]] = []
        self.failures = failures

    def append(self, entries: Sequence[AuditEntry]) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("database away")
        self.writes.append(list(entries))

    def query(self, where: AuditFilter, *, after: int, limit: int) -> list[AuditEntry]:
        return []

    @property
    def entries(self) -> list[AuditEntry]:
        return [entry for write in self.writes for entry in write]


def _entry(number: int, file_code: str | None = None) -> AuditEntry:
    return AuditEntry(
        at=AT, method="GET", operation="/files", status=200, correlation_id=str(number),
        file_code=file_code,
    )  # fmt: skip


async def test_entries_are_written_in_batches_and_all_of_them_at_shutdown() -> None:
    store = FakeStore()

    async def open_mode(file_code: str) -> bool:
        return False

    async with AuditWriter(store, open_mode, batch=100, linger=0) as writer:
        for number in range(250):
            await writer.record(_entry(number))
    assert [e.correlation_id for e in store.entries] == [str(n) for n in range(250)]
    assert max(len(write) for write in store.writes) <= 100
    assert len(store.writes) >= 3


async def test_a_failed_write_is_tried_again_and_loses_nothing() -> None:
    store = FakeStore(failures=2)

    async def open_mode(file_code: str) -> bool:
        return False

    async with AuditWriter(store, open_mode, linger=0, retry_seconds=0) as writer:
        await writer.record(_entry(1))
        await writer.record(_entry(2))
    assert [e.correlation_id for e in store.entries] == ["1", "2"]
    assert store.failures == 0


async def test_a_hồ_sơ_s_regime_is_asked_once_and_unknown_while_the_catalogue_is_away() -> None:
    asked: list[str] = []

    async def mode(file_code: str) -> bool | None:
        asked.append(file_code)
        if file_code == "H49.64.33.2001.9":
            raise UpstreamUnavailable("catalogue away")
        return file_code == "H49.64.33.2001.2"

    store = FakeStore()
    async with AuditWriter(store, mode, linger=0) as writer:
        for count, code in enumerate(("H49.64.33.2001.1", "H49.64.33.2001.2", "H49.64.33.2001.2")):
            await writer.record(_entry(0, code))
            await _written(store, count + 1)  # each in a write of its own: the cache answers
        await writer.record(_entry(0, "H49.64.33.2001.9"))
        await writer.record(_entry(0))
    assert [(e.file_code, e.restricted) for e in store.entries] == [
        ("H49.64.33.2001.1", False),
        ("H49.64.33.2001.2", True),
        ("H49.64.33.2001.2", True),
        ("H49.64.33.2001.9", None),
        (None, None),
    ]
    assert asked.count("H49.64.33.2001.2") == 1


async def _written(store: FakeStore, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 5
    while len(store.entries) < count:
        assert asyncio.get_running_loop().time() < deadline, "not written in time"
        await asyncio.sleep(0.005)  # poll interval


class _Route:
    path = "/api/v1/files/{file_code}/pages"


def _scope(caller: Caller | None, headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/files/H49.64.33.2001.1/pages",
        "headers": headers,
        "route": _Route(),
        "path_params": {"file_code": "H49.64.33.2001.1"},
        "state": {"caller": caller, "correlation_id": "c-1"},
    }


def test_an_entry_names_the_route_the_hồ_sơ_and_who_acted() -> None:
    claimed = [(b"x-acting-person", b"Tr%E1%BA%A7n V%C4%83n A")]
    roles = frozenset({Role.ARCHIVIST})
    by_key = entry_of(_scope(Caller("tinh", roles), claimed), 201, AT)
    assert (by_key.operation, by_key.file_code, by_key.status) == (
        "/files/{file_code}/pages",
        "H49.64.33.2001.1",
        201,
    )
    assert (by_key.client, by_key.person, by_key.username) == ("tinh", "Trần Văn A", None)
    assert by_key.correlation_id == "c-1"

    person = Caller("workspace", roles, PersonRef("luutru", "Nguyễn Thị Lưu"))
    by_token = entry_of(_scope(person, claimed), 201, AT)
    assert (by_token.person, by_token.username) == ("Nguyễn Thị Lưu", "luutru")

    nobody = entry_of(_scope(None, claimed), 401, AT)
    assert (nobody.client, nobody.person, nobody.status) == (None, None, 401)

    unmatched = {"type": "http", "method": "GET", "path": "/api/v1/nothing", "headers": []}
    entry = entry_of(unmatched, 404, AT)
    assert (entry.operation, entry.file_code, entry.correlation_id) == ("/nothing", None, "")
