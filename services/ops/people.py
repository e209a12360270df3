"""The clients and people of the local stack: the ``workspace`` client (every role) with the
programme's staff under it, and a partner system ``doitac`` that only reads. Made (or given
fresh keys and passwords) each time the stack starts, and recorded in ``run/stack.json`` so
the workspace and its browser tests can sign people in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial

from services.gateway import accounts
from services.gateway.db import SqlUnitOfWork, open_database
from services.gateway.domain import EVERY_ROLE, Role
from services.gateway.identity import ClientNotFound, PersonNotFound

WORKSPACE = "workspace"
PARTNER = "doitac"
CLIENTS: dict[str, frozenset[Role]] = {
    WORKSPACE: EVERY_ROLE,
    PARTNER: frozenset({Role.PARTNER_READ}),
}
# username → (client, họ và tên, roles)
PEOPLE: dict[str, tuple[str, str, frozenset[Role]]] = {
    "luutru": (WORKSPACE, "Nguyễn Thị Lưu", frozenset({Role.ARCHIVIST})),
    "kiemtra": (WORKSPACE, "Trần Văn Kiểm", frozenset({Role.REVIEWER})),
    "pheduyet": (WORKSPACE, "Lê Văn Hân", frozenset({Role.APPROVER})),
    "quantri": (
        WORKSPACE,
        "Phạm Quản Trị",
        frozenset({Role.ADMIN, Role.ARCHIVIST, Role.REVIEWER, Role.APPROVER}),
    ),
    "doitac": (PARTNER, "Đối Tác Tỉnh", frozenset({Role.PARTNER_READ})),
}


@dataclass(frozen=True)
class StackPerson:
    client: str
    password: str
    roles: tuple[str, ...]


def provision(database_url: str) -> tuple[dict[str, str], dict[str, StackPerson]]:
    """Each stack client's new key, and each person's new password."""
    engine = open_database(database_url)
    uow = partial(SqlUnitOfWork, engine)
    keys: dict[str, str] = {}
    people: dict[str, StackPerson] = {}
    try:
        for name, roles in CLIENTS.items():
            try:
                _, keys[name] = accounts.rotate_key(uow(), name)
            except ClientNotFound:
                _, keys[name] = accounts.create_client(
                    uow(), name, roles, None, accounts.Bootstrap()
                )
        for username, (client, full_name, roles) in PEOPLE.items():
            password = secrets.token_urlsafe(12)
            try:
                accounts.set_password(uow(), client, username, password)
            except PersonNotFound:
                accounts.add_person(uow(), client, username, full_name, roles, password)
            people[username] = StackPerson(client, password, tuple(sorted(roles)))
    finally:
        engine.dispose()
    return keys, people
