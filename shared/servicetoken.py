"""The gateway's signature on what it forwards, so an internal service takes requests only
from the gateway, and the client, person and audience it names travel signed, not as bare
headers anyone on the network could set.

A token is ``v1.<unix time>.<hex HMAC-SHA256>`` over the method, the path and the signed
headers, with a secret the gateway and the services share; it is good for a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from shared.errors import SohoaError

HEADER = "x-sohoa-service-token"
SIGNED_HEADERS = ("x-sohoa-actor", "x-sohoa-person", "x-sohoa-audience")
VERSION = "v1"


class NotFromGateway(SohoaError):
    code = "auth.not-from-gateway"
    title = "Yêu cầu không đến từ cổng API"
    http_status = 401


def _mac(secret: str, issued: int, method: str, path: str, headers: Mapping[str, str]) -> str:
    signed = "\n".join(
        [str(issued), method.upper(), path, *(headers.get(h, "") for h in SIGNED_HEADERS)]
    )
    return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, method: str, path: str, headers: Mapping[str, str], now: float) -> str:
    issued = int(now)
    return f"{VERSION}.{issued}.{_mac(secret, issued, method, path, headers)}"


def verify(
    secret: str,
    token: str | None,
    method: str,
    path: str,
    headers: Mapping[str, str],
    now: float,
    max_age: float,
) -> None:
    """Raise :class:`NotFromGateway` unless ``token`` signs exactly this request, recently."""
    if not token:
        raise NotFromGateway("thiếu chữ ký của cổng API")
    version, _, rest = token.partition(".")
    issued_text, _, mac = rest.partition(".")
    if version != VERSION or not issued_text.isdigit():
        raise NotFromGateway("chữ ký của cổng API không đúng dạng")
    issued = int(issued_text)
    if abs(now - issued) > max_age:
        raise NotFromGateway("chữ ký của cổng API đã hết hạn")
    if not hmac.compare_digest(mac, _mac(secret, issued, method, path, headers)):
        raise NotFromGateway("chữ ký của cổng API không khớp yêu cầu")
