"""Settings of the catalogue service: environment variables ``SOHOA_CATALOGUE_<FIELD>``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import StatefulServiceSettings, StorageSettings


class CatalogueSettings(StatefulServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_CATALOGUE_", frozen=True)

    port: int = 8003
    database_url: str = "sqlite:///var/catalogue.db"
    storage: StorageSettings = Field(
        default_factory=StorageSettings, description="the derivatives biên mục tự động reads"
    )
    organization: str = Field(
        default="Trung tâm Lưu trữ lịch sử tỉnh", description="who signs the yearly report"
    )
    max_import_bytes: int = Field(default=50 * 1024 * 1024, ge=1, description="largest inventory")
    spool_dir: str | None = Field(default=None, description="temp folder for uploads and exports")
    min_dpi: float = Field(default=200, gt=0, description="kiểm tra: least effective dpi")
    min_confidence: float = Field(default=60, ge=0, le=100, description="kiểm tra: OCR legibility")
    duplicate_distance: int = Field(default=4, ge=0, le=64, description="kiểm tra: pHash distance")
    plan_digitization: tuple[int, int] = Field(default=(2026, 2033), description="kế hoạch số hóa")
    plan_handover: tuple[int, int] = Field(default=(2028, 2034), description="kế hoạch bàn giao")
    sweep_seconds: float = Field(
        default=60, gt=0, description="how often the reconciliation sweeps run"
    )
    unread_page_seconds: float = Field(
        default=1800,
        gt=0,
        description="a page stored this long ago and still unread is asked for again, then "
        "after twice as long each time (at most 32 times as long) until OCR answers",
    )
    unpackaged_seconds: float = Field(
        default=1800,
        gt=0,
        description="an accepted hồ sơ whose file-accepted went out this long ago without a "
        "package coming back has it sent again",
    )
