"""Gateway rules: who may call, what each role may do, and the errors of the edge. No I/O."""

from __future__ import annotations

import hmac
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from shared.errors import SohoaError, TransientError


class MissingApiKey(SohoaError):
    code = "auth.missing-api-key"
    title = "Thiếu khóa API"
    http_status = 401


class InvalidApiKey(SohoaError):
    code = "auth.invalid-api-key"
    title = "Khóa API không hợp lệ"
    http_status = 401


class KeyExpired(SohoaError):
    code = "auth.key-expired"
    title = "Khóa API đã hết hạn"
    http_status = 401


class KeyRevoked(SohoaError):
    code = "auth.key-revoked"
    title = "Khóa API đã bị thu hồi"
    http_status = 401


class InvalidToken(SohoaError):
    code = "auth.invalid-token"
    title = "Mã truy cập không hợp lệ"
    http_status = 401


class TokenExpired(SohoaError):
    code = "auth.token-expired"
    title = "Mã truy cập đã hết hạn"
    http_status = 401


class OAuthError(SohoaError):
    """A refusal of the token endpoint: RFC 6749 §5.2 names it in ``error`` beside ``code``."""

    error: ClassVar[str] = "invalid_request"
    code = "auth.invalid-request"
    title = "Yêu cầu cấp mã truy cập không hợp lệ"
    http_status = 400

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail, error=self.error, **extra)


class InvalidClient(OAuthError):
    error = "invalid_client"
    code = "auth.invalid-client"
    title = "Hệ thống gọi không xác thực được"
    http_status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"
    code = "auth.invalid-grant"
    title = "Tên đăng nhập hoặc mật khẩu không đúng"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"
    code = "auth.unsupported-grant-type"
    title = "Kiểu cấp mã không được hỗ trợ"


class UpstreamUnavailable(TransientError):
    code = "gateway.upstream-unavailable"
    title = "Dịch vụ nội bộ không phản hồi"


class UpstreamTimeout(TransientError):
    code = "gateway.upstream-timeout"
    title = "Dịch vụ nội bộ trả lời quá chậm"
    http_status = 504


class RateLimited(SohoaError):
    code = "gateway.rate-limited"
    title = "Quá nhiều yêu cầu, xin thử lại sau"
    http_status = 429


class BodyTooLarge(SohoaError):
    code = "gateway.body-too-large"
    title = "Nội dung yêu cầu quá lớn"
    http_status = 413


@dataclass
class TokenBucket:
    """``rate`` calls a second on average, ``burst`` at once; refilled as time passes."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Take one call: 0 if allowed now, else the seconds until it would be."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """One bucket per client (per gateway replica: N replicas allow N times the rate)."""

    per_minute: float
    burst: float
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def check(self, client: str, now: float) -> None:
        if self.per_minute <= 0:
            return
        bucket = self.buckets.get(client)
        if bucket is None:
            bucket = self.buckets[client] = TokenBucket(
                self.per_minute / 60, self.burst, self.burst, now
            )
        wait = bucket.wait(now)
        if wait > 0:
            raise RateLimited(
                f"quá {self.per_minute:g} yêu cầu mỗi phút", retry_after_seconds=math.ceil(wait)
            )


def settings_client(presented: str, keys: Mapping[str, str]) -> str | None:
    """The bootstrap client (``SOHOA_GATEWAY_API_KEYS``) a key belongs to, if any; every key
    is compared in constant time."""
    client = None
    for name, key in keys.items():
        if hmac.compare_digest(presented.encode(), key.encode()):
            client = name
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
# listed is a read, open to every role, and so is a change in ANY_ROLE; any other method must
# be listed (a test walks every route, so a new one without a role fails the build).
OPERATIONS: Mapping[tuple[str, str], Role] = {
    ("POST", "/inventory-imports"): Role.ARCHIVIST,
    ("POST", "/files"): Role.ARCHIVIST,
    ("PATCH", "/files/{file_code}"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/selection"): Role.ARCHIVIST,
    ("POST", "/selection-decisions"): Role.APPROVER,
    ("POST", "/files/{file_code}/arrangement"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/pages"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/batches/{batch_id}/close"): Role.ARCHIVIST,
    ("PUT", "/files/{file_code}/documents/{ordinal}"): Role.ARCHIVIST,
    ("DELETE", "/files/{file_code}/documents/{ordinal}"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/documents/{ordinal}/split"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/documents/{ordinal}/merge"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/suggestions"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/documents/{ordinal}/confirmation"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/description"): Role.ARCHIVIST,
    ("POST", "/files/{file_code}/verification"): Role.REVIEWER,
    ("POST", "/files/{file_code}/rescan-requests"): Role.REVIEWER,
    ("POST", "/files/{file_code}/accept"): Role.APPROVER,
    ("POST", "/acceptances"): Role.APPROVER,
    ("PUT", "/fonds/{code}"): Role.ARCHIVIST,
    ("GET", "/packages/{package_id}/download"): Role.NATIONAL_ARCHIVE,
    ("GET", "/deliveries"): Role.APPROVER,  # names restricted hồ sơ too: not a partner read
    ("GET", "/admin/dead-letters"): Role.ADMIN,
    ("POST", "/admin/dead-letters/replay"): Role.ADMIN,
    ("GET", "/admin/audit"): Role.ADMIN,
    ("POST", "/clients"): Role.ADMIN,
    ("GET", "/clients"): Role.ADMIN,
    ("GET", "/clients/{name}"): Role.ADMIN,
    ("POST", "/clients/{name}/key"): Role.ADMIN,
    ("DELETE", "/clients/{name}"): Role.ADMIN,
    ("POST", "/clients/{name}/people"): Role.ADMIN,
    ("GET", "/clients/{name}/people"): Role.ADMIN,
    ("DELETE", "/clients/{name}/people/{username}"): Role.ADMIN,
}
SELF_AUTHENTICATED = frozenset({("POST", "/oauth/token")})
"""Operations that check credentials of their own (the OAuth2 token endpoint takes the
client's name and key in the body or HTTP Basic): no role, no X-API-Key."""
ANY_CALLER = frozenset({("GET", "/me")})
"""Operations any authenticated caller may make, even one holding no role."""
ANY_ROLE = frozenset({("POST", "/webhooks"), ("DELETE", "/webhooks/{id}")})
"""Changes any role may make, as it may read: a client's own webhook subscriptions, which
announce only the hồ sơ its roles may see."""


class UnlistedOperation(LookupError):
    """A route that changes something but has no role in :data:`OPERATIONS`: a bug."""


def required_role(method: str, path: str) -> Role | None:
    """The role ``method path`` needs; ``None`` for a read any role may make."""
    role = OPERATIONS.get((method, path))
    if role is None and method != "GET" and (method, path) not in SELF_AUTHENTICATED | ANY_ROLE:
        raise UnlistedOperation(f"{method} {path} has no role in OPERATIONS")
    return role


def public_only(roles: frozenset[Role]) -> bool:
    """A partner system that only reads sees only hồ sơ open to it (chế độ sử dụng 01);
    restricted ones are absent for it, as if they did not exist."""
    return roles <= {Role.PARTNER_READ}


def authorize(roles: frozenset[Role], method: str, path: str) -> None:
    """Refuse with ``auth.forbidden`` naming the role that is missing."""
    if (method, path) in ANY_CALLER:
        return
    needed = required_role(method, path)
    if needed is None:
        if not roles:
            raise Forbidden("khách này chưa được cấp vai trò nào", required_role=None)
        return
    if needed not in roles:
        raise Forbidden(f"cần vai trò {needed.value}", required_role=needed.value)


@dataclass(frozen=True)
class AuditEntry:
    """One call to the public API, as the nhật ký truy cập keeps it (append-only)."""

    at: datetime
    method: str
    operation: str  # the route under /api/v1, e.g. /files/{file_code}; the path if none matched
    status: int
    correlation_id: str
    client: str | None = None  # None: the caller was not authenticated
    person: str | None = None  # the acting person's name (a token's, or X-Acting-Person)
    username: str | None = None  # set when a person's token proved who acts
    file_code: str | None = None  # the mã hồ sơ the path names
    restricted: bool | None = None  # chế độ sử dụng 02/03 (or none recorded); None: unknown
    id: int | None = None
    # The mã hồ sơ the answering service touched (a search's hits, a list, a body's codes),
    # the first MAX_REPORTED of them; records_count is how many there were.
    records: tuple[str, ...] = ()
    records_count: int = 0

    @property
    def touched(self) -> tuple[str, ...]:
        """Every mã hồ sơ the entry names: the path's and the service's, each once."""
        path = (self.file_code,) if self.file_code is not None else ()
        return tuple(dict.fromkeys((*path, *self.records)))


def restricted_of(modes: Iterable[bool | None], *, complete: bool = True) -> bool | None:
    """An entry touched something restricted when any of its hồ sơ is; it is open only when
    each is known open and none was left unnamed (``complete``); otherwise not known."""
    known = list(modes)
    if any(mode is True for mode in known):
        return True
    if not known or not complete or any(mode is None for mode in known):
        return None
    return False


@dataclass(frozen=True)
class AuditFilter:
    client: str | None = None
    person: str | None = None  # a name or a username
    file_code: str | None = None  # in the path or among the records touched
    since: datetime | None = None
    until: datetime | None = None


def restricted_mode(mode: object) -> bool:
    """Chế độ sử dụng other than ``01`` (công khai) restricts; one not recorded counts as
    restricted too, as the catalogue counts it."""
    return mode != "01"
