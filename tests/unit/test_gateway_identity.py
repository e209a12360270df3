"""Clients, people and access tokens as pure rules, over an in-memory unit of work: keys are
kept only as hashes, rotate and revoke; expiry is the clock's; a person acts with their roles
∩ their client's; a token stops working with its client or person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway import accounts
from services.gateway.domain import (
    InvalidApiKey,
    InvalidClient,
    InvalidGrant,
    InvalidToken,
    KeyExpired,
    KeyRevoked,
    Role,
    TokenExpired,
)
from services.gateway.identity import (
    CLIENT_NAME,
    USERNAME,
    Caller,
    ClientAccount,
    ClientExists,
    InvalidName,
    PersonExists,
    PersonRef,
    RolesNotHeld,
    claims_for,
    client_name,
    hash_password,
    key_hash,
    password_matches,
    username,
)
from services.gateway.ports import UnitOfWork
from services.gateway.tokens import TokenSigner
from tests.support.gateway import FakeIdentity

pytestmark = pytest.mark.unit
START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
ARCHIVE = frozenset({Role.ARCHIVIST, Role.REVIEWER})
SIGNING = "k" * 32


class FakeUnitOfWork(UnitOfWork):
    """Commits copy the pending state over the committed one; a rollback drops it."""

    def __init__(self) -> None:
        self.committed = FakeIdentity()
        self.pending = self.identity = FakeIdentity()
        self.clock = START

    def __enter__(self) -> FakeUnitOfWork:
        self.pending = self.identity = FakeIdentity(
            dict(self.committed.clients_by_name), dict(self.committed.people_by_key)
        )
        return self

    def commit(self) -> None:
        self.committed = self.pending

    def rollback(self) -> None:
        self.identity = self.committed

    def now(self) -> datetime:
        return self.clock


BOOT = accounts.Bootstrap({"stack": "s" * 32}, {})


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def test_a_new_client_key_is_shown_once_and_kept_only_as_its_hash(uow: FakeUnitOfWork) -> None:
    client, key = accounts.create_client(uow, "stttt-travinh", ARCHIVE, None, BOOT)
    assert key.startswith("sohoa_")
    assert len(key) > 40
    stored = uow.committed.clients_by_name["stttt-travinh"]
    assert stored == client
    assert stored.key_hash == key_hash(key) != key
    assert key not in repr(stored)
    assert accounts.caller_for_key(uow, key, BOOT) == Caller("stttt-travinh", ARCHIVE)
    with pytest.raises(InvalidApiKey):
        accounts.caller_for_key(uow, key + "x", BOOT)


def test_names_taken_by_the_database_or_by_settings_are_refused(uow: FakeUnitOfWork) -> None:
    accounts.create_client(uow, "tinh", ARCHIVE, None, BOOT)
    with pytest.raises(ClientExists):
        accounts.create_client(uow, "tinh", ARCHIVE, None, BOOT)
    with pytest.raises(ClientExists):
        accounts.create_client(uow, "stack", ARCHIVE, None, BOOT)
    with pytest.raises(InvalidName):
        accounts.create_client(uow, "Tỉnh", ARCHIVE, None, BOOT)
    assert [c.name for c in accounts.list_clients(uow)] == ["tinh"]


def test_a_rotated_key_replaces_the_old_one(uow: FakeUnitOfWork) -> None:
    _, old = accounts.create_client(uow, "tinh", ARCHIVE, None, BOOT)
    _, new = accounts.rotate_key(uow, "tinh")
    assert accounts.caller_for_key(uow, new, BOOT).client == "tinh"
    with pytest.raises(InvalidApiKey):
        accounts.caller_for_key(uow, old, BOOT)


def test_a_revoked_or_expired_key_says_which(uow: FakeUnitOfWork) -> None:
    _, revoked = accounts.create_client(uow, "cu", ARCHIVE, None, BOOT)
    accounts.revoke_client(uow, "cu")
    with pytest.raises(KeyRevoked):
        accounts.caller_for_key(uow, revoked, BOOT)

    _, expiring = accounts.create_client(uow, "tam", ARCHIVE, START + timedelta(days=1), BOOT)
    assert accounts.caller_for_key(uow, expiring, BOOT).client == "tam"
    uow.clock = START + timedelta(days=1)
    with pytest.raises(KeyExpired):
        accounts.caller_for_key(uow, expiring, BOOT)
    with pytest.raises(InvalidClient):  # nor may it get a token
        accounts.authenticate_client(uow, "tam", expiring, BOOT)


def test_settings_keys_keep_working_with_their_listed_roles_or_every_role() -> None:
    boot = accounts.Bootstrap(
        {"stack": "s" * 32, "tinh": "t" * 32}, {"tinh": frozenset({Role.PARTNER_READ})}
    )
    uow = FakeUnitOfWork()
    assert accounts.caller_for_key(uow, "s" * 32, boot).roles == frozenset(Role)
    assert accounts.caller_for_key(uow, "t" * 32, boot).roles == {Role.PARTNER_READ}
    assert accounts.authenticate_client(uow, "tinh", "t" * 32, boot).client == "tinh"
    with pytest.raises(InvalidClient):
        accounts.authenticate_client(uow, "tinh", "s" * 32, boot)  # another client's key


def test_a_person_signs_in_with_their_roles_that_the_client_holds_too(
    uow: FakeUnitOfWork,
) -> None:
    _, key = accounts.create_client(uow, "workspace", ARCHIVE, None, BOOT)
    with pytest.raises(RolesNotHeld):
        accounts.add_person(
            uow, "workspace", "pheduyet", "Lê Văn Hân", frozenset({Role.APPROVER}), "x" * 8
        )
    added = accounts.add_person(
        uow,
        "workspace",
        "luutru",
        "Nguye\u0302\u0303n  Thị Lưu",
        frozenset({Role.ARCHIVIST}),
        "mat-khau-1",
    )
    assert added.full_name == "Nguyễn Thị Lưu"  # NFC, one space
    assert "mat-khau-1" not in added.password_hash
    with pytest.raises(PersonExists):
        accounts.add_person(
            uow, "workspace", "luutru", "Ai Đó", frozenset({Role.ARCHIVIST}), "x" * 8
        )

    client = accounts.authenticate_client(uow, "workspace", key, BOOT)
    person = accounts.sign_in(uow, client, "luutru", "mat-khau-1")
    assert person == Caller(
        "workspace", frozenset({Role.ARCHIVIST}), PersonRef("luutru", "Nguyễn Thị Lưu")
    )

    refusals = []
    for name, password in (("luutru", "sai-mat-khau"), ("khong-co", "mat-khau-1")):
        with pytest.raises(InvalidGrant) as refused:
            accounts.sign_in(uow, client, name, password)
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1]  # no telling which usernames exist
    accounts.disable_person(uow, "workspace", "luutru")
    with pytest.raises(InvalidGrant):
        accounts.sign_in(uow, client, "luutru", "mat-khau-1")


def test_a_token_stops_with_its_client_or_person_and_loses_roles_taken_away(
    uow: FakeUnitOfWork,
) -> None:
    accounts.create_client(uow, "workspace", ARCHIVE, None, BOOT)
    accounts.add_person(uow, "workspace", "luutru", "Nguyễn Thị Lưu", ARCHIVE, "mat-khau-1")
    person = Caller("workspace", ARCHIVE, PersonRef("luutru", "Nguyễn Thị Lưu"))
    claims = claims_for(person, 1_000)
    assert accounts.caller_for_token(uow, claims, BOOT) == person

    client = uow.committed.clients_by_name["workspace"]
    uow.committed.clients_by_name["workspace"] = ClientAccount(
        client.name, frozenset({Role.ARCHIVIST}), client.key_hash, client.created_at
    )
    assert accounts.caller_for_token(uow, claims, BOOT).roles == {Role.ARCHIVIST}

    accounts.disable_person(uow, "workspace", "luutru")
    with pytest.raises(InvalidToken):
        accounts.caller_for_token(uow, claims, BOOT)
    accounts.revoke_client(uow, "workspace")
    with pytest.raises(KeyRevoked):
        accounts.caller_for_token(uow, claims_for(Caller("workspace", ARCHIVE), 1_000), BOOT)


def test_tokens_verify_under_every_signing_key_and_expire() -> None:
    caller = Caller("workspace", ARCHIVE, PersonRef("luutru", "Nguyễn Thị Lưu"))
    old = TokenSigner({"2026-11": SIGNING}, "sohoa-gateway")
    token = old.issue(claims_for(caller, 1_000))
    rotated = TokenSigner({"2026-12": "n" * 32, "2026-11": SIGNING}, "sohoa-gateway")
    claims = rotated.verify(token, 1_100)
    assert (claims.client, claims.roles, claims.person) == (caller.client, ARCHIVE, caller.person)
    assert claims.lifetime == 3600
    assert claims_for(Caller("workspace", ARCHIVE), 0).lifetime == 900

    with pytest.raises(TokenExpired):
        rotated.verify(token, 1_000 + 3600 + 60)
    with pytest.raises(InvalidToken):  # its key retired
        TokenSigner({"2026-12": "n" * 32}, "sohoa-gateway").verify(token, 1_100)
    with pytest.raises(InvalidToken):  # same kid, another secret
        TokenSigner({"2026-11": "z" * 32}, "sohoa-gateway").verify(token, 1_100)
    with pytest.raises(InvalidToken):
        TokenSigner({"2026-11": SIGNING}, "another-issuer").verify(token, 1_100)
    head, body, signature = token.split(".")
    with pytest.raises(InvalidToken):
        rotated.verify(f"{head}.{body}x.{signature}", 1_100)
    with pytest.raises(InvalidToken):
        rotated.verify("not a token", 1_100)


def test_a_password_hash_matches_its_password_only() -> None:
    stored = hash_password("mật khẩu dài")
    assert password_matches("mật khẩu dài", stored)
    assert not password_matches("mật khẩu dai", stored)
    assert not password_matches("mật khẩu dài", "plain")
    assert hash_password("x" * 8) != hash_password("x" * 8)  # salted


@given(st.text(max_size=60))
def test_client_names_and_usernames_are_taken_exactly_when_they_match(raw: str) -> None:
    for check, pattern in ((client_name, CLIENT_NAME), (username, USERNAME)):
        try:
            assert check(raw) == raw
        except InvalidName:
            assert not pattern.fullmatch(raw)
        else:
            assert pattern.fullmatch(raw)
