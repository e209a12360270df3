"""The hồ sơ a call touched, from the route that names them to the audit entry: the service
names each once, at most 200 with the count beyond; every kind of answer carries them; the
gateway reads and removes them; an entry is restricted when any hồ sơ it touched is, and
not known when some went unnamed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from fastapi import Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from services.gateway.audit import AuditWriter, entry_of, take_records
from services.gateway.domain import AuditEntry, AuditFilter, restricted_of
from shared.errors import PermanentError
from shared.http import create_service_app
from shared.records import (
    MAX_HEADER_BYTES,
    MAX_REPORTED,
    RECORDS_COUNT_HEADER,
    RECORDS_HEADER,
    Touched,
    read_records,
    record_headers,
    touched,
)

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
OPEN, RESTRICTED, VIETNAMESE = "H49.64.33.2001.1", "H49.64.33.2001.2", "UBND.Trà-Vinh.2001.3"


def _raw(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in headers}


def test_each_hồ_sơ_is_named_once_and_past_the_cap_only_counted() -> None:
    found = Touched(limit=3)
    found.add([OPEN, RESTRICTED, OPEN])
    assert (found.codes, found.count, found.capped) == ([OPEN, RESTRICTED], 2, False)
    assert RECORDS_COUNT_HEADER not in _raw(record_headers(found))
    found.add(f"H49.64.33.2001.{n}" for n in range(3, 8))
    assert (len(found.codes), found.count, found.capped) == (3, 7, True)
    assert _raw(record_headers(found))[RECORDS_COUNT_HEADER] == "7"
    assert record_headers(Touched()) == []  # touched nothing: no header at all


def test_the_header_carries_any_mã_hồ_sơ_and_reads_back_as_written() -> None:
    found = Touched()
    found.add([OPEN, VIETNAMESE])
    headers = _raw(record_headers(found))
    assert headers[RECORDS_HEADER].isascii()  # HTTP headers are latin-1: Vietnamese encoded
    again = read_records(headers)
    assert (again.codes, again.count) == ([OPEN, VIETNAMESE], 2)

    cut = Touched()
    cut.add(f"H49.64.33.2001.{n}" for n in range(MAX_REPORTED + 50))
    read = read_records(_raw(record_headers(cut)))
    assert (len(read.codes), read.count, read.capped) == (MAX_REPORTED, MAX_REPORTED + 50, True)


def test_long_codes_are_named_as_far_as_the_header_allows_and_counted() -> None:
    long = [f"Hồ-sơ-lưu-trữ-{n}".ljust(100, "ữ") for n in range(MAX_REPORTED)]
    found = Touched()
    found.add(long)
    headers = record_headers(found)
    raw = dict(headers)
    assert len(raw[RECORDS_HEADER.encode()]) <= MAX_HEADER_BYTES
    read = read_records(_raw(headers))
    assert 0 < len(read.codes) < MAX_REPORTED
    assert read.codes == long[: len(read.codes)]  # the first ones, whole
    assert (read.count, read.capped) == (MAX_REPORTED, True)


def test_a_part_that_is_not_a_mã_hồ_sơ_never_reaches_the_log() -> None:
    told = {RECORDS_HEADER: f"{OPEN}, ../etc,%FF,,{RESTRICTED}", RECORDS_COUNT_HEADER: "x"}
    read = read_records(told)
    assert (read.codes, read.count) == ([OPEN, RESTRICTED], 2)
    assert read_records({}).codes == []


def test_the_service_names_them_on_every_kind_of_answer() -> None:
    class Refused(PermanentError):
        code = "test.refused"
        title = "Từ chối"
        http_status = 409

    app = create_service_app("test", lifespan=None, title="t", description="t")

    @app.get("/api/v1/json")
    async def as_json(request: Request) -> dict[str, str]:
        touched(request, [OPEN])
        touched(request, [RESTRICTED, OPEN])
        return {}

    @app.get("/api/v1/text")
    async def as_text(request: Request) -> PlainTextResponse:
        touched(request, [VIETNAMESE])
        return PlainTextResponse("ok")

    @app.get("/api/v1/refused")
    async def refused(request: Request) -> None:
        touched(request, [RESTRICTED])
        raise Refused("không")

    @app.get("/api/v1/nothing")
    async def nothing() -> dict[str, str]:
        return {}

    with TestClient(app) as client:
        answers = {path: client.get(f"/api/v1/{path}") for path in ("json", "text", "refused")}
        assert answers["refused"].status_code == 409
        named = {path: read_records(a.headers).codes for path, a in answers.items()}
        assert named == {"json": [OPEN, RESTRICTED], "text": [VIETNAMESE], "refused": [RESTRICTED]}
        assert RECORDS_HEADER not in client.get("/api/v1/nothing").headers


def test_the_gateway_takes_the_headers_off_and_the_entry_keeps_them() -> None:
    found = Touched()
    found.add([OPEN, RESTRICTED])
    sent = [(b"content-type", b"application/json"), *record_headers(found)]
    kept, told = take_records([(name.upper(), value) for name, value in sent])
    assert kept == [(b"CONTENT-TYPE", b"application/json")]
    scope = {"type": "http", "method": "GET", "path": "/api/v1/search", "headers": []}
    entry = entry_of(scope, 200, AT, told)
    assert (entry.records, entry.records_count, entry.touched) == (
        (OPEN, RESTRICTED),
        2,
        (OPEN, RESTRICTED),
    )
    with_path = AuditEntry(AT, "GET", "/x", 200, "c", file_code=OPEN, records=(RESTRICTED, OPEN))
    assert with_path.touched == (OPEN, RESTRICTED)


@pytest.mark.parametrize(
    ("modes", "complete", "expected"),
    [
        ([False, True], True, True),
        ([None, True], False, True),  # one restricted is enough, whatever else
        ([False, False], True, False),
        ([False, None], True, None),
        ([False, False], False, None),  # some went unnamed: open is not known
        ([], True, None),
    ],
)
def test_an_entry_is_restricted_when_any_hồ_sơ_it_touched_is(
    modes: list[bool | None], complete: bool, expected: bool | None
) -> None:
    assert restricted_of(modes, complete=complete) is expected


class _Store:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self.entries.extend(entries)

    def query(self, where: AuditFilter, *, after: int, limit: int) -> list[AuditEntry]:
        return []


async def test_the_writer_marks_an_entry_by_the_records_the_service_touched() -> None:
    asked: list[str] = []

    async def mode(file_code: str) -> bool:
        asked.append(file_code)
        return file_code == RESTRICTED

    def search(*records: str, count: int | None = None) -> AuditEntry:
        return AuditEntry(
            AT, "GET", "/search", 200, "c", records=records, records_count=count or len(records)
        )

    store = _Store()
    async with AuditWriter(store, mode, linger=0, lookups=1) as writer:
        await writer.record(search(OPEN, RESTRICTED))
        await writer.record(search(OPEN))
        await writer.record(search(OPEN, count=500))  # 499 unnamed: not known to be open
        await writer.record(search())
    assert [e.restricted for e in store.entries] == [True, False, None, None]
    assert sorted(set(asked)) == [OPEN, RESTRICTED]
