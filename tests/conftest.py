"""Fixtures that start real servers on free loopback ports: the Tansu broker, moto's S3
server, a fresh PostgreSQL database per test (127.0.0.1:5432, or SOHOA_TEST_POSTGRES_URL)
and SQLite files. Outside CI a missing PostgreSQL skips its tests with the reason; with
CI=true it fails them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from services.ops.broker import TansuBroker, free_port
from shared.config import KafkaSettings, StorageBackend, StorageSettings
from shared.db import normalise_url

POSTGRES_URL = os.environ.get(
    "SOHOA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with TansuBroker(log_path=log) as broker:
        yield broker


@pytest.fixture
def kafka_settings(kafka_broker: TansuBroker) -> KafkaSettings:
    """Fast failure detection and retries, so tests of rebalancing and DLQ stay short."""
    return KafkaSettings(
        bootstrap_servers=kafka_broker.bootstrap,
        partitions=3,
        session_timeout_ms=3000,
        heartbeat_interval_ms=500,
        max_attempts=3,
        backoff_seconds=0.01,
    )


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str) -> StorageSettings:
    """A bucket prefix of its own per test: tests never see each other's objects."""
    return StorageSettings(
        backend=StorageBackend.S3,
        s3_endpoint=s3_endpoint,
        s3_access_key=SecretStr("sohoa-test"),
        s3_secret_key=SecretStr("sohoa-test-secret"),
        bucket_prefix=f"t{uuid.uuid4().hex[:12]}",
    )


def _postgres_admin() -> sa.engine.Engine:
    engine = sa.create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)
    return engine


@pytest.fixture
def postgres_databases() -> Iterator[Callable[[], sa.engine.URL]]:
    """Fresh databases on demand (one per service of a stack), all dropped afterwards."""
    admin = _postgres_admin()
    names: list[str] = []

    def create() -> sa.engine.URL:
        name = f"sohoa_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        return sa.engine.make_url(normalise_url(POSTGRES_URL)).set(database=name)

    try:
        yield create
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_databases: Callable[[], sa.engine.URL]) -> str:
    """A fresh database, dropped afterwards."""
    return postgres_databases().render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on both SQLite (embedded default) and PostgreSQL (production)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
