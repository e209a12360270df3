"""The gateway's own tables (``SOHOA_GATEWAY_DATABASE_URL``): clients and their people, and
the SQL unit of work over them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import JSON
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from services.gateway.domain import Role
from services.gateway.identity import ClientAccount, ClientExists, PersonAccount, PersonExists
from services.gateway.ports import UnitOfWork
from shared.db import Timestamp, as_utc, make_engine, migrate, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"


def open_database(url: str) -> Engine:
    """The gateway's engine, its schema brought to the newest revision."""
    engine = make_engine(url)
    migrate(engine, MIGRATIONS)
    return engine


class ClientRow(SQLModel, table=True):
    __tablename__ = "gateway_client"

    name: str = Field(primary_key=True, max_length=50)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=Timestamp)
    expires_at: datetime | None = Field(default=None, sa_type=Timestamp)
    revoked_at: datetime | None = Field(default=None, sa_type=Timestamp)


class PersonRow(SQLModel, table=True):
    __tablename__ = "gateway_person"

    client: str = Field(primary_key=True, max_length=50, foreign_key="gateway_client.name")
    username: str = Field(primary_key=True, max_length=50)
    full_name: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    password_hash: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=Timestamp)
    disabled_at: datetime | None = Field(default=None, sa_type=Timestamp)


def _roles(values: list[str]) -> frozenset[Role]:
    return frozenset(Role(value) for value in values)


def _when(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def _client(row: ClientRow) -> ClientAccount:
    return ClientAccount(
        name=row.name,
        roles=_roles(row.roles),
        key_hash=row.key_hash,
        created_at=as_utc(row.created_at),
        expires_at=_when(row.expires_at),
        revoked_at=_when(row.revoked_at),
    )


def _person(row: PersonRow) -> PersonAccount:
    return PersonAccount(
        client=row.client,
        username=row.username,
        full_name=row.full_name,
        roles=_roles(row.roles),
        password_hash=row.password_hash,
        created_at=as_utc(row.created_at),
        disabled_at=_when(row.disabled_at),
    )


class SqlIdentity:
    def __init__(self, session: Session) -> None:
        self._session = session

    def client(self, name: str) -> ClientAccount | None:
        row = self._session.get(ClientRow, name)
        return _client(row) if row is not None else None

    def client_by_key(self, key_hash: str) -> ClientAccount | None:
        row = self._session.exec(select(ClientRow).where(ClientRow.key_hash == key_hash)).first()
        return _client(row) if row is not None else None

    def clients(self) -> list[ClientAccount]:
        rows = self._session.exec(select(ClientRow).order_by(col(ClientRow.name)))
        return [_client(row) for row in rows]

    def add_client(self, client: ClientAccount) -> None:
        self._session.add(_client_row(client))

    def save_client(self, client: ClientAccount) -> None:
        self._session.merge(_client_row(client))

    def person(self, client: str, username: str) -> PersonAccount | None:
        row = self._session.get(PersonRow, (client, username))
        return _person(row) if row is not None else None

    def people(self, client: str) -> list[PersonAccount]:
        query = (
            select(PersonRow).where(PersonRow.client == client).order_by(col(PersonRow.username))
        )
        return [_person(row) for row in self._session.exec(query)]

    def add_person(self, person: PersonAccount) -> None:
        if self._session.get(PersonRow, (person.client, person.username)) is not None:
            raise PersonExists(f"{person.username} đã có trong hệ thống {person.client}")
        self._session.add(_person_row(person))

    def save_person(self, person: PersonAccount) -> None:
        self._session.merge(_person_row(person))


def _client_row(client: ClientAccount) -> ClientRow:
    return ClientRow(
        name=client.name,
        roles=sorted(role.value for role in client.roles),
        key_hash=client.key_hash,
        created_at=client.created_at,
        expires_at=client.expires_at,
        revoked_at=client.revoked_at,
    )


def _person_row(person: PersonAccount) -> PersonRow:
    return PersonRow(
        client=person.client,
        username=person.username,
        full_name=person.full_name,
        roles=sorted(role.value for role in person.roles),
        password_hash=person.password_hash,
        created_at=person.created_at,
        disabled_at=person.disabled_at,
    )


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: Engine) -> None:
        self._session = Session(engine, expire_on_commit=False)
        self.identity = SqlIdentity(self._session)

    def commit(self) -> None:
        try:
            self._session.commit()
        except IntegrityError as exc:  # a concurrent registration took the name first
            self._session.rollback()
            raise ClientExists("tên vừa được đăng ký đồng thời") from exc

    def rollback(self) -> None:
        self._session.rollback()
        self._session.close()

    def now(self) -> datetime:
        return utcnow()
