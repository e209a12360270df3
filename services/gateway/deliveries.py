"""Webhooks in motion: the consumer of ``file-state-changed`` that turns each change into
deliveries, and the worker that POSTs the deliveries due, signed, and records each attempt.

The gateway answers its API without a broker, so the consumer waits for one in the
background instead of holding up start-up; deliveries already made keep going out meanwhile.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog
from aiokafka.errors import KafkaError

from services.gateway import subscriptions
from services.gateway.accounts import Bootstrap
from services.gateway.ports import UnitOfWork
from services.gateway.webhooks import Delivery, sign
from shared.background import BackgroundLoop
from shared.backoff import RetryPolicy
from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner, ProcessedRecord, WaitingOnOutage
from shared.db import utcnow
from shared.envelope import Envelope
from shared.events import FileStateChanged
from shared.kafka import BrokerUnavailable, KafkaPublisher, ensure_topics, topics_for

log = structlog.get_logger(__name__)
GROUP_ID = "sohoa-gateway-webhooks"
ID_HEADER = "Sohoa-Webhook-Id"
TIMESTAMP_HEADER = "Sohoa-Webhook-Timestamp"
SIGNATURE_HEADER = "Sohoa-Webhook-Signature"


def on_file_state_changed(
    uow: Callable[[], UnitOfWork], bootstrap: Bootstrap
) -> Callable[[FileStateChanged, Envelope], Awaitable[None]]:
    """The handler of file-state-changed: the event's CloudEvents id names the deliveries,
    so a redelivered event makes none twice."""

    async def handle(change: FileStateChanged, envelope: Envelope) -> None:
        made = await asyncio.to_thread(
            lambda: subscriptions.announce(uow(), change, envelope.id, bootstrap)
        )
        if made:
            log.info("webhook_deliveries_made", file_code=change.file_code, count=len(made))

    return handle


REFUSED_DESTINATION = "webhooks.destination-refused: the address is not a public one"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[Sequence[Address]]]
"""The addresses a host name has now, in the system's order of preference."""


async def resolve(host: str) -> list[Address]:
    """The host's addresses (an address literal is its own), each once, in order; OSError
    when the name does not resolve."""
    found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = (ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found)
    return list(dict.fromkeys(addresses))


def public_address(address: Address) -> bool:
    """A partner must not make the gateway call loopback, private, link-local (cloud
    metadata) or multicast addresses inside its network."""
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Pinned:
    """A webhook URL bound to the one address it was checked at: the request goes to
    ``url`` (the address in place of the name) with the name in ``host`` and, for HTTPS, as
    the TLS server name, so the certificate is still checked against the name. Resolving
    again at connect time would let a name answer a public address to the check and an
    inner one to the connection (DNS rebinding)."""

    url: str
    host: str
    server_name: str


def pinned(url: str, address: Address) -> Pinned:
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    credentials, _at, _name = parts.netloc.rpartition("@")
    if credentials:  # the partner's user:password stay with the URL (Basic auth), not the Host
        netloc = f"{credentials}@{netloc}"
    return Pinned(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host=parts.netloc.rpartition("@")[2],  # the name and port, never user:password@
        server_name=parts.hostname or "",
    )


class DestinationRefused(Exception):
    """The URL's host has an address the gateway does not deliver to, or none at all."""


async def destination(url: str, resolver: Resolver, *, private: bool) -> Pinned:
    """The URL pinned to its host's first address, resolved once for the check and the
    connection both; every address must be public unless ``private`` (a local stack)."""
    try:
        addresses = await resolver(urlsplit(url).hostname or "")
    except OSError as exc:
        raise DestinationRefused(f"{type(exc).__name__}: {exc}"[:500]) from exc
    if not addresses:
        raise DestinationRefused("the host has no address")
    if not private and not all(map(public_address, addresses)):
        raise DestinationRefused(REFUSED_DESTINATION)
    return pinned(url, addresses[0])


class DeliveryWorker:
    """Sends the deliveries due, a batch at a time, each with its own attempt. ``run_once``
    takes the moment to act at, so tests drive the schedule without waiting for it."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        client: httpx.AsyncClient,
        policy: RetryPolicy,
        *,
        timeout: float,
        bootstrap: Bootstrap,
        batch: int = 20,
        private_destinations: bool = False,
        resolver: Resolver = resolve,
    ) -> None:
        self._uow = uow
        self._bootstrap = bootstrap
        self._client = client
        self._policy = policy
        self._timeout = timeout
        self._batch = batch
        self._private_destinations = private_destinations
        self._resolver = resolver
        # An attempt may wait for connect, write and read in turn: hold it well past that.
        self._lease = timedelta(seconds=4 * timeout + 30)

    async def run_once(self, now: datetime | None = None) -> list[Delivery]:
        """Attempt every delivery due by ``now`` (the clock when not given); the outcomes."""
        moment = now or utcnow()
        claimed = await asyncio.to_thread(
            lambda: subscriptions.claim_due(
                self._uow(), moment, self._lease, self._batch, self._bootstrap
            )
        )
        return list(await asyncio.gather(*(self._attempt(c, moment) for c in claimed)))

    async def _attempt(self, claimed: subscriptions.Claimed, now: datetime) -> Delivery:
        status, error = await self._post(claimed, now)
        done = await asyncio.to_thread(
            lambda: subscriptions.record_attempt(
                self._uow(), claimed.delivery, status, error, now, self._policy
            )
        )
        log.info(
            "webhook_attempted",
            delivery=done.id,
            file_code=done.file_code,
            status=status,
            state=done.state.value,
            attempts=done.attempts,
        )
        return done

    async def _post(
        self, claimed: subscriptions.Claimed, now: datetime
    ) -> tuple[int | None, str | None]:
        body = claimed.delivery.body.encode()
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "sohoa-webhooks/1",
            ID_HEADER: str(claimed.delivery.id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(claimed.secret, timestamp, body),
        }
        try:
            target = await destination(
                claimed.url, self._resolver, private=self._private_destinations
            )
        except DestinationRefused as exc:
            return None, str(exc)
        try:
            response = await self._client.post(
                target.url,
                content=body,
                headers={**headers, "host": target.host},
                timeout=self._timeout,
                extensions={"sni_hostname": target.server_name},
            )
        except httpx.HTTPError as exc:  # refused, unreachable, too slow, not HTTP at all
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if response.is_success:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"


class WebhookFeed(BackgroundLoop):
    """The consumer of file-state-changed (group ``sohoa-gateway-webhooks``, idempotent by the
    processed-event record), started once a broker answers and started again if it stops."""

    task_name = "webhook-feed"

    def __init__(
        self,
        kafka: KafkaSettings,
        handler: Callable[[FileStateChanged, Envelope], Awaitable[None]],
        processed: ProcessedRecord,
        *,
        source: str,
        retry_seconds: float = 5.0,
    ) -> None:
        self._kafka = kafka
        self._handler = handler
        self._processed = processed
        self._source = source
        self._retry = retry_seconds
        self.runner: ConsumerRunner | None = None

    async def run(self) -> None:
        while True:
            try:
                await self._consume()
            except (BrokerUnavailable, KafkaError, OSError) as exc:
                log.warning("webhook_feed_waiting_for_broker", error=str(exc))
            self.runner = None
            await asyncio.sleep(self._retry)  # the schedule of reconnecting, not a wait

    async def _consume(self) -> None:
        await ensure_topics(self._kafka, topics_for([FileStateChanged]))
        async with KafkaPublisher.open(self._kafka, source=self._source) as dead_letters:
            runner = ConsumerRunner(
                self._kafka,
                group_id=GROUP_ID,
                dead_letters=dead_letters,
                processed=self._processed,
            )
            runner.subscribe(FileStateChanged, self._handler)
            async with runner:
                self.runner = runner
                while True:
                    await asyncio.sleep(self._retry)
                    try:
                        await runner.ping()  # BrokerUnavailable once its task has ended
                    except WaitingOnOutage:
                        continue  # it holds a record through an outage: still running
