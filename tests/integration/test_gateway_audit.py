"""The audit log on SQLite and PostgreSQL, and through the gateway: each call is recorded with
its client, person, route, hồ sơ, result and correlation id; a restricted hồ sơ is flagged,
also when a search or a list (the real catalogue's) touched it; the database refuses to
change or remove an entry; an admin reads it as JSON, .csv or .xlsx, filtered."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.catalogue.app import create_app as catalogue_app
from services.catalogue.config import CatalogueSettings
from services.gateway.adapters import Upstream
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.db import SqlAuditLog, open_database
from services.gateway.domain import AuditEntry, AuditFilter, Role
from shared.config import KafkaSettings, StorageSettings
from shared.records import RECORDS_COUNT_HEADER, RECORDS_HEADER
from tests.support.gateway import stand_in_services

pytestmark = pytest.mark.integration
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
OPEN, RESTRICTED = "H49.64.33.2001.1", "H49.64.33.2001.2"
ADMIN = {"X-API-Key": "audit-admin-key".ljust(32, "x")}
PARTNER = {"X-API-Key": "audit-partner-key".ljust(32, "x")}


def test_entries_are_appended_read_by_filter_and_never_changed(database_url: str) -> None:
    engine = open_database(database_url)
    log = SqlAuditLog(engine)
    log.append(
        [
            AuditEntry(AT, "GET", "/files/{file_code}", 200, "c-1", "tinh", file_code=OPEN),
            AuditEntry(
                AT + timedelta(hours=1), "POST", "/files/{file_code}/pages", 201, "c-2",
                "workspace", "Nguyễn Thị Lưu", "luutru", RESTRICTED, restricted=True,
            ),
            AuditEntry(AT + timedelta(hours=2), "GET", "/me", 401, "c-3"),
            AuditEntry(
                AT + timedelta(hours=3), "GET", "/search", 200, "c-4", "workspace",
                records=(OPEN, RESTRICTED), records_count=2, restricted=True,
            ),
        ]
    )  # fmt: skip

    def ids(**where: Any) -> list[str]:
        found = log.query(AuditFilter(**where), after=0, limit=10)
        return [e.correlation_id for e in found]

    assert ids() == ["c-1", "c-2", "c-3", "c-4"]
    assert ids(client="workspace") == ["c-2", "c-4"]
    assert ids(person="luutru") == ids(person="Nguyễn Thị Lưu") == ["c-2"]
    assert ids(file_code=RESTRICTED) == ["c-2", "c-4"]  # in the path, or among those touched
    assert ids(file_code=OPEN) == ["c-1", "c-4"]
    assert ids(since=AT + timedelta(minutes=30), until=AT + timedelta(hours=2)) == ["c-2"]
    first = log.query(AuditFilter(), after=0, limit=1)
    assert first[0].at == AT
    assert log.query(AuditFilter(), after=first[0].id or 0, limit=1)[0].correlation_id == "c-2"
    search = log.query(AuditFilter(file_code=RESTRICTED), after=0, limit=10)[-1]
    assert (search.records, search.records_count) == ((OPEN, RESTRICTED), 2)

    statements = [
        "UPDATE gateway_audit SET status = 200",
        "UPDATE gateway_audit_record SET file_code = 'x'",
        "DELETE FROM gateway_audit_record",
        "DELETE FROM gateway_audit",
    ]
    if engine.dialect.name == "postgresql":  # past the foreign key, the trigger refuses it
        statements += ["TRUNCATE gateway_audit_record", "TRUNCATE gateway_audit CASCADE"]
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text(statement))
    assert ids() == ["c-1", "c-2", "c-3", "c-4"]
    assert ids(file_code=RESTRICTED) == ["c-2", "c-4"]
    engine.dispose()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    def catalogue(request: httpx.Request) -> httpx.Response:
        mode = "02" if request.url.path.endswith(RESTRICTED) else "01"
        return httpx.Response(200, json={"file_code": request.url.path, "mode": mode})

    settings = GatewaySettings(
        database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
        api_keys={"ops": ADMIN["X-API-Key"], "tinh": PARTNER["X-API-Key"]},
        client_roles={"tinh": frozenset({"partner_read"})},
        audit_linger_seconds=0.01,
    )
    with TestClient(create_app(settings)) as client:
        stand_in_services(client, catalogue)
        yield client


def _audit(gateway: TestClient, count: int, **params: str) -> list[dict[str, Any]]:
    """The entries, once ``count`` of them are written (the writer runs behind the calls)."""
    deadline = time.monotonic() + 10
    while True:
        page = gateway.get("/api/v1/admin/audit", headers=ADMIN, params=params)
        assert page.status_code == 200, page.text
        entries: list[dict[str, Any]] = page.json()["entries"]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)  # poll interval


def test_every_call_is_recorded_and_restricted_hồ_sơ_are_flagged(gateway: TestClient) -> None:
    person = {**PARTNER, "X-Acting-Person": "Tr%E1%BA%A7n V%C4%83n A", "X-Correlation-ID": "k-1"}
    assert gateway.get(f"/api/v1/files/{OPEN}", headers=person).status_code == 200
    gateway.get(f"/api/v1/files/{RESTRICTED}/pages", headers=PARTNER)
    assert gateway.get("/api/v1/admin/audit", headers=PARTNER).status_code == 403
    assert gateway.get("/api/v1/me").status_code == 401
    signed_in = gateway.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("tinh", PARTNER["X-API-Key"]),
    )
    assert signed_in.status_code == 200

    entries = _audit(gateway, 4, client="tinh")
    first, pages, refused, token = entries[:4]
    assert (first["client"], first["person"], first["correlation_id"]) == (
        "tinh",
        "Trần Văn A",
        "k-1",
    )
    assert (first["operation"], first["file_code"], first["restricted"]) == (
        "/files/{file_code}",
        OPEN,
        False,
    )
    assert (pages["operation"], pages["file_code"], pages["restricted"]) == (
        "/files/{file_code}/pages",
        RESTRICTED,
        True,
    )
    assert (refused["operation"], refused["status"]) == ("/admin/audit", 403)
    assert (token["method"], token["operation"], token["status"]) == ("POST", "/oauth/token", 200)
    everything = _audit(gateway, 5)
    assert any(e["client"] is None and e["status"] == 401 for e in everything)

    exported = gateway.get("/api/v1/admin/audit", headers=ADMIN, params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Số thứ tự", "Thời gian (UTC)", "Hệ thống"]
    assert [row[7] for row in rows[1:3]] == [OPEN, RESTRICTED]

    sheet = gateway.get(
        "/api/v1/admin/audit", headers=ADMIN, params={"format": "xlsx", "file_code": RESTRICTED}
    )
    book = load_workbook(io.BytesIO(sheet.content), read_only=True)
    values = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert values[0][0] == "NHẬT KÝ TRUY CẬP"
    assert [(row[7], row[8]) for row in values[2:]] == [(RESTRICTED, True)]


@pytest.mark.parametrize("moment", ["0.5", "1764547200", "2026"])
def test_a_bare_number_is_not_taken_for_a_moment(gateway: TestClient, moment: str) -> None:
    """schemathesis's find: ``until=0.5`` was read as a Unix time; the document says ISO 8601."""
    refused = gateway.get("/api/v1/admin/audit", headers=ADMIN, params={"until": moment})
    assert (refused.status_code, refused.json()["code"]) == (422, "request.invalid")
    taken = gateway.get("/api/v1/admin/audit", headers=ADMIN, params={"until": "2026-12-01"})
    assert taken.status_code == 200, taken.text


def test_a_cursor_past_any_entry_id_is_refused_not_a_crash(gateway: TestClient) -> None:
    """schemathesis's find: a cursor beyond a 64-bit integer reached the database (500)."""
    refused = gateway.get("/api/v1/admin/audit", headers=ADMIN, params={"cursor": str(2**71)})
    assert (refused.status_code, refused.json()["code"]) == (422, "request.invalid")
    last = gateway.get("/api/v1/admin/audit", headers=ADMIN, params={"cursor": str(2**63 - 1)})
    assert (last.status_code, last.json()["entries"]) == (200, [])


# --- the hồ sơ the service touched, with the real catalogue behind the gateway --------------

ARCHIVIST = {"X-API-Key": "audit-archivist-key".ljust(32, "x")}
APPROVER = {"X-API-Key": "audit-approver-key".ljust(32, "x")}


@pytest.fixture
async def catalogue_behind_gateway(
    tmp_path: Path, kafka_settings: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with the real catalogue (its own database, the broker on loopback) as its
    catalogue, both in this event loop; two hồ sơ, one open (01) and one restricted (02)."""
    catalogue = catalogue_app(
        CatalogueSettings(
            database_url=f"sqlite:///{tmp_path / 'catalogue.db'}",
            kafka=kafka_settings,
            storage=StorageSettings(root=tmp_path / "objects"),
        )
    )
    gateway = create_app(
        GatewaySettings(
            database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
            kafka=kafka_settings,
            api_keys={
                "ops": ADMIN["X-API-Key"],
                "tinh": PARTNER["X-API-Key"],
                "vpubnd": ARCHIVIST["X-API-Key"],
                "sonoivu": APPROVER["X-API-Key"],
            },
            client_roles={
                "tinh": frozenset({Role.PARTNER_READ}),
                "vpubnd": frozenset({Role.ARCHIVIST}),
                "sonoivu": frozenset({Role.APPROVER}),
            },
            audit_linger_seconds=0.01,
        )
    )
    inside = httpx.AsyncClient(transport=httpx.ASGITransport(app=catalogue), base_url="http://c")
    async with (
        catalogue.router.lifespan_context(catalogue),
        gateway.router.lifespan_context(gateway),
        inside,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=gateway), base_url="http://gateway"
        ) as client,
    ):
        for code, mode in ((OPEN, "01"), (RESTRICTED, "02")):
            body = {"file_code": code, "title": f"Hồ sơ lưu trữ chế độ {mode}", "mode": mode}
            created = await inside.post(
                "/api/v1/files", json={**body, "number_of_page": 1}, headers={"x-sohoa-actor": "t"}
            )
            assert created.status_code == 201, created.text
        gateway.state.upstreams["catalogue"] = Upstream("catalogue", inside)
        yield client


async def _entries(
    gateway: httpx.AsyncClient, operation: str, count: int, **params: str
) -> list[dict[str, Any]]:
    """The entries of ``operation``, once ``count`` of them are written (the writer runs
    behind the calls)."""
    deadline = time.monotonic() + 10
    while True:
        page = await gateway.get("/api/v1/admin/audit", headers=ADMIN, params=params)
        assert page.status_code == 200, page.text
        entries = [e for e in page.json()["entries"] if e["operation"] == operation]
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        await asyncio.sleep(0.05)  # poll interval


async def test_a_restricted_hồ_sơ_found_by_a_search_is_logged_and_the_header_never_leaves(
    catalogue_behind_gateway: httpx.AsyncClient,
) -> None:
    client = catalogue_behind_gateway
    query = {"q": "luu tru"}
    found = await client.get("/api/v1/search", params=query, headers=ARCHIVIST)
    assert found.status_code == 200, found.text
    assert {hit["file_code"] for hit in found.json()["hits"]} == {OPEN, RESTRICTED}
    shown = await client.get("/api/v1/search", params=query, headers=PARTNER)
    assert [hit["file_code"] for hit in shown.json()["hits"]] == [OPEN]
    listed = await client.get("/api/v1/files", headers=PARTNER)
    assert [item["file_code"] for item in listed.json()["items"]] == [OPEN]
    exported = await client.get("/api/v1/files", params={"format": "xlsx"}, headers=ARCHIVIST)
    assert exported.status_code == 200, exported.text
    for answer in (found, shown, listed, exported):
        assert RECORDS_HEADER not in answer.headers
        assert RECORDS_COUNT_HEADER not in answer.headers
    # Named in a body and refused (not selected yet): asked about, so logged all the same.
    decided = await client.post(
        "/api/v1/selection-decisions",
        headers=APPROVER,
        json={"number": "1/QĐ", "date": "2026-12-01", "signer": "Lê Văn Hân",
              "file_codes": [RESTRICTED]},
    )  # fmt: skip
    assert decided.status_code == 409, decided.text
    assert RECORDS_HEADER not in decided.headers

    searches = await _entries(client, "/search", 2)
    by_client = {e["client"]: e for e in searches}
    archivist, partner = by_client["vpubnd"], by_client["tinh"]
    assert (sorted(archivist["records"]), archivist["records_count"]) == ([OPEN, RESTRICTED], 2)
    assert (archivist["file_code"], archivist["restricted"]) == (None, True)
    assert (partner["records"], partner["restricted"]) == ([OPEN], False)
    [listing] = await _entries(client, "/files", 1, client="tinh")
    assert (listing["records"], listing["restricted"]) == ([OPEN], False)
    [export] = await _entries(client, "/files", 1, client="vpubnd")  # every row a hồ sơ read
    assert (sorted(export["records"]), export["restricted"]) == ([OPEN, RESTRICTED], True)
    [decision] = await _entries(client, "/selection-decisions", 1)
    assert (decision["status"], decision["records"], decision["restricted"]) == (
        409,
        [RESTRICTED],
        True,
    )

    touching = await _entries(client, "/search", 1, file_code=RESTRICTED)
    assert [e["client"] for e in touching] == ["vpubnd"]  # not the partner's: it never saw it
    log = await client.get(
        "/api/v1/admin/audit", headers=ADMIN, params={"format": "csv", "file_code": RESTRICTED}
    )
    rows = list(csv.DictReader(io.StringIO(log.text.removeprefix("\ufeff"))))
    search_row = next(row for row in rows if row["Thao tác"] == "/search")
    assert set(search_row["Hồ sơ liên quan"].split(", ")) == {OPEN, RESTRICTED}
    assert (search_row["Số hồ sơ liên quan"], search_row["Hạn chế"]) == ("2", "True")
    sheet = await client.get(
        "/api/v1/admin/audit", headers=ADMIN, params={"format": "xlsx", "file_code": RESTRICTED}
    )
    book = load_workbook(io.BytesIO(sheet.content), read_only=True)
    values = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    heading = values[1]
    column = heading.index("Hồ sơ liên quan")
    operation = heading.index("Thao tác")
    assert {row[operation]: row[column] for row in values[2:] if row[operation] != "/files"} == {
        "/search": search_row["Hồ sơ liên quan"],
        "/selection-decisions": RESTRICTED,
    }
