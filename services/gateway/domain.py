"""Gateway rules: who may call, and the errors of the edge. No I/O here."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

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
