"""Settings of the OCR workers: environment variables ``SOHOA_OCR_<FIELD>``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings, StorageSettings


class OcrSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_OCR_", frozen=True)

    port: int = 8002
    storage: StorageSettings = Field(default_factory=StorageSettings)
    languages: str = Field(
        default="vie", description="tesseract language data, e.g. vie or vie+eng"
    )
    processes: int = Field(default=1, ge=1, description="OCR processes in this worker's pool")
    page_timeout_seconds: float = Field(default=300, gt=0)
    tesseract_threads: int = Field(default=1, ge=1, description="OMP_THREAD_LIMIT per process")
