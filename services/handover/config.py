"""Settings of the handover service: environment variables ``SOHOA_HANDOVER_<FIELD>``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.config import StatefulServiceSettings, StorageSettings


class HandoverSettings(StatefulServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_HANDOVER_", frozen=True)

    port: int = 8004
    database_url: str = "sqlite:///var/handover.db"
    storage: StorageSettings = Field(default_factory=StorageSettings)
    source_organization: str = Field(
        default="Trung tâm Lưu trữ lịch sử tỉnh", description="BagIt Source-Organization"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8004",
        description="base URL the national archive downloads packages from",
    )
    download_secret: str = Field(
        default="change-me", description="HMAC key of download tokens; set it in production"
    )
    download_ttl_seconds: int = Field(default=3600, ge=60, description="life of a download URL")
    redeliver_first_seconds: float = Field(
        default=300, gt=0, description="wait before announcing an unanswered package again"
    )
    redeliver_max_seconds: float = Field(default=21600, gt=0, description="longest such wait")
    overdue_after_seconds: float = Field(
        default=172800, gt=0, description="an unanswered delivery is overdue after this"
    )
    redeliver_check_seconds: float = Field(
        default=30, gt=0, description="how often unanswered deliveries are looked at"
    )
    fixity_objects_per_minute: float = Field(
        default=30,
        ge=0,
        description="stored objects the fixity audit re-reads per minute (0: no audit); low "
        "enough never to starve the pipeline",
    )
    work_dir: str | None = Field(default=None, description="temp folder where packages are built")
    pdf_per: Literal["document", "file"] = Field(
        default="document",
        description="one PDF/A per văn bản named by docId, or one per hồ sơ named by mã hồ sơ "
        "(TT 05 Điều 8.1.d allows both)",
    )
    signing_pkcs12: str | None = Field(
        default=None,
        description="PKCS#12 file with the archive's signing key and certificate; unset: the "
        "PDF/A copies are not signed",
    )
    signing_passphrase: SecretStr | None = Field(
        default=None, description="passphrase of the PKCS#12 file"
    )
    signing_font: str = Field(
        default="/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        description="TrueType font of the visible signature (Times New Roman or its metric twin)",
    )
