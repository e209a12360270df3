"""Decisions recorded on their own, beside the hồ sơ they concern: the approving decision of a
selection list (quyết định phê duyệt danh mục), the acceptance (biên bản nghiệm thu) and each
signed kiểm tra. Each is evidence; none changes once written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.errors import InvalidField
from services.catalogue.domain.findings import Finding, Waiver
from services.catalogue.domain.model import AcceptanceRef, Actor, ApprovalRef


@dataclass(frozen=True)
class SelectionDecision:
    """The decision that approves a list of selected hồ sơ for digitizing."""

    decision_id: UUID
    number: str
    date: PartialDate
    signer: str
    file_codes: tuple[str, ...]
    actor: Actor
    at: datetime

    def __post_init__(self) -> None:
        if not self.number.strip() or not self.signer.strip():
            raise InvalidField("quyết định cần có số và người ký", field="number")
        if self.date.day is None:
            raise InvalidField("ngày ký quyết định phải đủ ngày, tháng, năm", field="date")
        if not self.file_codes:
            raise InvalidField("quyết định phải có danh sách hồ sơ", field="file_codes")
        if len(set(self.file_codes)) != len(self.file_codes):
            raise InvalidField("danh sách hồ sơ có mã trùng", field="file_codes")

    def same_as(self, other: SelectionDecision) -> bool:
        """The same decision recorded again (a retried request), whoever sent it."""
        return (self.number, self.date, self.signer, sorted(self.file_codes)) == (
            other.number,
            other.date,
            other.signer,
            sorted(other.file_codes),
        )

    def approval(self) -> ApprovalRef:
        return ApprovalRef(self.decision_id, self.number, self.date, self.signer)


@dataclass(frozen=True)
class Acceptance:
    """A biên bản nghiệm thu: who accepted which batch of hồ sơ, in which role, when."""

    acceptance_id: UUID
    minutes_number: str | None
    role: str | None
    file_codes: tuple[str, ...]
    actor: Actor
    at: datetime

    def ref(self) -> AcceptanceRef:
        return AcceptanceRef(
            self.acceptance_id, self.minutes_number, self.role, self.actor, self.at, self.file_codes
        )


@dataclass(frozen=True)
class VerificationRun:
    """One kiểm tra of a hồ sơ: its findings and whether it was signed off."""

    verification_id: UUID
    file_code: str
    passed: bool
    findings: tuple[Finding, ...]
    waivers: tuple[Waiver, ...]
    actor: Actor
    at: datetime
