"""Settings of the ingest service: environment variables ``SOHOA_INGEST_<FIELD>``."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from services.ingest.domain import ScanPolicy
from shared.config import StatefulServiceSettings, StorageSettings


class ScanRules(BaseModel):
    """The scanning rules of a fonds (TT 05/2025 §5.1) and which of them only warn."""

    min_dpi: int = Field(default=200, ge=1)
    min_bits: int = Field(default=24, ge=1)
    paper: str = Field(default="A4", pattern="^A[2-5]$", description="when a scan has no dpi")
    warn_only: list[str] = Field(
        default_factory=lambda: ["colour-depth"],
        description="rules that warn instead of refusing: resolution, colour-depth. By default "
        "a greyscale scan is taken with a warning (black-and-white administrative pages are "
        "often scanned so; §5.2 thresholds are project defaults)",
    )
    max_pixels: int = Field(default=7016 * 9921, ge=1, description="A3 at 600 dpi")

    def policy(self) -> ScanPolicy:
        return ScanPolicy(
            min_dpi=self.min_dpi,
            min_bits=self.min_bits,
            paper=self.paper,
            warn_only=frozenset(self.warn_only),
            max_pixels=self.max_pixels,
        )


class IngestSettings(StatefulServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_INGEST_", frozen=True)

    port: int = 8001
    database_url: str = "sqlite:///var/ingest.db"
    storage: StorageSettings = Field(default_factory=StorageSettings)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1, description="per page scan")
    max_parts: int = Field(default=500, ge=1, description="page scans in one multipart upload")
    max_request_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024,
        ge=1,
        description="the page scans of one multipart upload together: spooled to disk first, "
        "and answered once all are stored, within the gateway's upstream timeout",
    )
    spool_dir: str | None = Field(default=None, description="temp folder for uploads in flight")
    rules: ScanRules = Field(default_factory=ScanRules, description="for every fonds not listed")
    fonds_rules: dict[str, ScanRules] = Field(
        default_factory=dict,
        description="per fonds: the key is the fonds' leading part of the mã hồ sơ",
    )

    def policy_for(self, file_code: str) -> ScanPolicy:
        """The rules of the fonds whose code starts the file code (the longest such), or the
        default ones."""
        matches = [f for f in self.fonds_rules if file_code == f or file_code.startswith(f + ".")]
        rules = self.fonds_rules[max(matches, key=len)] if matches else self.rules
        return rules.policy()
