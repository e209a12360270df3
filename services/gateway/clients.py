"""Managing who may call (``/api/v1/clients``, role ``admin``): client systems with their API
keys, shown once at creation or rotation, and the people who sign in through them. Answered by
the gateway itself, from its own database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, field_validator

from services.gateway import accounts
from services.gateway.api import PROBLEMS
from services.gateway.callers import Authorized, Identity, run_use_case
from services.gateway.domain import Role
from services.gateway.identity import CLIENT_NAME, USERNAME, ClientAccount, PersonAccount

router = APIRouter(prefix="/api/v1/clients", tags=["clients"], responses=PROBLEMS)
ClientName = Annotated[str, Path(pattern=CLIENT_NAME.pattern, description="tên hệ thống")]
Username = Annotated[str, Path(pattern=USERNAME.pattern, description="tên đăng nhập")]


class ClientView(BaseModel):
    name: str = Field(examples=["stttt-travinh"])
    roles: list[Role]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: ClientAccount) -> ClientView:
        return cls(
            name=client.name,
            roles=sorted(client.roles),
            created_at=client.created_at,
            expires_at=client.expires_at,
            revoked_at=client.revoked_at,
        )


class ClientWithKey(BaseModel):
    client: ClientView
    api_key: str = Field(description="shown this once; only its SHA-256 is kept")


class ClientList(BaseModel):
    clients: list[ClientView]


class NewClient(BaseModel):
    name: str = Field(pattern=CLIENT_NAME.pattern, examples=["stttt-travinh"])
    roles: list[Role] = Field(examples=[["partner_read"]])
    expires_at: datetime | None = Field(
        default=None, description="ISO 8601; a date alone means its midnight UTC"
    )

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment


class PersonView(BaseModel):
    username: str = Field(examples=["luutru"])
    full_name: str = Field(examples=["Nguyễn Thị Lưu"])
    roles: list[Role]
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, person: PersonAccount) -> PersonView:
        return cls(
            username=person.username,
            full_name=person.full_name,
            roles=sorted(person.roles),
            created_at=person.created_at,
            disabled_at=person.disabled_at,
        )


class PersonCreated(BaseModel):
    person: PersonView


class PeopleList(BaseModel):
    people: list[PersonView]


class NewPerson(BaseModel):
    username: str = Field(pattern=USERNAME.pattern, examples=["luutru"])
    full_name: str = Field(min_length=1, max_length=200, examples=["Nguyễn Thị Lưu"])
    roles: list[Role] = Field(examples=[["archivist"]])
    password: str = Field(min_length=8, max_length=200)


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


_run = run_use_case


@router.post(
    "", status_code=201, response_model=ClientWithKey, summary="Register a client; its key once"
)
async def create_client(request: Request, body: NewClient, caller: Authorized) -> ClientWithKey:
    bootstrap = _identity(request).bootstrap
    client, key = await _run(
        request,
        accounts.create_client,
        body.name,
        frozenset(body.roles),
        body.expires_at,
        bootstrap,
    )
    return ClientWithKey(client=ClientView.of(client), api_key=key)


@router.get("", response_model=ClientList, summary="Every registered client")
async def list_clients(request: Request, caller: Authorized) -> ClientList:
    clients = await _run(request, accounts.list_clients)
    return ClientList(clients=[ClientView.of(c) for c in clients])


@router.get("/{name}", response_model=ClientView, summary="One client")
async def get_client(request: Request, name: ClientName, caller: Authorized) -> ClientView:
    return ClientView.of(await _run(request, accounts.get_client, name))


@router.post(
    "/{name}/key", response_model=ClientWithKey, summary="A new key; the old one stops working"
)
async def rotate_key(request: Request, name: ClientName, caller: Authorized) -> ClientWithKey:
    client, key = await _run(request, accounts.rotate_key, name)
    return ClientWithKey(client=ClientView.of(client), api_key=key)


@router.delete("/{name}", status_code=204, summary="Revoke a client: its key and tokens answer 401")
async def revoke_client(request: Request, name: ClientName, caller: Authorized) -> Response:
    await _run(request, accounts.revoke_client, name)
    return Response(status_code=204)


@router.post(
    "/{name}/people",
    status_code=201,
    response_model=PersonCreated,
    summary="Add a person who signs in through the client (roles among the client's)",
)
async def add_person(
    request: Request, name: ClientName, body: NewPerson, caller: Authorized
) -> PersonCreated:
    person = await _run(
        request,
        accounts.add_person,
        name,
        body.username,
        body.full_name,
        frozenset(body.roles),
        body.password,
    )
    return PersonCreated(person=PersonView.of(person))


@router.get("/{name}/people", response_model=PeopleList, summary="The client's people")
async def list_people(request: Request, name: ClientName, caller: Authorized) -> PeopleList:
    people = await _run(request, accounts.list_people, name)
    return PeopleList(people=[PersonView.of(p) for p in people])


@router.delete(
    "/{name}/people/{username}", status_code=204, summary="Disable a person: sign-in refused"
)
async def disable_person(
    request: Request, name: ClientName, username: Username, caller: Authorized
) -> Response:
    await _run(request, accounts.disable_person, name, username)
    return Response(status_code=204)
