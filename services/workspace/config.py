"""Settings of the workspace: environment variables ``SOHOA_WORKSPACE_<FIELD>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config import ObservabilitySettings


class WorkspaceSettings(BaseSettings):
    """Neither Kafka nor the internal services' signing secret: the workspace reaches sohoa
    only through the gateway, with each person's own token."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_WORKSPACE_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8010
    log: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    gateway_url: str = "http://127.0.0.1:8000"
    client_id: str = Field(default="workspace", description="the workspace's client at the gateway")
    client_secret: SecretStr | None = Field(
        default=None, description="its API key; people sign in with it (OAuth2 password grant)"
    )
    cookie_secure: bool = Field(
        default=True, description="session cookie only over HTTPS (browsers also allow localhost)"
    )
    session_minutes: float = Field(
        default=480, gt=0, description="a session ends this long after sign-in at the latest"
    )
    max_sessions: int = Field(default=10_000, ge=1, description="sessions held in memory at once")
    upstream_timeout_seconds: float = Field(default=120, gt=0)
    spool_dir: Path | None = Field(
        default=None, description="where uploads wait between the dry run and the real import"
    )
