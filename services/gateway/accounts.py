"""The gateway's use cases for clients and people, each a function of its arguments and a
unit of work: register, rotate, revoke; add and disable people; and the checks behind every
call: an API key, a sign-in, a token still backed by a live client and person."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from services.gateway.domain import (
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    Role,
    settings_client,
)
from services.gateway.identity import (
    Caller,
    ClientAccount,
    ClientExists,
    ClientNotFound,
    PersonAccount,
    PersonNotFound,
    PersonRef,
    TokenClaims,
    acting_roles,
    bootstrap_roles,
    client_name,
    hash_password,
    key_hash,
    new_api_key,
    new_person,
    password_matches,
    refuse_unknown_key,
)
from services.gateway.ports import UnitOfWork


@cache
def _unknown() -> str:
    """A hash no password matches, checked when the username does not exist."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Bootstrap:
    """Clients from settings (``SOHOA_GATEWAY_API_KEYS``): they keep working beside the
    database's, and their names cannot be registered again."""

    keys: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, frozenset[Role]] = field(default_factory=dict)

    def client_for_key(self, key: str) -> str | None:
        return settings_client(key, self.keys)

    def roles_of(self, name: str) -> frozenset[Role]:
        return bootstrap_roles(name, dict(self.roles))


def create_client(
    uow: UnitOfWork,
    name: str,
    roles: frozenset[Role],
    expires_at: datetime | None,
    bootstrap: Bootstrap,
) -> tuple[ClientAccount, str]:
    """A new client and its key, which is returned this once and never stored."""
    with uow:
        client_name(name)
        if name in bootstrap.keys or uow.identity.client(name) is not None:
            raise ClientExists(f"hệ thống {name} đã được đăng ký")
        key = new_api_key()
        client = ClientAccount(name, roles, key_hash(key), uow.now(), expires_at)
        uow.identity.add_client(client)
        uow.commit()
    return client, key


def _existing(uow: UnitOfWork, name: str) -> ClientAccount:
    client = uow.identity.client(name)
    if client is None:
        raise ClientNotFound(f"không có hệ thống {name}")
    return client


def rotate_key(uow: UnitOfWork, name: str) -> tuple[ClientAccount, str]:
    with uow:
        key = new_api_key()
        client = _existing(uow, name).with_key(key)
        uow.identity.save_client(client)
        uow.commit()
    return client, key


def revoke_client(uow: UnitOfWork, name: str) -> ClientAccount:
    with uow:
        client = _existing(uow, name).revoked(uow.now())
        uow.identity.save_client(client)
        uow.commit()
    return client


def get_client(uow: UnitOfWork, name: str) -> ClientAccount:
    with uow:
        return _existing(uow, name)


def list_clients(uow: UnitOfWork) -> list[ClientAccount]:
    with uow:
        return uow.identity.clients()


def add_person(
    uow: UnitOfWork,
    client: str,
    username: str,
    full_name: str,
    roles: frozenset[Role],
    password: str,
) -> PersonAccount:
    with uow:
        person = new_person(_existing(uow, client), username, full_name, roles, password, uow.now())
        uow.identity.add_person(person)
        uow.commit()
    return person


def set_password(uow: UnitOfWork, client: str, username: str, password: str) -> PersonAccount:
    """A new password for an existing person (the local stack's generated ones)."""
    with uow:
        person = _person(uow, client, username).with_password(password)
        uow.identity.save_person(person)
        uow.commit()
    return person


def _person(uow: UnitOfWork, client: str, username: str) -> PersonAccount:
    person = uow.identity.person(client, username)
    if person is None:
        raise PersonNotFound(f"không có người dùng {username} trong hệ thống {client}")
    return person


def list_people(uow: UnitOfWork, client: str) -> list[PersonAccount]:
    with uow:
        _existing(uow, client)
        return uow.identity.people(client)


def disable_person(uow: UnitOfWork, client: str, username: str) -> PersonAccount:
    with uow:
        person = _person(uow, client, username).disabled(uow.now())
        uow.identity.save_person(person)
        uow.commit()
    return person


def caller_for_key(uow: UnitOfWork, key: str, bootstrap: Bootstrap) -> Caller:
    """The client an ``X-API-Key`` belongs to, refused when unknown, revoked or expired."""
    name = bootstrap.client_for_key(key)
    if name is not None:
        return Caller(name, bootstrap.roles_of(name))
    with uow:
        client = uow.identity.client_by_key(key_hash(key))
        if client is None:
            raise refuse_unknown_key()
        client.check_usable(uow.now())
        return Caller(client.name, client.roles)


def authenticate_client(uow: UnitOfWork, name: str, secret: str, bootstrap: Bootstrap) -> Caller:
    """The token endpoint's client check: its name and its current API key."""
    known = bootstrap.keys.get(name)
    if known is not None:
        if bootstrap.client_for_key(secret) != name:
            raise InvalidClient("tên hoặc khóa của hệ thống không đúng")
        return Caller(name, bootstrap.roles_of(name))
    with uow:
        client = uow.identity.client(name)
        if client is None or not client.holds(secret):
            raise InvalidClient("tên hoặc khóa của hệ thống không đúng")
        if client.revoked_at is not None or (
            client.expires_at is not None and uow.now() >= client.expires_at
        ):
            raise InvalidClient(f"khóa của hệ thống {name} đã bị thu hồi hoặc hết hạn")
        return Caller(client.name, client.roles)


def sign_in(uow: UnitOfWork, client: Caller, username: str, password: str) -> Caller:
    """A person signing in through their client: they act with their roles ∩ the client's.
    Every refusal reads the same, so a caller cannot tell which usernames exist."""
    with uow:
        person = uow.identity.person(client.client, username)
        # A hash is checked even for a username that does not exist: as slow either way.
        matches = password_matches(password, person.password_hash if person else _unknown())
        if person is None or person.disabled_at is not None or not matches:
            raise InvalidGrant("tên đăng nhập hoặc mật khẩu không đúng")
        roles = acting_roles(person.roles, client.roles)
        return Caller(client.client, roles, PersonRef(person.username, person.full_name))


def caller_for_token(uow: UnitOfWork, claims: TokenClaims, bootstrap: Bootstrap) -> Caller:
    """A verified token's caller, still checked against its client and person, so revoking a
    client or disabling a person stops their tokens at once, and roles taken away are gone."""
    if claims.client in bootstrap.keys:
        return Caller(claims.client, claims.roles & bootstrap.roles_of(claims.client))
    with uow:
        client = uow.identity.client(claims.client)
        if client is None:
            raise InvalidToken("mã truy cập của một hệ thống không còn tồn tại")
        client.check_usable(uow.now())
        roles = claims.roles & client.roles
        if claims.person is not None:
            person = uow.identity.person(client.name, claims.person.username)
            if person is None or person.disabled_at is not None:
                raise InvalidToken(f"người dùng {claims.person.username} đã bị khóa")
            roles &= person.roles
        return Caller(client.name, roles, claims.person)
