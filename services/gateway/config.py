"""Settings of the gateway: environment variables ``SOHOA_GATEWAY_<FIELD>``."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.gateway.domain import Role
from shared.backoff import RetryPolicy
from shared.config import ServiceSettings

MIN_KEY_LENGTH = 24
MIN_TOKEN_KEY_LENGTH = 32  # HS256 wants a key as long as its hash
MIN_PROBE_TOKEN_LENGTH = 32


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_GATEWAY_", frozen=True)

    port: int = 8000
    database_url: str = Field(
        default="sqlite:///var/gateway.db", description="clients and people (and the audit log)"
    )
    token_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='JSON object key id → secret signing access tokens, e.g. {"2026-12": "…"}; '
        "the first signs, every one verifies (rotation). Empty: a key made at start-up, so "
        "tokens die with the process (development only)",
    )
    token_issuer: str = "sohoa-gateway"  # noqa: S105  # the JWT iss claim, not a secret
    api_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='JSON object client name → API key, e.g. {"vpubnd": "…"}; keys ≥ 24 characters',
    )
    client_roles: dict[str, frozenset[Role]] = Field(
        default_factory=dict,
        description='JSON object client name → roles, e.g. {"tinh": ["partner_read"]}; a client '
        "not listed holds every role (the local stack's one key)",
    )
    ingest_url: str = "http://127.0.0.1:8001"
    catalogue_url: str = "http://127.0.0.1:8003"
    handover_url: str = "http://127.0.0.1:8004"
    upstream_timeout_seconds: float = Field(default=120, gt=0)
    rate_limit_per_minute: float = Field(
        default=600, ge=0, description="calls a client may make a minute on average; 0: no limit"
    )
    rate_limit_burst: float = Field(default=60, ge=1, description="calls a client may make at once")
    max_json_bytes: int = Field(default=1024 * 1024, ge=1, description="largest JSON body")
    audit_batch: int = Field(default=500, ge=1, description="audit entries a transaction at most")
    audit_linger_seconds: float = Field(
        default=0.2, ge=0, description="how long the audit writer gathers entries for one write"
    )
    audit_queue: int = Field(
        default=10_000, ge=1, description="entries waiting to be written before calls wait"
    )
    audit_mode_cache_seconds: float = Field(
        default=300, ge=0, description="how long a hồ sơ's chế độ sử dụng is remembered"
    )
    webhook_attempts: int = Field(
        default=10, ge=1, description="tries of a webhook delivery before it is failed"
    )
    webhook_first_backoff_seconds: float = Field(
        default=10, gt=0, description="wait after a webhook delivery's first failed try; doubles"
    )
    webhook_max_backoff_seconds: float = Field(
        default=3600, gt=0, description="longest wait between two tries of a webhook delivery"
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, description="how long a partner's receiver has to answer one delivery"
    )
    webhook_poll_seconds: float = Field(
        default=1, gt=0, description="how often the gateway looks for webhook deliveries due"
    )
    webhook_delivery_retention_days: float = Field(
        default=30,
        gt=0,
        description="how long delivered and silenced webhook deliveries stay listed before "
        "they are removed (failed and pending ones stay)",
    )
    webhook_private_destinations: bool = Field(
        default=False,
        description="deliver to loopback, private and link-local addresses too (a local stack); "
        "off, a partner cannot make the gateway call inside its own network",
    )
    probe_token: SecretStr | None = Field(
        default=None,
        description="operators' bearer token for /ready and /metrics (probes, Prometheus); "
        "≥ 32 characters; unset, they answer 401 to everyone (/health stays open)",
    )

    def webhook_policy(self) -> RetryPolicy:
        """How often and how patiently a webhook delivery is tried."""
        return RetryPolicy(
            self.webhook_attempts,
            self.webhook_first_backoff_seconds,
            self.webhook_max_backoff_seconds,
        )

    @field_validator("probe_token")
    @classmethod
    def _long_probe_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < MIN_PROBE_TOKEN_LENGTH:
            raise ValueError(f"probe token must be ≥ {MIN_PROBE_TOKEN_LENGTH} characters")
        return token

    @field_validator("api_keys")
    @classmethod
    def _refuse_weak_keys(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for client, key in keys.items():
            secret = key.get_secret_value()
            if len(secret) < MIN_KEY_LENGTH or secret.lower() in {"changeme", "secret"}:
                raise ValueError(
                    f"API key of {client!r} is too weak (≥ {MIN_KEY_LENGTH} characters)"
                )
        return keys

    @field_validator("token_keys")
    @classmethod
    def _refuse_weak_token_keys(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for kid, key in keys.items():
            if len(key.get_secret_value()) < MIN_TOKEN_KEY_LENGTH:
                raise ValueError(
                    f"token key {kid!r} is too weak (≥ {MIN_TOKEN_KEY_LENGTH} characters)"
                )
        return keys
