"""Webhooks end to end inside the gateway, on SQLite and PostgreSQL, to a real HTTP receiver on
loopback: clients subscribe through the routes; the consumer's handler turns state changes
into deliveries (a restricted hồ sơ never for a partner reader, a redelivered event never
twice); the worker, driven by an explicit clock, POSTs them signed, tries a refused one again
after its backoff, and the routes list each subscription's deliveries, newest first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

from services.gateway import subscriptions
from services.gateway.accounts import Bootstrap
from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.gateway.db import SqlUnitOfWork, open_database
from services.gateway.deliveries import (
    GROUP_ID,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryWorker,
    WebhookFeed,
    on_file_state_changed,
)
from services.gateway.domain import Role
from services.gateway.identity import Caller
from services.gateway.webhooks import Delivery, DeliveryState, signature_matches
from services.ops.broker import free_port as closed_port  # nothing listens there
from shared.backoff import RetryPolicy
from shared.config import KafkaSettings
from shared.db import Inbox, utcnow
from shared.envelope import Envelope, encode_body
from shared.events import FileStateChanged
from shared.kafka import KafkaPublisher
from tests.support.gateway import Receiver, receiving, state_change

pytestmark = pytest.mark.integration
AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # when the hồ sơ changed, as the body says


def _clock() -> datetime:
    """The worker's first moment: just past now, when the deliveries were made due."""
    return utcnow().replace(microsecond=0) + timedelta(seconds=1)


KEYS = {"tinh": "tinh-partner-key-".ljust(32, "p"), "staff": "staff-archivist-key".ljust(32, "s")}
ROLES = {"tinh": frozenset({Role.PARTNER_READ}), "staff": frozenset({Role.ARCHIVIST})}
POLICY = RetryPolicy(max_attempts=3, first_backoff=10, max_backoff=60)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as partner:
        yield partner


def _change(file_code: str, *, public: bool, to_state: str = "verified") -> FileStateChanged:
    return state_change(file_code, public=public, at=AT, to_state=to_state)


def _as(client: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[client]}


def _worker(
    uow: Callable[[], SqlUnitOfWork], client: httpx.AsyncClient, timeout: float
) -> DeliveryWorker:
    """The gateway's worker over the test's clients; its receiver listens on loopback."""
    return DeliveryWorker(
        uow,
        client,
        POLICY,
        timeout=timeout,
        bootstrap=Bootstrap(KEYS, ROLES),
        private_destinations=True,
    )


def test_state_changes_reach_partners_signed_retried_and_listed(
    database_url: str, receiver: Receiver
) -> None:
    settings = GatewaySettings(
        database_url=database_url,
        api_keys=KEYS,
        client_roles=ROLES,
        rate_limit_per_minute=0,
        webhook_poll_seconds=3600,  # the test drives the worker itself, clock in hand
        kafka=KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{closed_port()}", request_timeout_ms=1000
        ),
    )
    with TestClient(create_app(settings)) as api:
        flaky = api.post(
            "/api/v1/webhooks", headers=_as("tinh"), json={"url": f"{receiver.url}/tinh"}
        )
        assert flaky.status_code == 201, flaky.text
        partner, partner_secret = flaky.json()["webhook"], flaky.json()["secret"]
        assert partner["events"] == ["file-state-changed"]
        made = api.post(
            "/api/v1/webhooks", headers=_as("staff"), json={"url": f"{receiver.url}/ok"}
        )
        staff, staff_secret = made.json()["webhook"], made.json()["secret"]

        bad = api.post("/api/v1/webhooks", headers=_as("tinh"), json={"url": "ftp://x.example/"})
        assert (bad.status_code, bad.json()["code"]) == (422, "webhooks.bad-url")
        listed = api.get("/api/v1/webhooks", headers=_as("tinh")).json()["webhooks"]
        assert [w["id"] for w in listed] == [partner["id"]]  # its own only, and no secret
        assert "secret" not in listed[0]
        other = api.delete(f"/api/v1/webhooks/{staff['id']}", headers=_as("tinh"))
        assert (other.status_code, other.json()["code"]) == (404, "webhooks.not-found")
        theirs = api.get(f"/api/v1/webhooks/{staff['id']}/deliveries", headers=_as("tinh"))
        assert theirs.status_code == 404

        # The consumer's handler, with the real database and the gateway's own clients
        engine = open_database(database_url)
        uow = partial(SqlUnitOfWork, engine)
        handle = on_file_state_changed(uow, Bootstrap(KEYS, ROLES))
        public = _change("H49.64.33.2024.01.VP", public=True)
        restricted = _change("H49.64.33.2024.02.VP", public=False)
        public_envelope = Envelope.new(public, source="sohoa-catalogue")

        clock: list[datetime] = []  # the worker's first moment, read back below

        async def deliver() -> None:
            await handle(public, public_envelope)
            await handle(restricted, Envelope.new(restricted, source="sohoa-catalogue"))
            await handle(public, public_envelope)  # redelivered: nothing made twice
            receiver.script["/tinh"] = [500]
            async with httpx.AsyncClient() as client:
                worker = _worker(uow, client, timeout=5)
                t0 = _clock()
                clock.append(t0)
                first = await worker.run_once(t0)
                assert sorted((d.file_code, d.state, d.last_status) for d in first) == [
                    ("H49.64.33.2024.01.VP", DeliveryState.DELIVERED, 200),  # staff
                    ("H49.64.33.2024.01.VP", DeliveryState.PENDING, 500),  # tinh: refused
                    ("H49.64.33.2024.02.VP", DeliveryState.DELIVERED, 200),  # staff
                ]
                assert await worker.run_once(t0 + timedelta(seconds=9)) == []  # not due yet
                second: list[Delivery] = await worker.run_once(t0 + timedelta(seconds=10))
                assert [(d.state, d.attempts, d.last_status) for d in second] == [
                    (DeliveryState.DELIVERED, 2, 200)
                ]
                assert await worker.run_once(t0 + timedelta(hours=1)) == []  # all settled

        asyncio.run(deliver())

        # Tried twice, the same delivery signed each time; the restricted hồ sơ never sent
        tries = receiver.on("/tinh")
        assert len(tries) == 2
        for attempt in tries:
            timestamp = int(attempt.headers[TIMESTAMP_HEADER])
            signature = attempt.headers[SIGNATURE_HEADER]
            assert signature_matches(partner_secret, timestamp, attempt.body, signature)
            assert not signature_matches(staff_secret, timestamp, attempt.body, signature)
            assert json.loads(attempt.body) == {
                "type": "file-state-changed",
                "id": public_envelope.id,
                "file_code": "H49.64.33.2024.01.VP",
                "from_state": "described",
                "to_state": "verified",
                "at": "2026-12-03T08:00:00Z",
                "version": 5,
            }
        assert [int(t.headers[TIMESTAMP_HEADER]) for t in tries] == [
            int(clock[0].timestamp()),
            int(clock[0].timestamp()) + 10,
        ]
        assert tries[0].headers[ID_HEADER] == tries[1].headers[ID_HEADER]
        seen_by_staff = sorted(json.loads(r.body)["file_code"] for r in receiver.on("/ok"))
        assert seen_by_staff == ["H49.64.33.2024.01.VP", "H49.64.33.2024.02.VP"]

        # Listed through the routes: newest first, a page at a time
        page = api.get(f"/api/v1/webhooks/{partner['id']}/deliveries", headers=_as("tinh")).json()
        assert [
            (d["file_code"], d["state"], d["attempts"], d["last_status"])
            for d in page["deliveries"]
        ] == [("H49.64.33.2024.01.VP", "delivered", 2, 200)]
        assert page["next_cursor"] is None
        assert page["deliveries"][0]["delivered_at"] is not None
        route = f"/api/v1/webhooks/{staff['id']}/deliveries"
        newest = api.get(route, headers=_as("staff"), params={"limit": 1}).json()
        assert [d["file_code"] for d in newest["deliveries"]] == ["H49.64.33.2024.02.VP"]
        older = api.get(
            route, headers=_as("staff"), params={"limit": 1, "cursor": newest["next_cursor"]}
        ).json()
        assert [d["file_code"] for d in older["deliveries"]] == ["H49.64.33.2024.01.VP"]

        # Cancelled: gone from the list and its deliveries, and nothing new is made for it
        assert (
            api.delete(f"/api/v1/webhooks/{partner['id']}", headers=_as("tinh")).status_code == 204
        )
        assert api.get("/api/v1/webhooks", headers=_as("tinh")).json() == {"webhooks": []}
        gone = api.get(f"/api/v1/webhooks/{partner['id']}/deliveries", headers=_as("tinh"))
        assert (gone.status_code, gone.json()["code"]) == (404, "webhooks.not-found")
        later = _change("H49.64.33.2024.01.VP", public=True, to_state="accepted")
        made_later = subscriptions.announce(uow(), later, "ce-later", Bootstrap(KEYS, ROLES))
        assert [d.subscription for d in made_later] == [UUID(staff["id"])]  # staff's alone
        engine.dispose()


def test_a_receiver_that_never_answers_well_ends_failed_and_still_listed(
    database_url: str,
) -> None:
    """Connection refused every time: each attempt recorded without a status, then failed."""
    engine = open_database(database_url)
    uow = partial(SqlUnitOfWork, engine)
    settings = GatewaySettings(
        database_url=database_url,
        api_keys=KEYS,
        client_roles=ROLES,
        webhook_poll_seconds=3600,
        kafka=KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{closed_port()}", request_timeout_ms=1000
        ),
    )
    with TestClient(create_app(settings)) as api:
        url = f"http://127.0.0.1:{closed_port()}/hook"
        made = api.post("/api/v1/webhooks", headers=_as("staff"), json={"url": url})
        webhook = made.json()["webhook"]
        change = _change("H49.64.33.2024.03.VP", public=False)

        async def run() -> list[Delivery]:
            handle = on_file_state_changed(uow, Bootstrap(KEYS, ROLES))
            await handle(change, Envelope.new(change, source="sohoa-catalogue"))
            outcomes: list[Delivery] = []
            async with httpx.AsyncClient() as client:
                worker = _worker(uow, client, timeout=2)
                moment = _clock()
                for _ in range(POLICY.max_attempts):
                    (done,) = await worker.run_once(moment)
                    outcomes.append(done)
                    moment = done.next_attempt_at or moment
                assert await worker.run_once(moment + timedelta(days=1)) == []
            return outcomes

        outcomes = asyncio.run(run())
        assert [(d.state, d.attempts, d.last_status) for d in outcomes] == [
            (DeliveryState.PENDING, 1, None),
            (DeliveryState.PENDING, 2, None),
            (DeliveryState.FAILED, 3, None),
        ]
        assert "ConnectError" in (outcomes[-1].last_error or "")
        listed = api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=_as("staff"))
        (entry,) = listed.json()["deliveries"]
        assert (entry["state"], entry["attempts"], entry["next_attempt_at"]) == ("failed", 3, None)
    engine.dispose()


async def test_the_gateway_hears_state_changes_from_the_broker_and_each_once(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    """The consumer as the gateway runs it, on the real broker: a change published by the
    catalogue becomes a delivery; the same event sent again makes nothing more."""
    engine = open_database(f"sqlite:///{tmp_path / 'gateway.db'}")
    uow = partial(SqlUnitOfWork, engine)
    caller = Caller("staff", ROLES["staff"])
    made = subscriptions.subscribe(uow(), caller, "http://127.0.0.1:9/hook", frozenset())
    file_code = f"H49.64.33.2024.{uuid4().hex[:8]}"  # the topic is shared by the whole session
    first, second = (
        _change(file_code, public=False),
        _change(file_code, public=False, to_state="accepted"),
    )
    feed = WebhookFeed(
        kafka_settings,
        on_file_state_changed(uow, Bootstrap(KEYS, ROLES)),
        Inbox(engine, GROUP_ID),
        source="sohoa-gateway",
        retry_seconds=0.2,
    )

    def mine() -> list[Delivery]:
        found = subscriptions.list_deliveries(uow(), caller, made.id, before=2**31 - 1, limit=100)
        return [d for d in found if d.file_code == file_code]

    async with feed, KafkaPublisher.open(kafka_settings, source="sohoa-catalogue") as publisher:
        envelope = await publisher.publish(first)
        headers = envelope.to_headers()
        await publisher.send(first.TOPIC, file_code, encode_body(first), headers)  # again
        await publisher.publish(second)  # same key, same partition: read after the repeat
        deadline = asyncio.get_running_loop().time() + 60
        while len(mine()) < 2:  # ask the database until the second change is there
            assert asyncio.get_running_loop().time() < deadline, "the feed never delivered"
            await asyncio.sleep(0.2)  # poll interval
    by_state = {json.loads(d.body)["to_state"]: d.event_id for d in mine()}
    assert len(mine()) == 2
    assert by_state["verified"] == envelope.id  # the repeat of it made no second delivery
    assert set(by_state) == {"verified", "accepted"}
    engine.dispose()


def test_deliveries_done_with_are_forgotten_after_the_retention(database_url: str) -> None:
    """Delivered and silenced ones older than the retention go; failed ones (what a partner
    missed), pending ones and recent ones stay."""
    engine = open_database(database_url)
    uow = partial(SqlUnitOfWork, engine)
    made = subscriptions.subscribe(
        uow(), Caller("staff", ROLES["staff"]), "https://a.example/hook", frozenset()
    )
    now = utcnow()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    kinds = {
        "old-delivered": (old, DeliveryState.DELIVERED, None),
        "old-silenced": (old, DeliveryState.FAILED, subscriptions.SILENCED),
        "old-failed": (old, DeliveryState.FAILED, "HTTP 500"),
        "old-pending": (old, DeliveryState.PENDING, None),
        "recent-delivered": (recent, DeliveryState.DELIVERED, None),
        "recent-silenced": (recent, DeliveryState.FAILED, subscriptions.SILENCED),
    }
    work = uow()
    with work:
        for event_id, (created, _, _) in kinds.items():
            work.webhooks.add_delivery(
                Delivery(made.id, event_id, "H49.64.33.2024.05.VP", "{}", None, created)
            )
        work.commit()
    work = uow()
    with work:
        for delivery in work.webhooks.deliveries(made.id, before=2**31 - 1, limit=10):
            _, state, error = kinds[delivery.event_id]
            work.webhooks.save_delivery(replace(delivery, state=state, last_error=error))
        work.commit()

    keep = timedelta(days=30)
    assert subscriptions.prune_deliveries(uow(), now, keep) == 2
    assert subscriptions.prune_deliveries(uow(), now, keep) == 0  # nothing more to forget
    work = uow()
    with work:
        left = {d.event_id for d in work.webhooks.deliveries(made.id, before=2**31 - 1, limit=10)}
    assert left == {"old-failed", "old-pending", "recent-delivered", "recent-silenced"}
    engine.dispose()
