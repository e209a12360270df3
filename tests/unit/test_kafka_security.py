"""Kafka with TLS and SASL: the settings reach every producer, consumer and admin client
sohoa makes, from one place (``shared.kafka.connection``); a SASL protocol without
credentials is refused at start, not at the first record."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import certifi
import pytest
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr, ValidationError

from shared import consumer as consumer_module
from shared import kafka
from shared.config import KafkaSettings
from shared.consumer import ConsumerRunner
from shared.kafka import BrokerUnavailable, KafkaPublisher, TopicReader, ensure_topics

pytestmark = pytest.mark.unit

PASSWORD = "mật-khẩu-kafka"  # noqa: S105  # a test's own
SASL = KafkaSettings(
    bootstrap_servers="kafka-1.example:9093",
    security_protocol="SASL_SSL",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="sohoa-ingest",
    sasl_password=SecretStr(PASSWORD),
    ssl_cafile=Path(certifi.where()),
)


class NoDeadLetters:
    async def send(
        self, topic: str, key: str, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        raise AssertionError("nothing is consumed here")


class FakeClient:
    """Stands in for an aiokafka client class and records how it was made."""

    made: list[tuple[str, dict[str, Any]]]

    def __init__(self, *_topics: str, **kwargs: Any) -> None:
        type(self).made.append((type(self).__name__, kwargs))

    async def start(self) -> None:
        raise KafkaConnectionError("no broker in a unit test")

    async def stop(self) -> None:
        return None

    async def close(self) -> None:
        return None


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    record: list[tuple[str, dict[str, Any]]] = []
    fakes = {
        name: type(name, (FakeClient,), {"made": record})
        for name in ("AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient")
    }
    for name, fake in fakes.items():
        monkeypatch.setattr(kafka, name, fake)
    monkeypatch.setattr(consumer_module, "AIOKafkaConsumer", fakes["AIOKafkaConsumer"])
    return record


def _assert_secured(kwargs: dict[str, Any]) -> None:
    assert kwargs["bootstrap_servers"] == "kafka-1.example:9093"
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "sohoa-ingest"
    assert kwargs["sasl_plain_password"] == PASSWORD
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.get_ca_certs(), "the CA file was loaded"


async def test_every_client_sohoa_makes_gets_tls_and_sasl(
    made: list[tuple[str, dict[str, Any]]],
) -> None:
    with pytest.raises(BrokerUnavailable):
        async with KafkaPublisher.open(SASL, source="sohoa-ingest"):
            pass
    with pytest.raises(BrokerUnavailable):
        await ensure_topics(SASL, ["sohoa.ingest.page-ingested.v1"])
    with pytest.raises(BrokerUnavailable):
        async with TopicReader.open(SASL, client_id="sohoa-dlq"):
            pass
    with pytest.raises(BrokerUnavailable):
        async with ConsumerRunner(SASL, group_id="sohoa-ocr", dead_letters=NoDeadLetters()):
            pass
    kinds = [kind for kind, _ in made]
    assert {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"} <= set(kinds)
    assert kinds.count("AIOKafkaConsumer") == 2  # the topic reader's and the runner's
    for _, kwargs in made:
        _assert_secured(kwargs)


def test_plaintext_stays_plain_for_the_embedded_broker() -> None:
    plain = kafka.connection(KafkaSettings(bootstrap_servers="127.0.0.1:9092"))
    assert plain["security_protocol"] == "PLAINTEXT"
    assert not {"ssl_context", "sasl_mechanism", "sasl_plain_password"} & set(plain)


@pytest.mark.parametrize(
    "fields",
    [
        {"security_protocol": "SASL_SSL"},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "sohoa"},
        {"security_protocol": "SASL_SSL", "sasl_username": "sohoa", "sasl_password": ""},
        {"security_protocol": "PLAINTEXT", "ssl_cafile": "/etc/sohoa/kafka-ca.pem"},
        {"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"},
    ],
)
def test_incomplete_security_settings_are_refused_at_start(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        KafkaSettings.model_validate(fields)


def test_the_settings_come_from_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SOHOA_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "SOHOA_KAFKA_SASL_MECHANISM": "PLAIN",
        "SOHOA_KAFKA_SASL_USERNAME": "sohoa",
        "SOHOA_KAFKA_SASL_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    kwargs = kafka.connection(KafkaSettings())
    assert (kwargs["sasl_mechanism"], kwargs["sasl_plain_username"]) == ("PLAIN", "sohoa")
    assert kwargs["sasl_plain_password"] == PASSWORD
    assert "ssl_context" not in kwargs
    assert PASSWORD not in repr(KafkaSettings())  # a SecretStr never prints
