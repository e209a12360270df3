"""Database helpers: one engine per service (SQLite file by default, PostgreSQL by URL),
Alembic migrations per service, and the processed-event record behind idempotent consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, select

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


Timestamp = sa.DateTime(timezone=True)
"""Column type of every moment sohoa records (UTC, with its zone on PostgreSQL)."""


def as_utc(moment: datetime) -> datetime:
    """A stored moment with its zone: SQLite gives back naive datetimes, always UTC here."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; other URLs pass unchanged."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine; SQLite connections wait for locks and keep a WAL (one writer, many readers)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


MIGRATION_LOCK = 0x736F686F61  # "sohoa": one advisory lock per database, held while migrating


def migrate(engine: Engine, migrations_dir: Path) -> None:
    """Bring the service's database to the newest Alembic revision of its own chain. Replicas
    starting together on PostgreSQL take turns (an advisory lock for the transaction; the DDL
    is transactional), so the second finds the schema at head instead of racing to create it."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def run_migrations(context: Any) -> None:
    """Body of every service's ``migrations/env.py``: migrate on the connection it was handed."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


async def in_thread(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run synchronous database work off the event loop in a session that commits on success."""

    def run() -> T:
        with Session(engine, expire_on_commit=False) as session:
            result = work(session)
            session.commit()
            return result

    return await asyncio.to_thread(run)


async def ping(engine: Engine) -> None:
    def run() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    await asyncio.to_thread(run)


class ProcessedEvent(SQLModel, table=True):
    """An event id a consumer group has handled: a redelivery of it is skipped."""

    __tablename__ = "processed_event"
    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=100)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class Inbox:
    """The processed-event record of one consumer group, in the service's own database."""

    def __init__(self, engine: Engine, consumer: str) -> None:
        self._engine = engine
        self._consumer = consumer

    async def seen(self, event_id: str) -> bool:
        def work(session: Session) -> bool:
            query = select(ProcessedEvent).where(
                ProcessedEvent.consumer == self._consumer, ProcessedEvent.event_id == event_id
            )
            return session.exec(query).first() is not None

        return await in_thread(self._engine, work)

    async def remember(self, event_id: str) -> None:
        def run() -> None:
            try:
                with Session(self._engine) as session:
                    session.add(ProcessedEvent(consumer=self._consumer, event_id=event_id))
                    session.commit()
            except IntegrityError:
                pass  # remembered already by a concurrent delivery: the same fact

        await asyncio.to_thread(run)


def processed_before(cutoff: datetime) -> sa.Delete:
    """The processed-event records older than ``cutoff``: past any redelivery, so kept no more."""
    return delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < cutoff)


def prune_processed(engine: Engine, retention_hours: float) -> int:
    """Delete processed-event records older than the retention; for a service that consumes
    without an outbox (the gateway), whose redrive sweep would prune them otherwise."""
    with Session(engine) as session:
        result = session.exec(processed_before(utcnow() - timedelta(hours=retention_hours)))
        session.commit()
        return int(result.rowcount or 0)
