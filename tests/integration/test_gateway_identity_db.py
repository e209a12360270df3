"""The gateway's SQL store of clients and people, on SQLite and PostgreSQL: what is written
reads back the same (moments with their zone), a key is found by its hash, a name or a
username is taken once, and ``sohoa clients`` works on the same database."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from services.gateway import accounts
from services.gateway.db import SqlUnitOfWork, open_database
from services.gateway.domain import KeyRevoked, Role
from services.gateway.identity import ClientExists, PersonExists, key_hash
from services.ops.cli import main as sohoa

pytestmark = pytest.mark.integration
BOOT = accounts.Bootstrap()


def test_clients_and_people_round_trip_through_sql(database_url: str) -> None:
    engine = open_database(database_url)
    uow = partial(SqlUnitOfWork, engine)
    expires = datetime(2027, 1, 1, tzinfo=UTC)
    roles = frozenset({Role.ARCHIVIST, Role.REVIEWER})
    client, key = accounts.create_client(uow(), "workspace", roles, expires, BOOT)
    assert accounts.get_client(uow(), "workspace") == client
    assert accounts.caller_for_key(uow(), key, BOOT).roles == roles
    with pytest.raises(ClientExists):
        accounts.create_client(uow(), "workspace", roles, None, BOOT)

    person = accounts.add_person(
        uow(), "workspace", "luutru", "Nguyễn Thị Lưu", frozenset({Role.ARCHIVIST}), "mat-khau-1"
    )
    assert accounts.list_people(uow(), "workspace") == [person]
    with pytest.raises(PersonExists):
        accounts.add_person(
            uow(), "workspace", "luutru", "Ai Đó", frozenset({Role.ARCHIVIST}), "mat-khau-2"
        )
    caller = accounts.authenticate_client(uow(), "workspace", key, BOOT)
    assert accounts.sign_in(uow(), caller, "luutru", "mat-khau-1").person is not None
    disabled = accounts.disable_person(uow(), "workspace", "luutru")
    assert accounts.list_people(uow(), "workspace") == [disabled]
    assert disabled.disabled_at is not None
    assert disabled.disabled_at - datetime.now(UTC) < timedelta(minutes=1)

    accounts.revoke_client(uow(), "workspace")
    with pytest.raises(KeyRevoked):
        accounts.caller_for_key(uow(), key, BOOT)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT key_hash FROM gateway_client")).scalar_one()
    assert stored == key_hash(key)
    engine.dispose()


def test_the_clients_command_writes_the_gateway_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOHOA_GATEWAY_DATABASE_URL", database_url)
    assert sohoa(["clients", "create", "stttt", "--roles", "partner_read,archivist"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["client"]["roles"] == ["archivist", "partner_read"]
    assert created["api_key"].startswith("sohoa_")

    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-dai\n"))
    person = ["clients", "add-person", "stttt", "an.nguyen", "--name", "Nguyễn Văn An"]
    assert sohoa([*person, "--roles", "archivist"]) == 0
    assert json.loads(capsys.readouterr().out)["person"]["full_name"] == "Nguyễn Văn An"

    assert sohoa(["clients", "rotate", "stttt"]) == 0
    rotated = json.loads(capsys.readouterr().out)["api_key"]
    assert sohoa(["clients", "revoke", "stttt"]) == 0
    assert json.loads(capsys.readouterr().out)["client"]["revoked_at"] is not None
    assert sohoa(["clients", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)["clients"]
    assert [c["name"] for c in listed] == ["stttt"]
    assert "api_key" not in listed[0]

    assert sohoa(["clients", "create", "stttt", "--roles", "admin"]) == 1
    assert json.loads(capsys.readouterr().err)["code"] == "gateway.client-exists"

    engine = open_database(database_url)
    with pytest.raises(KeyRevoked):
        accounts.caller_for_key(SqlUnitOfWork(engine), rotated, BOOT)
    engine.dispose()
