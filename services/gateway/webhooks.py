"""Webhooks for partner systems: a client subscribes a URL to hồ sơ state changes and the
gateway POSTs each change to it, signed, retried with backoff, every attempt listed. Pure
rules, no I/O: who hears of which change, the signature, the schedule of retries.

A restricted hồ sơ (chế độ sử dụng 02/03, or none recorded) is never announced to a
subscription whose roles only read public records (``partner_read``), as the API hides it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from services.gateway.domain import Role, public_only
from shared.backoff import RetryPolicy
from shared.errors import Conflict, NotFound, PermanentError
from shared.events import FileStateChanged

SECRET_PREFIX = "whsec_"  # noqa: S105  # the prefix of generated secrets, not a secret
SIGNATURE_VERSION = "v1"
MAX_URL_LENGTH = 2000
MAX_SUBSCRIPTIONS = 20  # active ones per client: each state change fans out to every one


class BadWebhookUrl(PermanentError):
    code = "webhooks.bad-url"
    title = "Địa chỉ nhận webhook không hợp lệ"
    http_status = 422


class WebhookNotFound(NotFound):
    code = "webhooks.not-found"
    title = "Không có đăng ký webhook này"


class TooManyWebhooks(Conflict):
    code = "webhooks.too-many"
    title = "Hệ thống đã có đủ số đăng ký webhook cho phép"


class WebhookEvent(StrEnum):
    """What a subscription may ask to hear of (one kind today)."""

    FILE_STATE_CHANGED = "file-state-changed"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt refused or unanswered: given up, still listed


def webhook_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials in it (a secret in a URL ends
    up in logs); anything else is ``webhooks.bad-url``."""
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise BadWebhookUrl("địa chỉ quá dài hoặc có khoảng trắng")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a port out of range or not a number
    except ValueError as exc:
        raise BadWebhookUrl(f"không đọc được địa chỉ: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise BadWebhookUrl("địa chỉ phải bắt đầu bằng http:// hoặc https://")
    if not host:
        raise BadWebhookUrl("địa chỉ thiếu tên máy chủ")
    if parts.username is not None or parts.password is not None:
        raise BadWebhookUrl("không đặt tên đăng nhập hay mật khẩu trong địa chỉ")
    return url


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``Sohoa-Webhook-Signature``: HMAC-SHA256 of ``"<timestamp>.<body>"`` with the
    subscription's secret, hex, versioned so the scheme can change without ambiguity."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signature_matches(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver checks (in constant time); shown in the README, tested as a partner."""
    return hmac.compare_digest(sign(secret, timestamp, body), header)


@dataclass(frozen=True)
class Subscription:
    """One URL of a client that hears of hồ sơ state changes (đăng ký nhận thông báo).
    ``roles`` are those the caller held when subscribing: a person acting through a client
    subscribes with their own roles, never the client's wider ones."""

    id: UUID
    client: str
    url: str
    secret: str
    events: frozenset[WebhookEvent]
    roles: frozenset[Role]
    created_at: datetime
    active: bool = True

    @classmethod
    def new(
        cls,
        client: str,
        roles: frozenset[Role],
        url: str,
        events: frozenset[WebhookEvent],
        now: datetime,
    ) -> Subscription:
        return cls(
            id=uuid4(),
            client=client,
            url=webhook_url(url),
            secret=SECRET_PREFIX + secrets.token_urlsafe(32),
            events=events or frozenset(WebhookEvent),
            roles=roles,
            created_at=now,
        )

    def seen_by(self, client: str, roles: frozenset[Role]) -> bool:
        """Whether a caller may see it: of the caller's client, and made with no role the
        caller lacks — a person who reads like a partner never sees (nor cancels) what a
        colleague subscribed with wider roles, nor the restricted hồ sơ it was told of."""
        return self.active and self.client == client and self.roles <= roles

    def owned_by(self, client: str, roles: frozenset[Role]) -> Subscription:
        """Itself for a caller who may see it; for anyone else it does not exist."""
        if not self.seen_by(client, roles):
            raise WebhookNotFound(f"không có đăng ký webhook {self.id}")
        return self

    def cancelled(self) -> Subscription:
        return replace(self, active=False)

    def still_heard(self, client_roles: frozenset[Role]) -> bool:
        """Whether a delivery made for it may still go: the subscription is active and its
        client holds roles as wide as when it was made (one narrowed to partner reads may
        not hear of a restricted hồ sơ it heard of before, and the delivery does not say)."""
        roles = self.roles & client_roles
        return self.active and bool(roles) and (public_only(self.roles) or not public_only(roles))

    def hears(self, change: FileStateChanged, client_roles: frozenset[Role]) -> bool:
        """Whether this change is announced here: a real change of state (not the scanning
        gate moving in place), to a subscription still active, of a client that still holds
        a role, and a restricted hồ sơ only to roles that may see restricted records."""
        roles = self.roles & client_roles  # roles taken from the client since are gone
        if not self.active or not roles or WebhookEvent.FILE_STATE_CHANGED not in self.events:
            return False
        if change.from_state == change.to_state:
            return False
        return change.public or not public_only(roles)

    def delivery_for(
        self, change: FileStateChanged, event_id: str, client_roles: frozenset[Role], now: datetime
    ) -> Delivery | None:
        """The delivery of ``change`` to this URL, due now; ``None`` if it does not hear it."""
        if not self.hears(change, client_roles):
            return None
        return Delivery(
            subscription=self.id,
            event_id=event_id,
            file_code=change.file_code,
            body=payload(change, event_id),
            next_attempt_at=now,
            created_at=now,
        )


def payload(change: FileStateChanged, event_id: str) -> str:
    """The JSON a receiver gets: ``id`` is the event's CloudEvents id, the same on every
    attempt and for every subscription, so a receiver can drop a repeat."""
    return json.dumps(
        {
            "type": WebhookEvent.FILE_STATE_CHANGED.value,
            "id": event_id,
            "file_code": change.file_code,
            "from_state": change.from_state,
            "to_state": change.to_state,
            "at": change.at.isoformat().replace("+00:00", "Z"),
            "version": change.version,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class Delivery:
    """One change on its way to one subscription (lần gửi thông báo), and how it went."""

    subscription: UUID
    event_id: str
    file_code: str
    body: str
    next_attempt_at: datetime | None
    created_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    id: int | None = None

    def silenced(self, reason: str) -> Delivery:
        """Given up without an attempt: its subscription was cancelled, or its client no longer
        holds the roles it was made with (revoked, expired, stripped)."""
        return replace(self, state=DeliveryState.FAILED, next_attempt_at=None, last_error=reason)

    def attempted(
        self, status: int | None, error: str | None, now: datetime, policy: RetryPolicy
    ) -> Delivery:
        """The outcome of one attempt: 2xx delivers; otherwise the next attempt after the
        policy's backoff, or ``failed`` once the attempts are spent."""
        attempts = self.attempts + 1
        done = replace(self, attempts=attempts, last_status=status, last_error=error)
        if status is not None and 200 <= status < 300:
            return replace(
                done,
                state=DeliveryState.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_error=None,
            )
        if attempts >= policy.max_attempts:
            return replace(done, state=DeliveryState.FAILED, next_attempt_at=None)
        return replace(done, next_attempt_at=now + timedelta(seconds=policy.backoff(attempts)))
