"""OAuth2 access tokens as signed JWTs (RFC 7519, HS256), with a key id in the header so
signing keys rotate: the first key of ``SOHOA_GATEWAY_TOKEN_KEYS`` signs, every one verifies.
PyJWT does the encoding and the checks of signature, expiry and issuer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from services.gateway.domain import InvalidToken, Role, TokenExpired
from services.gateway.identity import PersonRef, TokenClaims

ALGORITHM = "HS256"
LEEWAY_SECONDS = 5  # clocks of replicas drift a little


class TokenSigner:
    def __init__(self, keys: Mapping[str, str], issuer: str) -> None:
        if not keys:
            raise ValueError("at least one token signing key is needed")
        self._keys = dict(keys)
        self._kid = next(iter(self._keys))
        self._issuer = issuer

    def issue(self, claims: TokenClaims) -> str:
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "sub": claims.client,
            "roles": sorted(role.value for role in claims.roles),
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.token_id,
        }
        if claims.person is not None:
            payload["person"] = {
                "username": claims.person.username,
                "full_name": claims.person.full_name,
            }
        return jwt.encode(
            payload, self._keys[self._kid], algorithm=ALGORITHM, headers={"kid": self._kid}
        )

    def verify(self, token: str, now: float) -> TokenClaims:
        """The claims of a token this gateway signed and that has not expired at ``now``."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self._keys.get(kid) if isinstance(kid, str) else None
            if secret is None:
                raise InvalidToken("mã truy cập ký bằng khóa không biết")
            payload = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "iat", "exp", "jti"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken("mã truy cập không hợp lệ") from exc
        expires = int(payload["exp"])
        if now >= expires + LEEWAY_SECONDS:  # checked here, against the caller's clock
            raise TokenExpired("mã truy cập đã hết hạn, xin cấp mã mới")
        return _claims(payload)


def _claims(payload: Mapping[str, Any]) -> TokenClaims:
    try:
        roles = frozenset(Role(role) for role in payload.get("roles", []))
        person = payload.get("person")
        return TokenClaims(
            client=str(payload["sub"]),
            roles=roles,
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
            token_id=str(payload["jti"]),
            person=(
                PersonRef(str(person["username"]), str(person["full_name"]))
                if isinstance(person, dict)
                else None
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("mã truy cập thiếu thông tin") from exc
