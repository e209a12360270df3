"""``sohoa clients create|list|rotate|revoke|add-person``: the gateway's clients and people,
written straight into its database (``SOHOA_GATEWAY_DATABASE_URL``), JSON on stdout. A key
is printed once, when made; a person's password is read from stdin, never an argument."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from functools import partial
from typing import Any

from services.gateway import accounts
from services.gateway.clients import ClientView, PersonView
from services.gateway.config import GatewaySettings
from services.gateway.db import SqlUnitOfWork, open_database
from services.gateway.domain import Role
from shared.errors import SohoaError


def _roles(text: str) -> frozenset[Role]:
    try:
        return frozenset(Role(part.strip()) for part in text.split(",") if part.strip())
    except ValueError as exc:
        known = ", ".join(role.value for role in Role)
        raise argparse.ArgumentTypeError(f"roles are among {known}") from exc


def _day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a date YYYY-MM-DD") from exc


def _json(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


def _with_key(client: Any, key: str) -> dict[str, Any]:
    return {"client": ClientView.of(client).model_dump(mode="json"), "api_key": key}


def run(args: argparse.Namespace) -> int:
    settings = GatewaySettings()
    engine = open_database(settings.database_url)
    uow = partial(SqlUnitOfWork, engine)
    bootstrap = accounts.Bootstrap(
        {name: key.get_secret_value() for name, key in settings.api_keys.items()}
    )
    try:
        match args.clients_command:
            case "create":
                client, key = accounts.create_client(
                    uow(), args.name, args.roles, args.expires, bootstrap
                )
                _json(_with_key(client, key))
            case "list":
                listed = accounts.list_clients(uow())
                _json({"clients": [ClientView.of(c).model_dump(mode="json") for c in listed]})
            case "rotate":
                _json(_with_key(*accounts.rotate_key(uow(), args.name)))
            case "revoke":
                _json(
                    {
                        "client": ClientView.of(
                            accounts.revoke_client(uow(), args.name)
                        ).model_dump(mode="json")
                    }
                )
            case "add-person":
                password = sys.stdin.readline().rstrip("\r\n")
                person = accounts.add_person(
                    uow(), args.client, args.username, args.name, args.roles, password
                )
                _json({"person": PersonView.of(person).model_dump(mode="json")})
    except SohoaError as exc:
        print(
            json.dumps({"code": exc.code, "detail": str(exc)}, ensure_ascii=False), file=sys.stderr
        )
        return 1
    finally:
        engine.dispose()
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clients = commands.add_parser(
        "clients", help="client systems and their people, in the gateway's database"
    )
    clients.set_defaults(run=run)
    actions = clients.add_subparsers(dest="clients_command", required=True)
    create = actions.add_parser("create", help="register a client; prints its key once")
    create.add_argument("name", help="[a-z0-9][a-z0-9-]{1,49}")
    create.add_argument("--roles", type=_roles, required=True, help="e.g. partner_read,archivist")
    create.add_argument("--expires", type=_day, default=None, help="YYYY-MM-DD (UTC)")
    actions.add_parser("list", help="every registered client")
    for name, help_text in (
        ("rotate", "a new key; the old one stops working"),
        ("revoke", "the client's key and tokens stop working"),
    ):
        actions.add_parser(name, help=help_text).add_argument("name")
    person = actions.add_parser(
        "add-person", help="a person signing in through CLIENT (password on stdin)"
    )
    person.add_argument("client")
    person.add_argument("username", help="[a-z0-9._-]{2,50}")
    person.add_argument("--name", required=True, help="họ và tên, e.g. 'Nguyễn Thị Lưu'")
    person.add_argument("--roles", type=_roles, required=True, help="among the client's roles")
