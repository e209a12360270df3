"""Settings shared by every service, read from ``SOHOA_…`` environment variables.

Each service composes these with its own ``<Service>Settings`` (prefix ``SOHOA_<SERVICE>_``).
Settings are read when an app is built, never at import, so tests pass settings objects.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """The Kafka-protocol broker (Tansu in the embedded default, Apache Kafka in production)."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_KAFKA_", frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="SASL_SSL on a shared cluster; PLAINTEXT for Tansu"
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed the brokers' certificates; "
        "unset: the system's CAs",
    )
    partitions: int = Field(default=12, ge=1, description="partitions of every topic created")
    replication_factor: int = Field(default=1, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    heartbeat_interval_ms: int = Field(default=3_000, ge=100)
    max_poll_interval_ms: int = Field(default=600_000, ge=10_000)
    request_timeout_ms: int = Field(default=30_000, ge=1000)
    max_attempts: int = Field(default=5, ge=1, description="tries of a failing message before DLQ")
    backoff_seconds: float = Field(default=0.5, ge=0, description="first retry delay; doubles")
    outbox_linger_seconds: float = Field(
        default=0.05,
        ge=0,
        le=5,
        description="how long the outbox relay, once woken, waits for more events to send with "
        "them (0: each at once)",
    )
    redrive_check_seconds: float = Field(
        default=30, gt=0, description="how often a service checks the broker still holds its log"
    )
    dead_letter_check_seconds: float = Field(
        default=60, gt=0, description="how often sohoa_dead_letters{topic} is measured"
    )
    redrive_window_hours: float = Field(
        default=168, gt=0, description="outbox rows sent this recently are re-sent to a new broker"
    )
    retention_hours: float = Field(
        default=720,
        gt=0,
        description="sent outbox rows and processed-event records older than this are deleted",
    )

    @model_validator(mode="after")
    def _keep_what_a_redrive_needs(self) -> KafkaSettings:
        if self.retention_hours < self.redrive_window_hours:
            raise ValueError("retention_hours must be at least redrive_window_hours")
        return self

    @model_validator(mode="after")
    def _credentials_for_sasl(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not (
            self.sasl_username and self.sasl_password and self.sasl_password.get_secret_value()
        ):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        if self.ssl_cafile is not None and not self.security_protocol.endswith("SSL"):
            raise ValueError("ssl_cafile is only read with SSL or SASL_SSL")
        return self


class StorageBackend(StrEnum):
    LOCAL = "local"
    S3 = "s3"


class ObjectLockMode(StrEnum):
    """S3 Object Lock for the write-once areas (originals, handover packages)."""

    GOVERNANCE = "governance"  # only a principal with the bypass permission may delete
    COMPLIANCE = "compliance"  # nobody may delete or shorten it, root included
    OFF = "off"


class StorageSettings(BaseSettings):
    """Object storage: a local directory (embedded default) or S3/MinIO (production)."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_STORAGE_", frozen=True)

    backend: StorageBackend = StorageBackend.LOCAL
    root: Path = Path("var/objects")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    bucket_prefix: str = Field(default="sohoa", description="bucket of area A is <prefix>-<A>")
    object_lock: ObjectLockMode = Field(
        default=ObjectLockMode.GOVERNANCE,
        description="Object Lock mode of the originals and handover buckets sohoa creates",
    )
    retention_days: int = Field(
        default=3650, ge=1, description="their default retention: each object version is kept"
    )


class ObservabilitySettings(BaseSettings):
    """Logging shared by every process."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_LOG_", frozen=True)

    level: str = "INFO"
    json_output: bool = Field(default=True, alias="SOHOA_LOG_JSON")


class InternalAuthSettings(BaseSettings):
    """The secret the gateway signs forwarded requests with and the services check
    (``shared.servicetoken``). Unset, the services take any request: development only."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_INTERNAL_", frozen=True)

    token_secret: SecretStr | None = Field(
        default=None, description="shared by the gateway and the services; ≥ 32 characters"
    )
    token_max_age_seconds: float = Field(default=300, gt=0)

    @field_validator("token_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError("SOHOA_INTERNAL_TOKEN_SECRET must be at least 32 characters")
        return secret


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set ``env_prefix`` to ``SOHOA_<SERVICE>_``."""

    model_config = SettingsConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    log: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    internal: InternalAuthSettings = Field(default_factory=InternalAuthSettings)


class StatefulServiceSettings(ServiceSettings):
    """A service that owns a database: SQLite file by default, PostgreSQL by URL."""

    database_url: str = "sqlite:///var/service.db"


def env_var_names(settings_cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads, nested settings included.

    The deploy files are checked against this, so a misspelt variable fails a test.
    """
    prefix = settings_cls.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, field in settings_cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            names |= env_var_names(annotation)
        elif field.alias:
            names.add(field.alias.upper())
        else:
            names.add(f"{prefix}{name}".upper())
    return names
