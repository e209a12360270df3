"""The nhật ký truy cập: every ``/api/v1`` call — client, person, operation, the hồ sơ it
touched, result, time, correlation id — appended to the gateway's database, never changed.

The hồ sơ touched are the one the path names and those the answering service names in
``x-sohoa-records`` (:mod:`shared.records`): a search's hits, a list, the codes of a body.
:class:`AuditMiddleware` reads that header as the answer starts and takes it off, so no
caller ever sees it.

A call does not wait for the database: :class:`AuditMiddleware` puts its entry on a queue and
:class:`AuditWriter` writes the queue in small transactions (up to ``batch`` entries, or what
came in ``linger`` seconds). The queue is bounded: when the database falls that far behind,
calls wait for room rather than lose entries. On shutdown the writer writes what is queued
before it stops. A failed write is retried, never dropped. Whether a hồ sơ is restricted
(chế độ sử dụng 02/03) is asked of the catalogue by the writer, off the call's path, and
remembered for a while; an entry is restricted when any hồ sơ it touched is.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime
from typing import Self

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.adapters import Upstream
from services.gateway.domain import AuditEntry, AuditFilter, restricted_mode, restricted_of
from services.gateway.identity import Caller, person_name
from services.gateway.ports import AuditStore
from shared.errors import InvalidFileCode, TransientError
from shared.records import RECORDS_COUNT_HEADER, RECORDS_HEADER, Touched, read_records
from shared.tables import CellValue, TableSheet
from shared.text import validate_file_code

log = structlog.get_logger(__name__)
PREFIX = "/api/v1"
ModeLookup = Callable[[str], Awaitable[bool | None]]
"""Whether a hồ sơ is restricted: True, False (open, or no such hồ sơ), None (unknown)."""


class AuditWriter:
    """Entered, it writes queued entries until it is left; leaving writes what is queued."""

    def __init__(
        self,
        store: AuditStore,
        restricted: ModeLookup,
        *,
        batch: int = 500,
        linger: float = 0.2,
        capacity: int = 10_000,
        mode_ttl: float = 300,
        lookups: int = 8,
        retry_seconds: float = 1.0,
        drain_seconds: float = 30,
    ) -> None:
        self._store = store
        self._restricted = restricted
        self._batch = batch
        self._linger = linger
        self._queue: asyncio.Queue[AuditEntry] = asyncio.Queue(capacity)
        self._modes: dict[str, tuple[float, bool | None]] = {}
        self._mode_ttl = mode_ttl
        # A search touches up to 200 hồ sơ: ask the catalogue a few at a time, leaving its
        # connections to the calls people wait for.
        self._lookups = asyncio.Semaphore(lookups)
        self._retry = retry_seconds
        self._drain_seconds = drain_seconds
        self._task: asyncio.Task[None] | None = None

    async def record(self, entry: AuditEntry) -> None:
        await self._queue.put(entry)  # waits only when the database is far behind

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="audit-writer")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        try:  # everything queued is written, unless the database stays away
            await asyncio.wait_for(self._queue.join(), self._drain_seconds)
        except TimeoutError:
            log.error("audit_entries_unwritten", entries=self._queue.qsize())
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            entries = [await self._queue.get()]
            if self._queue.qsize() < self._batch - 1:
                # Gather what comes in the next moment: woken once a batch, not once a call.
                await asyncio.sleep(self._linger)
            while len(entries) < self._batch and not self._queue.empty():
                entries.append(self._queue.get_nowait())
            await self._write(entries)
            for _ in entries:
                self._queue.task_done()

    async def _write(self, entries: list[AuditEntry]) -> None:
        marked = await self._marked(entries)
        while True:
            try:
                await asyncio.to_thread(self._store.append, marked)
                return
            except Exception:  # the database may heal: keep the entries, try again
                log.exception("audit_write_failed", entries=len(marked))
                await asyncio.sleep(self._retry)  # back-off before the next try

    async def _marked(self, entries: list[AuditEntry]) -> list[AuditEntry]:
        codes = {code for e in entries for code in e.touched}
        modes = dict(zip(codes, await asyncio.gather(*map(self._mode, codes)), strict=True))
        return [
            replace(
                e,
                restricted=restricted_of(
                    (modes[code] for code in e.touched),
                    complete=e.records_count <= len(e.records),
                ),
            )
            if e.touched
            else e
            for e in entries
        ]

    async def _mode(self, file_code: str) -> bool | None:
        now = time.monotonic()
        known = self._modes.get(file_code)
        if known is not None and now - known[0] < self._mode_ttl:
            return known[1]
        try:
            async with self._lookups:
                restricted = await self._restricted(file_code)
        except TransientError:  # the catalogue is away: the entry says "unknown"
            log.warning("audit_mode_unknown", file_code=file_code)
            return None
        if len(self._modes) > 50_000:
            self._modes.clear()
        self._modes[file_code] = (now, restricted)
        return restricted


def catalogue_modes(catalogue: Callable[[], Upstream], source: str) -> ModeLookup:
    """Asks the catalogue for the hồ sơ and reads its chế độ sử dụng."""

    async def restricted(file_code: str) -> bool | None:
        try:
            code = validate_file_code(file_code)
        except InvalidFileCode:
            return False  # refused before it reached anything
        answer = await catalogue().forward(
            "GET",
            f"/api/v1/files/{code}",
            params={},
            headers={"x-sohoa-actor": source},
            stream=False,
        )
        if answer.status_code == 404:
            return False  # no such hồ sơ: nothing restricted was touched
        if answer.status_code != 200:
            return None
        try:
            return restricted_mode(json.loads(bytes(answer.body)).get("mode"))
        except (ValueError, AttributeError):
            return None

    return restricted


class AuditMiddleware:
    """Records each ``/api/v1`` call once its answer has been sent (or has failed), with the
    hồ sơ the service said it touched; that header never leaves the gateway. Pure ASGI:
    bodies stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(f"{PREFIX}/"):
            await self.app(scope, receive, send)
            return
        status = 500  # unless an answer starts
        found = Touched()

        async def watched(message: Message) -> None:
            nonlocal status, found
            if message["type"] == "http.response.start":
                status = message["status"]
                headers, found = take_records(message.get("headers", []))
                message = {**message, "headers": headers}
            await send(message)

        at = datetime.now(UTC)
        try:
            await self.app(scope, receive, watched)
        finally:
            writer: AuditWriter | None = getattr(scope["app"].state, "audit", None)
            if writer is not None:
                await writer.record(entry_of(scope, status, at, found))


RawHeaders = list[tuple[bytes, bytes]]
_RECORD_HEADERS = {RECORDS_HEADER.encode(), RECORDS_COUNT_HEADER.encode()}


def take_records(headers: Sequence[tuple[bytes, bytes]]) -> tuple[RawHeaders, Touched]:
    """The answer's headers without the service's record headers, and what those said."""
    kept: RawHeaders = []
    told: dict[str, str] = {}
    for name, value in headers:
        if name.lower() in _RECORD_HEADERS:
            told[name.lower().decode("latin-1")] = value.decode("latin-1")
        else:
            kept.append((name, value))
    return kept, read_records(told)


def entry_of(scope: Scope, status: int, at: datetime, found: Touched | None = None) -> AuditEntry:
    """What the call was, from what the gateway learnt answering it: the route matched, the
    caller authenticated, the mã hồ sơ in the path and those the service touched."""
    state = scope.get("state", {})
    caller: Caller | None = state.get("caller")
    route = getattr(scope.get("route"), "path", None)
    operation = (route or scope["path"]).removeprefix(PREFIX)
    params = scope.get("path_params", {})
    file_code = params.get("file_code") if route else None
    person = username = None
    if caller is not None and caller.person is not None:
        person, username = caller.person.full_name, caller.person.username
    elif caller is not None:
        raw = next((v for k, v in scope.get("headers", ()) if k == b"x-acting-person"), None)
        person = person_name(raw.decode("latin-1")) if raw else None
    return AuditEntry(
        at=at,
        method=scope["method"],
        operation=operation,
        status=status,
        correlation_id=str(state.get("correlation_id", "")),
        client=caller.client if caller is not None else None,
        person=person,
        username=username,
        file_code=file_code if isinstance(file_code, str) else None,
        records=tuple(found.codes) if found is not None else (),
        records_count=found.count if found is not None else 0,
    )


# --- reading it back -------------------------------------------------------------------------

COLUMNS = (
    "Số thứ tự",
    "Thời gian (UTC)",
    "Hệ thống",
    "Người thực hiện",
    "Tên đăng nhập",
    "Phương thức",
    "Thao tác",
    "Mã hồ sơ",
    "Hạn chế",
    "Kết quả",
    "Mã tương quan",
    "Hồ sơ liên quan",  # those the service touched, after the columns readers already know
    "Số hồ sơ liên quan",
)
PAGE = 1000


def every(store: AuditStore, where: AuditFilter) -> Iterator[AuditEntry]:
    """All matching entries, oldest first, read a page at a time (memory stays flat)."""
    after = 0
    while True:
        page = store.query(where, after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].id or after


def cells(entry: AuditEntry) -> list[CellValue]:
    return [
        entry.id,
        entry.at,
        entry.client,
        entry.person,
        entry.username,
        entry.method,
        entry.operation,
        entry.file_code,
        entry.restricted,
        entry.status,
        entry.correlation_id,
        ", ".join(entry.records) or None,
        entry.records_count or None,
    ]


def sheet(entries: Iterator[AuditEntry]) -> TableSheet:
    return TableSheet(
        title="Nhật ký truy cập",
        columns=COLUMNS,
        rows=(cells(e) for e in entries),
        heading="NHẬT KÝ TRUY CẬP",
    )


async def csv_lines(pages: Callable[[int], Awaitable[Sequence[AuditEntry]]]) -> AsyncIterator[str]:
    """The entries as CSV (with a BOM, so Excel reads UTF-8), a page at a time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    yield "\ufeff" + out.getvalue()
    after = 0
    while True:
        page = await pages(after)
        out.seek(0)
        out.truncate()
        for entry in page:
            row = cells(entry)
            row[1] = entry.at.isoformat()
            writer.writerow(["" if value is None else value for value in row])
        if page:
            yield out.getvalue()
        if len(page) < PAGE:
            return
        after = page[-1].id or after
