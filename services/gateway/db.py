"""The gateway's own tables (``SOHOA_GATEWAY_DATABASE_URL``): clients and their people and
the webhook subscriptions with their deliveries, the SQL unit of work over them, and the
append-only audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

from sqlalchemy import JSON, Text, UniqueConstraint, and_, delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, or_, select

from services.gateway.domain import AuditEntry, AuditFilter, Role
from services.gateway.identity import ClientAccount, ClientExists, PersonAccount, PersonExists
from services.gateway.ports import UnitOfWork
from services.gateway.webhooks import Delivery, DeliveryState, Subscription, WebhookEvent
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


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "gateway_webhook"

    id: str = Field(primary_key=True, max_length=36)
    client: str = Field(max_length=50, index=True)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=100)  # kept as is: every delivery is signed with it
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=Timestamp)
    active: bool = True


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "gateway_webhook_delivery"
    __table_args__ = (UniqueConstraint("subscription", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=36, foreign_key="gateway_webhook.id", index=True)
    event_id: str = Field(max_length=100)
    file_code: str = Field(max_length=100)
    body: str = Field(sa_type=Text)
    state: str = Field(max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=Timestamp, index=True)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=Timestamp)
    delivered_at: datetime | None = Field(default=None, sa_type=Timestamp)


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=UUID(row.id),
        client=row.client,
        url=row.url,
        secret=row.secret,
        events=frozenset(WebhookEvent(e) for e in row.events),
        roles=_roles(row.roles),
        created_at=as_utc(row.created_at),
        active=row.active,
    )


def _subscription_row(subscription: Subscription) -> SubscriptionRow:
    return SubscriptionRow(
        id=str(subscription.id),
        client=subscription.client,
        url=subscription.url,
        secret=subscription.secret,
        events=sorted(e.value for e in subscription.events),
        roles=sorted(r.value for r in subscription.roles),
        created_at=subscription.created_at,
        active=subscription.active,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        subscription=UUID(row.subscription),
        event_id=row.event_id,
        file_code=row.file_code,
        body=row.body,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=_when(row.next_attempt_at),
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        delivered_at=_when(row.delivered_at),
    )


def _delivery_values(delivery: Delivery) -> dict[str, object]:
    return {
        "subscription": str(delivery.subscription),
        "event_id": delivery.event_id,
        "file_code": delivery.file_code,
        "body": delivery.body,
        "state": delivery.state.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error[:500] if delivery.last_error else None,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


class SqlWebhooks:
    def __init__(self, session: Session) -> None:
        self._session = session

    def subscription(self, subscription_id: UUID) -> Subscription | None:
        row = self._session.get(SubscriptionRow, str(subscription_id))
        return _subscription(row) if row is not None else None

    def subscriptions(self, client: str) -> list[Subscription]:
        query = (
            select(SubscriptionRow)
            .where(SubscriptionRow.client == client, col(SubscriptionRow.active))
            .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
        )
        return [_subscription(row) for row in self._session.exec(query)]

    def active(self) -> list[Subscription]:
        query = select(SubscriptionRow).where(col(SubscriptionRow.active))
        return [_subscription(row) for row in self._session.exec(query)]

    def add_subscription(self, subscription: Subscription) -> None:
        self._session.add(_subscription_row(subscription))

    def save_subscription(self, subscription: Subscription) -> None:
        self._session.merge(_subscription_row(subscription))

    def add_delivery(self, delivery: Delivery) -> None:
        """INSERT … ON CONFLICT DO NOTHING: a second replica announcing the same event (after
        a rebalance) adds nothing and fails nothing."""
        dialect = sqlite if self._session.get_bind().dialect.name == "sqlite" else postgresql
        statement = dialect.insert(DeliveryRow).values(**_delivery_values(delivery))
        self._session.execute(
            statement.on_conflict_do_nothing(index_elements=["subscription", "event_id"])
        )

    def deliveries(self, subscription_id: UUID, *, before: int, limit: int) -> list[Delivery]:
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.subscription == str(subscription_id), col(DeliveryRow.id) < before)
            .order_by(col(DeliveryRow.id).desc())
            .limit(limit)
        )
        return [_delivery(row) for row in self._session.exec(query)]

    def claim_due(self, now: datetime, until: datetime, limit: int) -> list[Delivery]:
        query = (
            select(DeliveryRow)
            .join(SubscriptionRow, col(SubscriptionRow.id) == col(DeliveryRow.subscription))
            .where(
                DeliveryRow.state == DeliveryState.PENDING.value,
                col(DeliveryRow.next_attempt_at) <= now,
                col(SubscriptionRow.active),
            )
            .order_by(col(DeliveryRow.next_attempt_at), col(DeliveryRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=DeliveryRow)  # SQLite: one replica, no lock
        )
        rows = list(self._session.exec(query))
        claimed = [_delivery(row) for row in rows]
        for row in rows:
            row.next_attempt_at = until
            self._session.add(row)
        return claimed

    def save_delivery(self, delivery: Delivery) -> None:
        row = self._session.get(DeliveryRow, delivery.id)
        if row is None:
            return  # never stored: nothing to record against
        for name, value in _delivery_values(delivery).items():
            setattr(row, name, value)
        self._session.add(row)

    def prune_deliveries(self, before: datetime, silenced: str) -> int:
        state, error = col(DeliveryRow.state), col(DeliveryRow.last_error)
        done = or_(
            state == DeliveryState.DELIVERED.value,
            and_(state == DeliveryState.FAILED.value, error == silenced),
        )
        statement = delete(DeliveryRow).where(col(DeliveryRow.created_at) < before, done)
        return int(self._session.exec(statement).rowcount or 0)


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: Engine) -> None:
        self._session = Session(engine, expire_on_commit=False)
        self.identity = SqlIdentity(self._session)
        self.webhooks = SqlWebhooks(self._session)

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


class AuditRow(SQLModel, table=True):
    """One line of the nhật ký truy cập. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "gateway_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=Timestamp, index=True)
    client: str | None = Field(default=None, max_length=50, index=True)
    person: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=50)
    method: str = Field(max_length=10)
    operation: str = Field(max_length=300)
    file_code: str | None = Field(default=None, max_length=100, index=True)
    status: int
    correlation_id: str = Field(max_length=100)
    restricted: bool | None = None
    records_count: int | None = None  # hồ sơ the service touched; None: logged before 0004


class AuditRecordRow(SQLModel, table=True):
    """A hồ sơ one entry touched, as the answering service named it (in its order).
    Append-only as the entries are."""

    __tablename__ = "gateway_audit_record"

    entry_id: int = Field(foreign_key="gateway_audit.id", primary_key=True)
    position: int = Field(primary_key=True)
    file_code: str = Field(max_length=100, index=True)


def _entry(row: AuditRow, records: Sequence[str] = ()) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=as_utc(row.at),
        method=row.method,
        operation=row.operation,
        status=row.status,
        correlation_id=row.correlation_id,
        client=row.client,
        person=row.person,
        username=row.username,
        file_code=row.file_code,
        restricted=row.restricted,
        records=tuple(records),
        records_count=row.records_count or 0,
    )


class SqlAuditLog:
    """Only appends and reads: there is no code path that changes or removes an entry."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, entries: Sequence[AuditEntry]) -> None:
        """One executemany in one transaction, two when entries name hồ sơ touched: no ORM
        objects, as cheap a write as it gets."""
        rows = [
            {
                "at": e.at,
                "method": e.method,
                "operation": e.operation[:300],
                "status": e.status,
                "correlation_id": e.correlation_id[:100],
                "client": e.client,
                "person": e.person[:200] if e.person else None,
                "username": e.username,
                "file_code": e.file_code,
                "restricted": e.restricted,
                "records_count": e.records_count,
            }
            for e in entries
        ]
        with self._engine.begin() as connection:
            if not any(e.records for e in entries):
                connection.execute(insert(AuditRow), rows)  # no ids needed: the fast path
                return
            # The ids, in the entries' order, to hang the hồ sơ touched on (RETURNING costs
            # PostgreSQL about 3× a plain executemany, so only batches that need it pay it).
            returning = insert(AuditRow).returning(col(AuditRow.id), sort_by_parameter_order=True)
            ids = connection.execute(returning, rows).scalars().all()
            touched = [
                {"entry_id": entry_id, "position": position, "file_code": code}
                for entry_id, e in zip(ids, entries, strict=True)
                for position, code in enumerate(e.records)
            ]
            connection.execute(insert(AuditRecordRow), touched)

    def query(self, where: AuditFilter, *, after: int, limit: int) -> list[AuditEntry]:
        query = select(AuditRow).where(col(AuditRow.id) > after)
        if where.client is not None:
            query = query.where(AuditRow.client == where.client)
        if where.person is not None:
            query = query.where(
                or_(AuditRow.person == where.person, AuditRow.username == where.person)
            )
        if where.file_code is not None:
            # Both indexes, then the ids: an OR here walked the whole log (100 000 entries:
            # 37 ms against 0.12 ms on PostgreSQL) for a hồ sơ seldom touched.
            in_path = select(AuditRow.id).where(AuditRow.file_code == where.file_code)
            touching = select(AuditRecordRow.entry_id).where(
                AuditRecordRow.file_code == where.file_code
            )
            query = query.where(col(AuditRow.id).in_(in_path.union(touching)))
        if where.since is not None:
            query = query.where(col(AuditRow.at) >= where.since)
        if where.until is not None:
            query = query.where(col(AuditRow.at) < where.until)
        with Session(self._engine) as session:
            rows = list(session.exec(query.order_by(col(AuditRow.id)).limit(limit)))
            records: dict[int, list[str]] = {}
            ids = [row.id for row in rows if row.records_count]
            if ids:
                named = select(AuditRecordRow).where(col(AuditRecordRow.entry_id).in_(ids))
                ordered = named.order_by(col(AuditRecordRow.entry_id), col(AuditRecordRow.position))
                for record in session.exec(ordered):
                    records.setdefault(record.entry_id, []).append(record.file_code)
            return [_entry(row, records.get(row.id or 0, ())) for row in rows]
