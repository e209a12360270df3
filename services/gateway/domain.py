"""Gateway rules: who may call, what each role may do, and the errors of the edge. No I/O."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import StrEnum

from shared.errors import SohoaError, TransientError


class MissingApiKey(SohoaError):
    code = "auth.missing-api-key"
    title = "Thiếu khóa API"
    http_status = 401


class InvalidApiKey(SohoaError):
    code = "auth.invalid-api-key"
    title = "Khóa API không hợp lệ"
    http_status = 401


class UpstreamUnavailable(TransientError):
    code = "gateway.upstream-unavailable"
    title = "Dịch vụ nội bộ không phản hồi"


def authenticate(presented: str | None, keys: Mapping[str, str]) -> str:
    """The client name a key belongs to; every key is compared in constant time."""
    if not presented:
        raise MissingApiKey("gửi khóa API trong header X-API-Key")
    client = None
    for name, key in keys.items():
        if hmac.compare_digest(presented.encode(), key.encode()):
            client = name
    if client is None:
        raise InvalidApiKey("khóa API không đúng hoặc đã bị thu hồi")
    return client


class Forbidden(SohoaError):
    code = "auth.forbidden"
    title = "Không có quyền thực hiện thao tác này"
    http_status = 403


class Role(StrEnum):
    """What a client (a partner system, or the people acting through it) may do."""

    PARTNER_READ = "partner_read"  # read metadata, search, reports
    ARCHIVIST = "archivist"  # mục lục, upload, biên mục
    REVIEWER = "reviewer"  # kiểm tra sign-off, re-scan requests
    APPROVER = "approver"  # selection decisions, nghiệm thu
    NATIONAL_ARCHIVE = "national_archive"  # receipts of handover packages
    ADMIN = "admin"  # clients, dead letters


EVERY_ROLE = frozenset(Role)

# The one role → operation matrix: (method, path under /api/v1) → the role it needs. A GET not
# listed is a read, open to every role; any other method must be listed (a test walks every
# route, so a new one without a role fails the build).
OPERATIONS: Mapping[tuple[str, str], Role] = {
    ("POST", "/inventory-imports"): Role.ARCHIVIST,
    ("POST", "/files"): Role.ARCHIVIST,
    ("PATCH", "/files/{file_code}"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/selection"): Role.ARCHIVIST,
    ("POST", "/selection-decisions"): Role.APPROVER,
    ("POST", "/files/{file_code}/arrangement"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/pages"): Role.ARCHIVIST,
    ("PUT", "/files/{file_code}/documents/{ordinal}"): Role.ARCHIVIST,
    ("DELETE", "/files/{file_code}/documents/{ordinal}"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/suggestions"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/documents/{ordinal}/confirmation"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/description"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/verification"): Role.REVIEWER,
    ("POST", "/files/{file_code}/rescan-requests"): Role.REVIEWER,
    ("POST", "/files/{file_code}/accept"): Role.APPROVER,
    ("POST", "/acceptances"): Role.APPROVER,
    ("PUT", "/fonds/{code}"): Role.ARCHIVIST,
    ("GET", "/admin/dead-letters"): Role.ADMIN,
    ("POST", "/admin/dead-letters/replay"): Role.ADMIN,
}


class UnlistedOperation(LookupError):
    """A route that changes something but has no role in :data:`OPERATIONS`: a bug."""


def required_role(method: str, path: str) -> Role | None:
    """The role ``method path`` needs; ``None`` for a read any role may make."""
    role = OPERATIONS.get((method, path))
    if role is None and method != "GET":
        raise UnlistedOperation(f"{method} {path} has no role in OPERATIONS")
    return role


def public_only(roles: frozenset[Role]) -> bool:
    """A partner system that only reads sees only hồ sơ open to it (chế độ sử dụng 01);
    restricted ones are absent for it, as if they did not exist."""
    return roles <= {Role.PARTNER_READ}


def authorize(roles: frozenset[Role], method: str, path: str) -> None:
    """Refuse with ``auth.forbidden`` naming the role that is missing."""
    needed = required_role(method, path)
    if needed is None:
        if not roles:
            raise Forbidden("khách này chưa được cấp vai trò nào", required_role=None)
        return
    if needed not in roles:
        raise Forbidden(f"cần vai trò {needed.value}", required_role=needed.value)
