"""Who calls the API: client systems (hệ thống đối tác, cơ quan, the workspace) with their
API keys, and the people (lưu trữ viên, người kiểm tra, người phê duyệt …) acting through
them. Pure rules, no I/O: key checks, expiry and revocation, passwords, role intersection.

A client's key is shown once, when it is made; only its SHA-256 is kept, so a stolen
database holds no usable key. A person's password is kept as a salted scrypt hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import unquote

from services.gateway.domain import (
    EVERY_ROLE,
    InvalidApiKey,
    KeyExpired,
    KeyRevoked,
    Role,
)
from shared.errors import Conflict, NotFound, PermanentError
from shared.text import nfc

KEY_PREFIX = "sohoa_"
CLIENT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,49}")
USERNAME = re.compile(r"[a-z0-9._-]{2,50}")
MAX_FULL_NAME = 200
MIN_PASSWORD = 8
# scrypt: 16 MiB and ~50 ms a check on one core; stored with its parameters so they can grow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class InvalidName(PermanentError):
    code = "gateway.invalid-name"
    title = "Tên không hợp lệ"
    http_status = 422


class RolesNotHeld(PermanentError):
    """A person may hold only roles their client holds."""

    code = "gateway.roles-not-held"
    title = "Vai trò vượt quá vai trò của hệ thống"
    http_status = 422


class ClientExists(Conflict):
    code = "gateway.client-exists"
    title = "Hệ thống đã được đăng ký"


class PersonExists(Conflict):
    code = "gateway.person-exists"
    title = "Tên đăng nhập đã có trong hệ thống này"


class ClientNotFound(NotFound):
    code = "gateway.client-not-found"
    title = "Không có hệ thống này"


class PersonNotFound(NotFound):
    code = "gateway.person-not-found"
    title = "Không có người dùng này"


def client_name(raw: str) -> str:
    if not CLIENT_NAME.fullmatch(raw):
        raise InvalidName(f"tên hệ thống {raw!r}: chữ thường, số, '-', 2–50 ký tự")
    return raw


def username(raw: str) -> str:
    if not USERNAME.fullmatch(raw):
        raise InvalidName(f"tên đăng nhập {raw!r}: chữ thường, số, '.', '_', '-', 2–50 ký tự")
    return raw


def full_name(raw: str) -> str:
    name = " ".join(nfc(raw).split())
    if not name or len(name) > MAX_FULL_NAME:
        raise InvalidName(f"họ tên: 1–{MAX_FULL_NAME} ký tự")
    return name


def new_api_key() -> str:
    """A fresh key, recognisable in a log or a leaked file by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What is stored of a key: a key has 256 random bits, so a plain SHA-256 suffices."""
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidName(f"mật khẩu tối thiểu {MIN_PASSWORD} ký tự")
    return password


@dataclass(frozen=True)
class ClientAccount:
    """A client system: a partner system, an agency, or sohoa's own workspace."""

    name: str
    roles: frozenset[Role]
    key_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def check_usable(self, now: datetime) -> None:
        """Refuse a revoked or expired client with the code that says which."""
        if self.revoked_at is not None:
            raise KeyRevoked(f"khóa của hệ thống {self.name} đã bị thu hồi")
        if self.expires_at is not None and now >= self.expires_at:
            raise KeyExpired(f"khóa của hệ thống {self.name} hết hạn {self.expires_at:%Y-%m-%d}")

    def holds(self, key: str) -> bool:
        return hmac.compare_digest(key_hash(key), self.key_hash)

    def with_key(self, key: str) -> ClientAccount:
        """Rotated: only the new key works from now on."""
        return replace(self, key_hash=key_hash(key))

    def revoked(self, now: datetime) -> ClientAccount:
        return self if self.revoked_at is not None else replace(self, revoked_at=now)


@dataclass(frozen=True)
class PersonAccount:
    """A person (lưu trữ viên, người kiểm tra …) who signs in through a client."""

    client: str
    username: str
    full_name: str
    roles: frozenset[Role]
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None

    def with_password(self, password: str) -> PersonAccount:
        return replace(self, password_hash=hash_password(checked_password(password)))

    def disabled(self, now: datetime) -> PersonAccount:
        return self if self.disabled_at is not None else replace(self, disabled_at=now)


def new_person(
    client: ClientAccount,
    name: str,
    display_name: str,
    roles: frozenset[Role],
    password: str,
    now: datetime,
) -> PersonAccount:
    """A person under ``client``; their roles must be among the client's."""
    extra = roles - client.roles
    if extra:
        raise RolesNotHeld(
            f"hệ thống {client.name} không có vai trò {', '.join(sorted(extra))}",
            roles=sorted(extra),
        )
    return PersonAccount(
        client=client.name,
        username=username(name),
        full_name=full_name(display_name),
        roles=roles,
        password_hash=hash_password(checked_password(password)),
        created_at=now,
    )


@dataclass(frozen=True)
class PersonRef:
    """The person a call is made by, as the token names them."""

    username: str
    full_name: str


@dataclass(frozen=True)
class Caller:
    """Who a call comes from, once authenticated: the client, the person when a token names
    one, and the roles the call may use (a person's ∩ their client's)."""

    client: str
    roles: frozenset[Role]
    person: PersonRef | None = None


def person_name(raw: str | None) -> str | None:
    """The acting person's name as ``X-Acting-Person`` sends it: UTF-8 or percent-encoded,
    made NFC."""
    if not raw:
        return None
    return nfc(unquote(raw.encode("latin-1").decode("utf-8", "replace"))).strip() or None


def acting_roles(person: frozenset[Role], client: frozenset[Role]) -> frozenset[Role]:
    """A person acts with the roles they hold and their client holds too: a client whose
    roles shrank takes its people's with it."""
    return person & client


def bootstrap_roles(name: str, listed: dict[str, frozenset[Role]]) -> frozenset[Role]:
    """A settings client's roles; one not listed holds every role (the local stack's key)."""
    return listed.get(name, EVERY_ROLE)


def refuse_unknown_key() -> InvalidApiKey:
    return InvalidApiKey("khóa API không đúng")


CLIENT_TOKEN_SECONDS = 900
PERSON_TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class TokenClaims:
    """What an access token says (as JWT claims: sub, roles, person, iat, exp, jti)."""

    client: str
    roles: frozenset[Role]
    issued_at: int
    expires_at: int
    token_id: str
    person: PersonRef | None = None

    @property
    def lifetime(self) -> int:
        return self.expires_at - self.issued_at


def claims_for(caller: Caller, now: int) -> TokenClaims:
    """A client's token lives 15 minutes; a person's an hour (a working session)."""
    lifetime = PERSON_TOKEN_SECONDS if caller.person is not None else CLIENT_TOKEN_SECONDS
    return TokenClaims(
        client=caller.client,
        roles=caller.roles,
        issued_at=now,
        expires_at=now + lifetime,
        token_id=secrets.token_urlsafe(16),
        person=caller.person,
    )
