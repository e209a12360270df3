"""Settings of the ingest service: environment variables ``SOHOA_INGEST_<FIELD>``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import StatefulServiceSettings, StorageSettings


class IngestSettings(StatefulServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_INGEST_", frozen=True)

    port: int = 8001
    database_url: str = "sqlite:///var/ingest.db"
    storage: StorageSettings = Field(default_factory=StorageSettings)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1, description="per page scan")
    spool_dir: str | None = Field(default=None, description="temp folder for uploads in flight")
