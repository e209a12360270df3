"""Settings of the catalogue service: environment variables ``SOHOA_CATALOGUE_<FIELD>``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.config import StatefulServiceSettings


class CatalogueSettings(StatefulServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_CATALOGUE_", frozen=True)

    port: int = 8003
    database_url: str = "sqlite:///var/catalogue.db"
