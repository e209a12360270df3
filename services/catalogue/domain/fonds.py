"""Phông lưu trữ (fonds): all records of one agency, person or family, with the fonds data of
TT 05/2025 (mã phông, tên, trạng thái đóng/mở, lịch sử đơn vị hình thành phông, thời gian tài
liệu, tổng số tài liệu, phương án phân loại, ngôn ngữ, chế độ dự phòng, ghi chú)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.catalogue.domain.codes import Language
from services.catalogue.domain.errors import InvalidField
from shared.text import nfc


class FondsStatus(StrEnum):
    """*Phông đóng*: the creator was dissolved or merged; *phông mở*: it still produces records."""

    OPEN = "open"
    CLOSED = "closed"


_LIMITS = {
    "code": 50,
    "name": 500,
    "agency_code": 50,
    "history": 4000,
    "time_range": 100,
    "classification": 2000,
    "backup_regime": 500,
    "note": 2000,
}


@dataclass(frozen=True)
class Fonds:
    """A phông; ``agency_code`` (mã định danh cơ quan) is what its hồ sơ codes start with."""

    code: str
    name: str
    status: FondsStatus = FondsStatus.OPEN
    agency_code: str | None = None
    history: str | None = None
    time_range: str | None = None
    total_docs: int | None = None
    classification: str | None = None
    languages: tuple[Language, ...] = ()
    backup_regime: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if type(value) is str:
                value = " ".join(nfc(value).split()) or None
                object.__setattr__(self, name, value)
                if value is not None and len(value) > limit:
                    raise InvalidField(f"{name} dài quá {limit} ký tự", field=name)
        if not self.code or not self.name:
            raise InvalidField("phông cần có mã và tên", field="code")
        if self.total_docs is not None and self.total_docs < 0:
            raise InvalidField("tổng số tài liệu không âm", field="total_docs")

    @classmethod
    def placeholder(cls, code: str) -> Fonds:
        """A phông an inventory names before its data is entered: named by its code."""
        return cls(code=code, name=f"Phông {code}")

    def changed(self, changes: Mapping[str, object]) -> Fonds:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]  # post-init checks
