"""Webhook rules without I/O: a partner verifies the signature as the README shows; the
backoff schedule doubles, is capped and gives up; a URL is http(s) or refused; who hears of
which change (restricted hồ sơ never to a partner reader, the scanning gate never, a client
that lost its roles never); another client's subscription does not exist for a caller. The
use cases over an in-memory unit of work: subscribing, announcing once, claiming what is due."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from services.gateway import subscriptions
from services.gateway.accounts import Bootstrap
from services.gateway.deliveries import (
    REFUSED_DESTINATION,
    Address,
    DeliveryWorker,
    DestinationRefused,
    destination,
    pinned,
    resolve,
)
from services.gateway.domain import EVERY_ROLE, Role
from services.gateway.identity import Caller, ClientAccount, key_hash
from services.gateway.ports import UnitOfWork
from services.gateway.webhooks import (
    MAX_SUBSCRIPTIONS,
    BadWebhookUrl,
    Delivery,
    DeliveryState,
    Subscription,
    TooManyWebhooks,
    WebhookEvent,
    WebhookNotFound,
    sign,
    signature_matches,
    webhook_url,
)
from shared.backoff import RetryPolicy
from shared.events import FileStateChanged
from tests.support.gateway import FakeIdentity, state_change

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
EVERY_EVENT = frozenset(WebhookEvent)
PARTNER = frozenset({Role.PARTNER_READ})
STAFF = frozenset({Role.PARTNER_READ, Role.ARCHIVIST})


def _change(
    *, public: bool, from_state: str = "described", to_state: str = "verified"
) -> FileStateChanged:
    return state_change(
        "H49.64.33.2024.01.VP",
        public=public,
        at=NOW,
        from_state=from_state,
        to_state=to_state,
        version=7,
    )


def _subscription(roles: frozenset[Role] = PARTNER) -> Subscription:
    return Subscription.new("tinh", roles, "https://doitac.example/hook", EVERY_EVENT, NOW)


def test_a_partner_verifies_the_signature_with_nothing_but_hmac() -> None:
    """What a receiver in any language does: HMAC-SHA256 over "<timestamp>.<body>"."""
    secret, timestamp, body = "whsec_abc", 1_764_748_800, b'{"id":"e1"}'
    header = sign(secret, timestamp, body)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert header == "v1=" + expected.hexdigest()
    assert signature_matches(secret, timestamp, body, header)
    assert not signature_matches("whsec_other", timestamp, body, header)
    assert not signature_matches(secret, timestamp + 1, body, header)  # a replayed timestamp
    assert not signature_matches(secret, timestamp, body + b" ", header)


def test_the_backoff_doubles_from_the_first_wait_up_to_its_cap_then_gives_up() -> None:
    policy = RetryPolicy(max_attempts=5, first_backoff=10, max_backoff=60)
    delivery = _subscription().delivery_for(_change(public=True), "e1", PARTNER, NOW)
    assert delivery is not None
    waits = []
    moment = NOW
    for _ in range(4):
        delivery = delivery.attempted(500, "HTTP 500", moment, policy)
        assert delivery.state is DeliveryState.PENDING
        assert delivery.next_attempt_at is not None
        waits.append((delivery.next_attempt_at - moment).total_seconds())
        moment = delivery.next_attempt_at
    assert waits == [10, 20, 40, 60]
    failed = delivery.attempted(None, "ConnectError", moment, policy)
    assert (failed.state, failed.attempts, failed.next_attempt_at) == (
        DeliveryState.FAILED,
        5,
        None,
    )
    assert (failed.last_status, failed.last_error) == (None, "ConnectError")


def test_a_2xx_delivers_and_clears_the_last_error() -> None:
    policy = RetryPolicy(max_attempts=3, first_backoff=10, max_backoff=60)
    delivery = _subscription().delivery_for(_change(public=True), "e1", PARTNER, NOW)
    assert delivery is not None
    refused = delivery.attempted(503, "HTTP 503", NOW, policy)
    later = NOW + timedelta(seconds=10)
    done = refused.attempted(204, None, later, policy)
    assert (done.state, done.attempts, done.delivered_at, done.next_attempt_at) == (
        DeliveryState.DELIVERED,
        2,
        later,
        None,
    )
    assert (done.last_status, done.last_error) == (204, None)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://doitac.example/hook",
        "file:///etc/passwd",
        "doitac.example/hook",
        "https://",
        "https://user:pass@doitac.example/hook",
        "https://doitac.example:99999/hook",
        "https://doitac .example/hook",
        "javascript:alert(1)",
        "https://doitac.example/" + "a" * 2000,
    ],
)
def test_only_an_http_url_with_a_host_is_taken(url: str) -> None:
    with pytest.raises(BadWebhookUrl) as refused:
        Subscription.new("tinh", PARTNER, url, EVERY_EVENT, NOW)
    assert (refused.value.code, refused.value.http_status) == ("webhooks.bad-url", 422)


def test_http_and_https_urls_are_kept_as_given() -> None:
    for url in ("http://127.0.0.1:8080/hook", "https://doitac.example/sohoa?k=1"):
        assert webhook_url(url) == url


def test_a_new_subscription_gets_a_fresh_secret_and_every_event_by_default() -> None:
    first = Subscription.new("tinh", PARTNER, "https://a.example/", frozenset(), NOW)
    second = Subscription.new("tinh", PARTNER, "https://a.example/", frozenset(), NOW)
    assert first.secret.startswith("whsec_")
    assert len(first.secret) > 40
    assert (first.secret, first.id) != (second.secret, second.id)
    assert first.secret != second.secret
    assert first.events == EVERY_EVENT


def test_a_restricted_hồ_sơ_is_announced_only_to_roles_that_may_see_it() -> None:
    restricted, public = _change(public=False), _change(public=True)
    partner, staff = _subscription(PARTNER), _subscription(STAFF)
    assert partner.hears(public, PARTNER)
    assert not partner.hears(restricted, PARTNER)
    assert staff.hears(restricted, STAFF)
    # The subscriber's roles count, not the client's wider ones (a person acting through it)
    assert not partner.hears(restricted, STAFF)
    # … and roles taken from the client since are gone: staff fallen back to partner_read
    assert not staff.hears(restricted, PARTNER)
    # A client that lost every role (revoked, expired) hears nothing at all
    assert not staff.hears(public, frozenset())


def test_a_field_missing_from_an_older_event_never_opens_a_record() -> None:
    body = _change(public=True).model_dump(mode="json")
    del body["public"]
    older = FileStateChanged.model_validate(body)
    assert older.public is False
    assert not _subscription(PARTNER).hears(older, PARTNER)


def test_only_a_real_change_of_state_is_announced_and_never_after_cancelling() -> None:
    subscription = _subscription(STAFF)
    gate = _change(public=True, from_state="approved", to_state="approved")
    assert not subscription.hears(gate, STAFF)  # chỉnh lý confirmed: the gate moved in place
    assert subscription.delivery_for(gate, "e2", STAFF, NOW) is None
    assert not subscription.cancelled().hears(_change(public=True), STAFF)


def test_the_delivery_body_is_what_the_partner_is_promised() -> None:
    delivery = _subscription().delivery_for(_change(public=True), "ce-1", PARTNER, NOW)
    assert isinstance(delivery, Delivery)
    assert json.loads(delivery.body) == {
        "type": "file-state-changed",
        "id": "ce-1",
        "file_code": "H49.64.33.2024.01.VP",
        "from_state": "described",
        "to_state": "verified",
        "at": "2026-12-03T08:00:00Z",
        "version": 7,
    }
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryState.PENDING,
        0,
        NOW,
    )


def test_another_clients_subscription_does_not_exist_for_the_caller() -> None:
    subscription = _subscription()
    assert subscription.owned_by("tinh", PARTNER) is subscription
    with pytest.raises(WebhookNotFound) as missing:
        subscription.owned_by("huyen", PARTNER)
    assert (missing.value.code, missing.value.http_status) == ("webhooks.not-found", 404)
    with pytest.raises(WebhookNotFound):
        subscription.cancelled().owned_by("tinh", PARTNER)


def test_a_partner_reader_never_sees_what_a_colleague_subscribed_with_wider_roles() -> None:
    uow = FakeUnitOfWork()
    staff = Caller("workspace", frozenset({Role.ARCHIVIST, Role.PARTNER_READ}))
    reader = Caller("workspace", PARTNER)  # another person through the same client
    wide = subscriptions.subscribe(uow, staff, "https://a.example/", frozenset())
    narrow = subscriptions.subscribe(uow, reader, "https://b.example/", frozenset())
    assert subscriptions.list_subscriptions(uow, reader) == [narrow]
    assert subscriptions.list_subscriptions(uow, staff) == [wide, narrow]
    with pytest.raises(WebhookNotFound):
        subscriptions.list_deliveries(uow, reader, wide.id, before=10, limit=10)
    with pytest.raises(WebhookNotFound):
        subscriptions.unsubscribe(uow, reader, wide.id)


@dataclass
class FakeWebhooks:
    subscriptions_by_id: dict[UUID, Subscription] = field(default_factory=dict)
    deliveries_by_id: dict[int, Delivery] = field(default_factory=dict)

    def subscription(self, subscription_id: UUID) -> Subscription | None:
        return self.subscriptions_by_id.get(subscription_id)

    def subscriptions(self, client: str) -> list[Subscription]:
        return [s for s in self.active() if s.client == client]

    def active(self) -> list[Subscription]:
        return [s for s in self.subscriptions_by_id.values() if s.active]

    def add_subscription(self, subscription: Subscription) -> None:
        self.subscriptions_by_id[subscription.id] = subscription

    def save_subscription(self, subscription: Subscription) -> None:
        self.subscriptions_by_id[subscription.id] = subscription

    def add_delivery(self, delivery: Delivery) -> None:
        if any(
            (d.subscription, d.event_id) == (delivery.subscription, delivery.event_id)
            for d in self.deliveries_by_id.values()
        ):
            return
        number = len(self.deliveries_by_id) + 1
        self.deliveries_by_id[number] = replace(delivery, id=number)

    def deliveries(self, subscription_id: UUID, *, before: int, limit: int) -> list[Delivery]:
        mine = [
            d
            for n, d in sorted(self.deliveries_by_id.items(), reverse=True)
            if d.subscription == subscription_id and n < before
        ]
        return mine[:limit]

    def claim_due(self, now: datetime, until: datetime, limit: int) -> list[Delivery]:
        due = [
            d
            for d in self.deliveries_by_id.values()
            if d.state is DeliveryState.PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at <= now
            and self.subscriptions_by_id[d.subscription].active
        ][:limit]
        for d in due:
            assert d.id is not None
            self.deliveries_by_id[d.id] = replace(d, next_attempt_at=until)
        return due

    def save_delivery(self, delivery: Delivery) -> None:
        assert delivery.id is not None
        self.deliveries_by_id[delivery.id] = delivery

    def prune_deliveries(self, before: datetime, silenced: str) -> int:
        done = [
            n
            for n, d in self.deliveries_by_id.items()
            if d.created_at < before
            and (
                d.state is DeliveryState.DELIVERED
                or (d.state is DeliveryState.FAILED and d.last_error == silenced)
            )
        ]
        for n in done:
            del self.deliveries_by_id[n]
        return len(done)


class FakeUnitOfWork(UnitOfWork):
    """One shared state; enough for use cases that commit once (a rollback is not tested)."""

    identity: FakeIdentity
    webhooks: FakeWebhooks

    def __init__(self) -> None:
        self.identity = FakeIdentity()
        self.webhooks = FakeWebhooks()
        self.clock = NOW
        self.commits = 0

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass

    def now(self) -> datetime:
        return self.clock


BOOT = Bootstrap({"stack": "s" * 32}, {})  # a settings client not listed: every role


def _client(uow: FakeUnitOfWork, name: str, roles: frozenset[Role], **when: datetime) -> None:
    uow.identity.add_client(ClientAccount(name, roles, key_hash(name), NOW, **when))


def test_a_client_subscribes_with_the_callers_roles_and_sees_only_its_own() -> None:
    uow = FakeUnitOfWork()
    person = Caller("workspace", PARTNER)  # a partner reader acting through a wider client
    mine = subscriptions.subscribe(uow, person, "https://a.example/", frozenset())
    theirs = subscriptions.subscribe(
        uow, Caller("tinh", PARTNER), "https://b.example/", EVERY_EVENT
    )
    assert mine.roles == PARTNER
    assert subscriptions.list_subscriptions(uow, person) == [mine]
    with pytest.raises(WebhookNotFound):
        subscriptions.unsubscribe(uow, person, theirs.id)
    with pytest.raises(WebhookNotFound):
        subscriptions.list_deliveries(uow, person, theirs.id, before=10, limit=10)
    tinh = Caller("tinh", PARTNER)
    assert subscriptions.unsubscribe(uow, tinh, theirs.id).active is False
    assert subscriptions.list_subscriptions(uow, tinh) == []


def test_a_change_is_announced_to_whoever_may_see_it_now_and_once() -> None:
    uow = FakeUnitOfWork()
    _client(uow, "tinh", PARTNER)
    _client(uow, "huyen", STAFF, revoked_at=NOW)
    _client(uow, "so", STAFF, expires_at=NOW)  # expired the moment the change is handled
    _client(uow, "kho", STAFF)
    for name in ("tinh", "huyen", "so", "kho", "stack"):
        roles = EVERY_ROLE if name == "stack" else STAFF
        subscriptions.subscribe(uow, Caller(name, roles), f"https://{name}.example/", frozenset())

    def hearers(change: FileStateChanged, event_id: str) -> list[str]:
        made = subscriptions.announce(uow, change, event_id, BOOT)
        return sorted(uow.webhooks.subscriptions_by_id[d.subscription].client for d in made)

    assert hearers(_change(public=True), "e1") == ["kho", "stack", "tinh"]
    assert hearers(_change(public=False), "e2") == ["kho", "stack"]  # not the partner reader
    hearers(_change(public=True), "e1")  # redelivered
    assert len(uow.webhooks.deliveries_by_id) == 5


def test_the_worker_claims_only_what_is_due_and_holds_it_for_its_lease() -> None:
    uow = FakeUnitOfWork()
    made = subscriptions.subscribe(
        uow, Caller("stack", EVERY_ROLE), "https://a.example/", frozenset()
    )
    (delivery,) = subscriptions.announce(uow, _change(public=False), "e1", BOOT)
    lease = timedelta(minutes=2)
    (claimed,) = subscriptions.claim_due(uow, NOW, lease, 10, BOOT)
    assert (claimed.url, claimed.secret) == (made.url, made.secret)
    assert subscriptions.claim_due(uow, NOW + timedelta(minutes=1), lease, 10, BOOT) == []  # held
    policy = RetryPolicy(max_attempts=3, first_backoff=10, max_backoff=60)
    refused = subscriptions.record_attempt(uow, claimed.delivery, 500, "HTTP 500", NOW, policy)
    assert refused.next_attempt_at == NOW + timedelta(seconds=10)
    later = NOW + timedelta(seconds=10)
    (again,) = subscriptions.claim_due(uow, later, lease, 10, BOOT)
    assert again.delivery.attempts == 1
    subscriptions.unsubscribe(uow, Caller("stack", EVERY_ROLE), made.id)
    subscriptions.record_attempt(uow, again.delivery, 502, "HTTP 502", later, policy)
    assert (
        subscriptions.claim_due(uow, later + timedelta(hours=1), lease, 10, BOOT) == []
    )  # cancelled
    kept = uow.webhooks.deliveries_by_id[1]  # still recorded, no longer tried
    assert (kept.event_id, kept.attempts, kept.last_status) == (delivery.event_id, 2, 502)


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("http://127.0.0.1:8080/hook", False),  # the gateway's own machine
        ("http://localhost/hook", False),
        ("http://[::1]/hook", False),
        ("http://10.0.0.7/hook", False),  # a private network: MinIO, the broker, the database
        ("http://192.168.1.20/hook", False),
        ("http://169.254.169.254/latest/meta-data/", False),  # cloud metadata
        ("http://224.0.0.1/hook", False),  # multicast
        ("https://93.184.215.14/hook", True),  # a public address, no name to resolve
    ],
)
def test_a_delivery_goes_to_public_addresses_only(url: str, public: bool) -> None:
    async def allowed() -> bool:
        try:
            await destination(url, resolve, private=False)
        except DestinationRefused:
            return False
        return True

    assert asyncio.run(allowed()) is public


def test_a_url_is_pinned_to_its_address_and_keeps_its_name() -> None:
    v4 = pinned("https://hooks.doitac.vn:8443/sohoa?x=1", ipaddress.ip_address("93.184.215.14"))
    assert (v4.url, v4.host, v4.server_name) == (
        "https://93.184.215.14:8443/sohoa?x=1",
        "hooks.doitac.vn:8443",
        "hooks.doitac.vn",
    )
    v6 = pinned("http://hooks.doitac.vn/h", ipaddress.ip_address("2606:2800:220:1::1"))
    assert (v6.url, v6.host) == ("http://[2606:2800:220:1::1]/h", "hooks.doitac.vn")
    signed_in = pinned("https://sohoa:bi-mat@hooks.doitac.vn/h", ipaddress.ip_address("1.2.3.4"))
    assert (signed_in.url, signed_in.host) == ("https://sohoa:bi-mat@1.2.3.4/h", "hooks.doitac.vn")


def _rebinding() -> tuple[list[str], Callable[[str], Awaitable[list[Address]]]]:
    """A name that answers a public address once, then loopback (DNS rebinding)."""
    asked: list[str] = []

    async def resolver(host: str) -> list[Address]:
        asked.append(host)
        first = len(asked) == 1
        return [ipaddress.ip_address("93.184.215.14" if first else "127.0.0.1")]

    return asked, resolver


def _one_attempt(
    url: str,
    resolver: Callable[[str], Awaitable[list[Address]]] | None = None,
    *,
    private: bool = False,
) -> tuple[Delivery, list[httpx.Request]]:
    """One delivery of one change to ``url``, answered 200 by a stand-in partner: what the
    worker made of it, and the requests the partner got. ``resolver``: the system's if None."""
    uow = FakeUnitOfWork()
    subscriptions.subscribe(uow, Caller("stack", EVERY_ROLE), url, frozenset())
    subscriptions.announce(uow, _change(public=True), "e1", BOOT)
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async def attempt() -> list[Delivery]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            worker = DeliveryWorker(
                lambda: uow,
                client,
                RetryPolicy(3, 10, 60),
                timeout=1,
                bootstrap=BOOT,
                private_destinations=private,
                resolver=resolver or resolve,
            )
            return await worker.run_once(NOW)

    (done,) = asyncio.run(attempt())
    return done, sent


def test_a_delivery_connects_to_the_address_it_checked_not_to_a_second_answer() -> None:
    asked, resolver = _rebinding()
    done, sent = _one_attempt("https://hooks.doitac.vn/sohoa", resolver)
    assert asked == ["hooks.doitac.vn"]  # resolved once, for the check and the connection
    (request,) = sent
    assert (request.url.host, request.headers["host"]) == ("93.184.215.14", "hooks.doitac.vn")
    assert request.extensions["sni_hostname"] == "hooks.doitac.vn"  # the certificate's name
    assert done.state is DeliveryState.DELIVERED


def test_a_name_with_any_inner_address_is_refused_and_loopback_only_when_allowed() -> None:
    async def mixed(host: str) -> list[Address]:
        return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.7")]

    refused, sent = _one_attempt("https://hooks.doitac.vn/", mixed)
    assert (sent, refused.last_error) == ([], REFUSED_DESTINATION)

    async def loopback(host: str) -> list[Address]:
        return [ipaddress.ip_address("127.0.0.1")]

    local, sent = _one_attempt("http://localhost:8080/hook", loopback, private=True)
    assert [(r.url.host, r.url.port, r.headers["host"]) for r in sent] == [
        ("127.0.0.1", 8080, "localhost:8080")
    ]
    assert local.state is DeliveryState.DELIVERED

    async def nowhere(host: str) -> list[Address]:
        raise OSError("Name or service not known")

    lost, sent = _one_attempt("https://khong-co.doitac.vn/", nowhere)
    assert sent == []
    assert (lost.state, lost.last_error) == (
        DeliveryState.PENDING,
        "OSError: Name or service not known",
    )


def test_a_delivery_to_an_inner_address_is_refused_without_a_request() -> None:
    done, sent = _one_attempt("http://127.0.0.1:9/")
    assert sent == []
    assert (done.state, done.last_status, done.last_error) == (
        DeliveryState.PENDING,
        None,
        REFUSED_DESTINATION,
    )


def test_a_queued_delivery_falls_silent_when_its_client_loses_its_roles() -> None:
    uow = FakeUnitOfWork()
    boot = Bootstrap({"tinh": "t" * 32}, {"tinh": frozenset({Role.ARCHIVIST})})
    caller = Caller("tinh", frozenset({Role.ARCHIVIST}))
    subscriptions.subscribe(uow, caller, "https://a.example/", frozenset())
    (queued,) = subscriptions.announce(uow, _change(public=False), "e1", boot)
    narrowed = Bootstrap({"tinh": "t" * 32}, {"tinh": frozenset({Role.PARTNER_READ})})
    assert subscriptions.claim_due(uow, NOW, timedelta(minutes=2), 10, narrowed) == []
    (kept,) = uow.webhooks.deliveries_by_id.values()
    assert (kept.event_id, kept.state, kept.last_error) == (
        queued.event_id,
        DeliveryState.FAILED,
        subscriptions.SILENCED,
    )


def test_a_client_has_at_most_its_share_of_subscriptions() -> None:
    uow = FakeUnitOfWork()
    caller = Caller("tinh", EVERY_ROLE)
    for n in range(MAX_SUBSCRIPTIONS):
        subscriptions.subscribe(uow, caller, f"https://a.example/{n}", frozenset())
    with pytest.raises(TooManyWebhooks):
        subscriptions.subscribe(uow, caller, "https://a.example/one-more", frozenset())
    other = Caller("khac", EVERY_ROLE)  # another client's share is its own
    assert subscriptions.subscribe(uow, other, "https://b.example/", frozenset()).client == "khac"
