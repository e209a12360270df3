"""Settings of the reference receiver: environment variables ``SOHOA_RECEIVER_<FIELD>``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class ReceiverSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_RECEIVER_", frozen=True)

    port: int = 8006
    name: str = Field(default="reference-receiver", description="who signs the receipts")
    inbox_dir: str = Field(
        default="var/receiver", description="where received packages are kept, by package id"
    )
    trusted_certificates: list[str] = Field(
        default_factory=list,
        description="PEM/DER certificates whose PAdES signatures on the PDF/A copies are trusted; "
        "empty: signatures are checked for integrity only",
    )
    require_signatures: bool = Field(
        default=False, description="refuse a package whose PDF/A copies are not signed"
    )
