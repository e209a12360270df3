"""Dead letters on a real broker: listed with their reason, replayed with their own envelope
so the fixed consumer handles them once, each replay recorded and never repeated — through
``sohoa dlq`` and through the gateway's admin routes alike."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.gateway.app import create_app
from services.gateway.config import GatewaySettings
from services.ops.broker import TansuBroker
from services.ops.cli import main as sohoa
from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner
from shared.deadletters import DeadLetter, DeadLetters, replay_selected
from shared.envelope import Envelope
from shared.errors import PermanentError
from shared.events import DeadLetterReplayed, PageIngested
from shared.kafka import KafkaPublisher, TopicReader, ensure_topics, topics_for
from tests.support.events import page_ingested

pytestmark = pytest.mark.integration
API_KEY = "k" * 32


class Unreadable(PermanentError):
    code = "ocr.unreadable-image"


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TansuBroker]:
    """A broker of its own: a replay of everything must not touch other tests' letters."""
    with TansuBroker(log_path=tmp_path_factory.mktemp("dlq") / "tansu.log") as started:
        yield started


@pytest.fixture
def settings(broker: TansuBroker, kafka_settings: KafkaSettings) -> KafkaSettings:
    return kafka_settings.model_copy(update={"bootstrap_servers": broker.bootstrap})


async def _letters(settings: KafkaSettings) -> list[DeadLetter]:
    async with DeadLetters.open(settings) as letters:
        return [letter async for letter in letters.scan(PageIngested.TOPIC)]


async def _dead_letter_two_pages(settings: KafkaSettings) -> list[Envelope]:
    """Publish two pages a consumer refuses; return once both are dead letters."""
    await ensure_topics(settings, [*topics_for([PageIngested]), DeadLetterReplayed.TOPIC])
    refused = asyncio.Event()
    seen: set[str] = set()
    mine: set[str] = set()

    async def refuse(_event: PageIngested, envelope: Envelope) -> None:
        if envelope.id not in mine:
            return  # an earlier test's event or replay
        seen.add(envelope.id)
        if seen == mine:
            refused.set()
        raise Unreadable("trang hỏng, không đọc được")

    async with KafkaPublisher.open(settings, source="test") as publisher:
        sent = [await publisher.publish(page_ingested(n)) for n in (1, 2)]
        mine.update(e.id for e in sent)
        runner = ConsumerRunner(
            settings, group_id=f"refuser-{uuid.uuid4()}", dead_letters=publisher
        )
        runner.subscribe(PageIngested, refuse)
        async with runner:
            await asyncio.wait_for(refused.wait(), timeout=30)
    return sent


async def _handled_once(settings: KafkaSettings, wanted: set[str]) -> dict[str, int]:
    """A fixed consumer reads the topic from the start: how often each wanted event ran."""
    counts: dict[str, int] = {}
    done = asyncio.Event()
    processed: set[str] = set()

    class Remembered:
        async def seen(self, event_id: str) -> bool:
            return event_id in processed

        async def remember(self, event_id: str) -> None:
            processed.add(event_id)

    async def handle(_event: PageIngested, envelope: Envelope) -> None:
        counts[envelope.id] = counts.get(envelope.id, 0) + 1
        if wanted <= set(counts):
            done.set()

    async with KafkaPublisher.open(settings, source="test") as publisher:
        runner = ConsumerRunner(
            settings,
            group_id=f"fixed-{uuid.uuid4()}",
            dead_letters=publisher,
            processed=Remembered(),
        )
        runner.subscribe(PageIngested, handle)
        async with runner:
            await asyncio.wait_for(done.wait(), timeout=30)
    return counts


async def test_dead_letters_are_listed_replayed_once_and_recorded(settings: KafkaSettings) -> None:
    sent = await _dead_letter_two_pages(settings)
    letters = await _letters(settings)
    assert sorted(letter.event_id for letter in letters) == sorted(e.id for e in sent)
    assert {letter.code for letter in letters} == {"ocr.unreadable-image"}
    assert letters[0].detail == "trang hỏng, không đọc được"
    assert letters[0].original_topic == PageIngested.TOPIC
    assert not any(k.startswith("dlq_") for k, _ in letters[0].original_headers)

    first, second = letters
    async with (
        DeadLetters.open(settings) as reader,
        KafkaPublisher.open(settings, source="test") as publisher,
    ):
        one = await replay_selected(reader, publisher, by="lưu trữ viên", ids=[first.id])
        assert one.replayed == [str(first.id)]
        again = await replay_selected(reader, publisher, by="ops", everything=True)
        assert (again.replayed, again.skipped) == ([str(second.id)], [str(first.id)])
        assert await reader.replayed() == {str(first.id), str(second.id)}
        assert await reader.count(PageIngested.TOPIC) == 2  # letters stay, as evidence

    # The replays carry the original envelopes: each event is handled, and handled once
    # although it is on the topic twice (published, then replayed).
    counts = await _handled_once(settings, {e.id for e in sent})
    assert counts == {e.id: 1 for e in sent}


async def test_the_command_lists_shows_and_replays(
    settings: KafkaSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = await _dead_letter_two_pages(settings)
    newest = next(x for x in await _letters(settings) if x.event_id == sent[1].id)
    target = ["--bootstrap", settings.bootstrap_servers]

    assert await asyncio.to_thread(sohoa, ["dlq", "list", PageIngested.TOPIC, *target]) == 0
    listed = capsys.readouterr().out
    assert str(newest.id) in listed
    assert "ocr.unreadable-image" in listed

    show = ["dlq", "show", "--id", str(newest.id), *target]
    assert await asyncio.to_thread(sohoa, show) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["event_id"] == newest.event_id
    assert json.loads(shown["value"])["sequence"] == 2

    replay = ["dlq", "replay", "--id", str(newest.id), "--by", "ops", *target]
    assert await asyncio.to_thread(sohoa, replay) == 0
    assert f"replayed {newest.id}" in capsys.readouterr().out
    assert await asyncio.to_thread(sohoa, replay) == 0
    assert "0 replayed, 1 skipped" in capsys.readouterr().out

    bad = ["dlq", "show", "--id", "nonsense", *target]
    assert await asyncio.to_thread(sohoa, bad) == 1
    assert "dead-letter.invalid-id" in capsys.readouterr().err


@pytest.fixture
async def gateway(settings: KafkaSettings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        GatewaySettings(
            api_keys={"ops": API_KEY},
            kafka=settings,
            database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        yield client


async def test_the_gateway_lists_and_replays_dead_letters(
    settings: KafkaSettings, gateway: httpx.AsyncClient
) -> None:
    sent = await _dead_letter_two_pages(settings)
    key = {"X-API-Key": API_KEY}
    assert (await gateway.get("/api/v1/admin/dead-letters")).status_code == 401

    page = (await gateway.get("/api/v1/admin/dead-letters", headers=key)).json()
    assert page["total"] == len(page["items"]) >= 2
    newest = next(i for i in page["items"] if i["event_id"] == sent[1].id)
    assert newest["replayed"] is False
    assert newest["topic"] == PageIngested.TOPIC
    assert newest["code"] == "ocr.unreadable-image"

    limited = await gateway.get(
        "/api/v1/admin/dead-letters", headers=key, params={"limit": 1, "offset": 1}
    )
    assert [i["id"] for i in limited.json()["items"]] == [page["items"][1]["id"]]

    body = {"ids": [newest["id"]]}
    person = {**key, "X-Acting-Person": "Nguy%E1%BB%85n V%C4%83n A"}
    replayed = await gateway.post("/api/v1/admin/dead-letters/replay", headers=person, json=body)
    assert replayed.status_code == 200
    assert replayed.json() == {"replayed": [newest["id"]], "skipped": []}
    again = await gateway.post("/api/v1/admin/dead-letters/replay", headers=key, json=body)
    assert again.json() == {"replayed": [], "skipped": [newest["id"]]}
    listed = (await gateway.get("/api/v1/admin/dead-letters", headers=key)).json()
    assert next(i for i in listed["items"] if i["id"] == newest["id"])["replayed"] is True

    bad = await gateway.post(
        "/api/v1/admin/dead-letters/replay", headers=key, json={"ids": ["x:y"]}
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "dead-letter.invalid-id"
    missing = {"ids": [f"{PageIngested.TOPIC}.dlq:0:999999"]}
    gone = await gateway.post("/api/v1/admin/dead-letters/replay", headers=key, json=missing)
    assert gone.status_code == 404
    assert gone.json()["code"] == "dead-letter.not-found"


async def test_looking_at_a_topic_that_does_not_exist_does_not_create_it(
    settings: KafkaSettings,
) -> None:
    """Describing a missing topic would create it on a broker that creates topics on use."""
    never = "sohoa.test.never-published.v1"
    async with DeadLetters.open(settings) as letters:
        assert await letters.count(never) == 0
        assert [letter async for letter in letters.scan(never)] == []
    async with TopicReader.open(settings, client_id="test") as reader:
        assert f"{never}.dlq" not in await reader.topics()
