"""Kiểm tra findings: what a check found, how much it matters, and the waivers that let a
reviewer sign off in spite of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.catalogue.domain.errors import InvalidField


class Severity(StrEnum):
    """``error`` blocks ``verified`` unless waived; ``warning`` asks a person to look;
    ``info`` records what the pipeline corrected by itself."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One result of one check (``check`` is its stable code), about a page, a văn bản, an
    element, or the hồ sơ as a whole."""

    check: str
    severity: Severity
    detail: str
    page: int | None = None
    document: int | None = None
    element: str | None = None
    rescan: bool = False  # the finding is best answered by quét lại of ``page``

    def as_json(self, *, waived: bool = False) -> dict[str, object]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "detail": self.detail,
            "page": self.page,
            "document": self.document,
            "field": self.element,
            "rescan": self.rescan,
            "waived": waived,
        }


@dataclass(frozen=True)
class Waiver:
    """A reviewer's reason to accept every finding of one check (miễn trừ)."""

    check: str
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise InvalidField(f"miễn trừ '{self.check}' cần có lý do", field="waivers")
