"""The AsyncAPI 3.0 contract of sohoa's Kafka events, generated from ``shared/events.py``.

Generated rather than hand-written so it cannot drift from the models: a unit test compares
``docs/asyncapi.yaml`` with this output. The only hand-kept facts are who publishes and who
consumes each event (:data:`FLOWS`); an event missing there stops the build.

Regenerate with ``python -m services.ops.asyncapi``; check with ``--check``.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from services.ops.generated import write_or_check
from shared.config import KafkaSettings
from shared.envelope import CONTENT_TYPE, SPEC_VERSION, Envelope
from shared.events import (
    ALL_EVENTS,
    BatchClosed,
    DeadLetterReplayed,
    Event,
    FileAccepted,
    FileEvent,
    FileStateChanged,
    FixityFailed,
    PackageFailed,
    PackageReady,
    PackageReceipt,
    PageEvent,
    PageFailed,
    PageIngested,
    PageProcessed,
    PageReadRequested,
    PageRejected,
    dead_letter_topic,
)

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"  # the contract as a whole; each topic carries its own .v<N>
DEFAULT_OUT = Path("docs/asyncapi.yaml")
REGENERATE = "python -m services.ops.asyncapi"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_REF = "#/components/schemas/{model}"
TOPIC_PATTERN = re.compile(
    r"sohoa\.(?P<producer>[a-z0-9]+)\.(?P<event>[a-z0-9]+(?:-[a-z0-9]+)*)\.v(?P<version>[1-9][0-9]*)"
)

Json = dict[str, Any]


@dataclass(frozen=True)
class Party:
    """A publisher or consumer of events; ``internal`` ones run sohoa's consumer runner."""

    name: str  # the producer segment of a topic for sohoa services
    title: str
    internal: bool = True

    @property
    def operation_prefix(self) -> str:
        head, *rest = self.name.split("-")
        return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class Flow:
    """Who publishes one event and who reads it: the part of the contract code cannot infer."""

    producer: Party
    consumers: tuple[Party, ...]


INGEST = Party("ingest", "ingest (tiếp nhận trang quét)")
OCR = Party("ocr", "ocr (nhận dạng ký tự)")
CATALOGUE = Party("catalogue", "catalogue (biên mục, nghiệm thu)")
HANDOVER = Party("handover", "handover (đóng gói bàn giao)")
GATEWAY = Party("gateway", "gateway (webhooks cho hệ thống đối tác)")
STATIONS = Party(
    "scanning-stations",
    "scanner stations and contractors (trạm quét, đơn vị số hóa)",
    internal=False,
)
NATIONAL_ARCHIVE = Party("archive", "national archive (Lưu trữ quốc gia)", internal=False)
# `sohoa dlq`, the gateway's admin routes and alerting; they read without a consumer group.
OPERATORS = Party(
    "ops", "operators (sohoa dlq, the gateway's admin routes, alerting)", internal=False
)

FLOWS: Mapping[type[Event], Flow] = {
    PageIngested: Flow(INGEST, (OCR, CATALOGUE)),
    PageRejected: Flow(INGEST, (STATIONS,)),
    BatchClosed: Flow(INGEST, (STATIONS,)),
    PageProcessed: Flow(OCR, (CATALOGUE,)),
    PageFailed: Flow(OCR, (CATALOGUE,)),
    PageReadRequested: Flow(CATALOGUE, (OCR,)),
    FileStateChanged: Flow(CATALOGUE, (INGEST, GATEWAY)),
    FileAccepted: Flow(CATALOGUE, (HANDOVER,)),
    PackageReady: Flow(HANDOVER, (CATALOGUE, NATIONAL_ARCHIVE)),
    PackageFailed: Flow(HANDOVER, (CATALOGUE,)),
    DeadLetterReplayed: Flow(OPERATORS, (OPERATORS,)),
    PackageReceipt: Flow(NATIONAL_ARCHIVE, (CATALOGUE, HANDOVER)),
    FixityFailed: Flow(HANDOVER, (OPERATORS,)),
}

# Described here, checked against Envelope.to_headers() so a new envelope header fails the build.
CLOUDEVENTS_HEADERS: Mapping[str, Json] = {
    "ce_specversion": {"type": "string", "const": SPEC_VERSION},
    "ce_id": {
        "type": "string",
        "format": "uuid",
        "description": "Unique per event; consumers remember it to drop redeliveries.",
    },
    "ce_source": {"type": "string", "description": "The publishing service."},
    "ce_type": {"type": "string", "description": "The topic, which is the schema version."},
    "ce_time": {
        "type": "string",
        "format": "date-time",
        "description": "When the event was published (ISO 8601, UTC).",
    },
    "ce_subject": {"type": "string", "description": "The partition key."},
    "ce_correlationid": {
        "type": "string",
        "description": "Carried from event to event along one chain; equals ce_id on the first.",
    },
    "content-type": {"type": "string", "const": CONTENT_TYPE},
}

# Mirrors ConsumerRunner._dead_letter in shared/consumer.py (a unit test keeps them in step).
DEAD_LETTER_HEADERS: Mapping[str, Json] = {
    "dlq_error_code": {
        "type": "string",
        "description": "Stable error code, e.g. event.bad-message; internal.unhandled for a bug.",
    },
    "dlq_error_message": {"type": "string", "description": "The error message, truncated."},
    "dlq_error_type": {"type": "string", "description": "The exception class name."},
    "dlq_traceback": {"type": "string", "description": "The end of the Python traceback."},
    "dlq_original_topic": {"type": "string", "description": "Where the message was read."},
    "dlq_original_partition": {"type": "string", "pattern": "^[0-9]+$"},
    "dlq_original_offset": {"type": "string", "pattern": "^[0-9]+$"},
    "dlq_attempts": {
        "type": "string",
        "pattern": "^[1-9][0-9]*$",
        "description": "Tries before giving up: 1 for a permanent error.",
    },
    "dlq_consumer_group": {
        "type": "string",
        "description": "The consumer group that gave up; all groups of a topic share its DLQ.",
    },
}


ABOUT = """\
Every event sohoa publishes on Kafka. Generated from `shared/events.py` by
`{regenerate}`; do not edit by hand.

**Envelope.** CloudEvents 1.0 in Kafka binary content mode. The attributes are the headers
{ce}: `ce_type` is the topic and `ce_subject` the partition key. The body is the event as
UTF-8 JSON, Vietnamese text in Unicode NFC.

**Keys.** Page events are keyed by page id, which spreads OCR load over partitions; hồ sơ
events by file code (mã hồ sơ), which keeps the events of one hồ sơ in order.

**Versions.** A topic `sohoa.<producer>.<event>.v<N>` is its schema version. Consumers ignore
fields they do not know, so adding an optional field is compatible; any other change is a new
`.v<N+1>` topic, published beside the old one.

**Delivery: at least once.** Producers wait for all in-sync replicas (acks=all); consumers
commit an offset only after the handler succeeded or the message was dead-lettered. A message
may therefore arrive more than once, so every consumer is idempotent: it remembers `ce_id`
and skips a redelivery.

**Dead letters.** A message a consumer cannot handle (at once for a permanent error, after
retries with backoff for any other) is copied with its key, body and headers to `<topic>.dlq`,
with these headers added: {dlq}.
"""


def build_asyncapi(events: Sequence[type[Event]] | None = None) -> dict[str, Any]:
    """The AsyncAPI document of ``events`` (default: every event in ``ALL_EVENTS``)."""
    events = tuple(ALL_EVENTS if events is None else events)
    _check_flows(events)
    _check_envelope_headers()
    refs, schemas = _schemas(events)
    channels: Json = {}
    operations: Json = {}
    messages: Json = {}
    for event in events:
        flow = FLOWS[event]
        name = _camel(event.__name__)
        dlq = f"{name}DeadLetter"
        channels[name] = _channel(event, flow, name)
        channels[dlq] = _dead_letter_channel(event, flow, dlq)
        messages[name] = _message(event, refs[event], schemas)
        messages[dlq] = _dead_letter_message(event, refs[event])
        operations.update(_operations(event, flow, name, dlq))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": _info(),
        "defaultContentType": CONTENT_TYPE,
        "servers": _servers(),
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def render_yaml() -> str:
    """The document as YAML, keys in build order, so regenerating gives the same bytes."""
    return yaml.dump(
        build_asyncapi(),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Write the document, or with ``--check`` fail (exit 1) when the file on disk is stale."""
    parser = argparse.ArgumentParser(
        prog=REGENERATE, description="Generate the AsyncAPI document of sohoa's Kafka events."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the generated one"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    command = REGENERATE if out == DEFAULT_OUT else f"{REGENERATE} --out {out}"
    return write_or_check(render_yaml(), out, check=args.check, regenerate=command)


def _check_flows(events: Sequence[type[Event]]) -> None:
    """Fail loudly when the hand-kept table and the models disagree, rather than omit a topic."""
    missing = [event.__name__ for event in events if event not in FLOWS]
    if missing:
        raise LookupError(
            f"event(s) {', '.join(missing)} in ALL_EVENTS have no entry in FLOWS of "
            "services/ops/asyncapi.py: add who publishes and who consumes them"
        )
    stale = [event.__name__ for event in FLOWS if event not in events]
    if stale:
        raise LookupError(
            f"FLOWS in services/ops/asyncapi.py lists {', '.join(stale)}, not in ALL_EVENTS"
        )
    for event in events:
        match = TOPIC_PATTERN.fullmatch(event.TOPIC)
        if match is None:
            raise ValueError(
                f"{event.__name__}.TOPIC {event.TOPIC!r} is not sohoa.<producer>.<event>.v<N>"
            )
        if match["producer"] != FLOWS[event].producer.name:
            raise ValueError(
                f"{event.__name__} is published by {FLOWS[event].producer.name} in FLOWS "
                f"but its topic {event.TOPIC} names {match['producer']}"
            )


def _check_envelope_headers() -> None:
    """The headers described must be exactly those the envelope writes."""
    sample = Envelope(
        id="",
        source="",
        type="",
        time=datetime(2000, 1, 1, tzinfo=UTC),
        subject="",
        correlation_id="",
    )
    written = [name for name, _ in sample.to_headers()]
    if written != list(CLOUDEVENTS_HEADERS):
        raise ValueError(
            f"Envelope.to_headers() writes {written}, CLOUDEVENTS_HEADERS in "
            f"services/ops/asyncapi.py describes {list(CLOUDEVENTS_HEADERS)}"
        )


def _schemas(events: Sequence[type[Event]]) -> tuple[dict[type[Event], str], Json]:
    """Each event's ``$ref``, and the JSON schema of every model as on the wire (serialization).

    Generated in one go, so pydantic gives distinct names to distinct models of one name, and
    its ``$defs`` land in ``components.schemas`` with the refs already pointing there.
    """
    top_refs, top = models_json_schema(
        [(event, "serialization") for event in events], ref_template=SCHEMA_REF
    )
    refs = {event: str(top_refs[(event, "serialization")]["$ref"]) for event in events}
    schemas: Json = top.get("$defs", {})
    return refs, schemas


def _info() -> Json:
    text = ABOUT.format(
        regenerate=REGENERATE,
        ce=", ".join(f"`{name}`" for name in CLOUDEVENTS_HEADERS),
        dlq=", ".join(f"`{name}`" for name in DEAD_LETTER_HEADERS),
    )
    return {
        "title": "sohoa events",
        "version": DOCUMENT_VERSION,
        "description": "\n\n".join(_wrap(paragraph) for paragraph in text.split("\n\n")) + "\n",
        "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
    }


def _wrap(paragraph: str) -> str:
    """Refill a paragraph whose header lists vary in length, never breaking inside `code`."""
    words = " ".join(paragraph.split())
    kept = re.sub(r"`[^`]*`", lambda code: code.group().replace(" ", "\0"), words)
    return textwrap.fill(kept, width=96, break_on_hyphens=False).replace("\0", " ")


def _servers() -> Json:
    prefix = str(KafkaSettings.model_config.get("env_prefix", ""))
    bootstrap_env = f"{prefix}BOOTSTRAP_SERVERS"
    embedded_host = str(KafkaSettings.model_fields["bootstrap_servers"].default)
    return {
        "production": {
            "host": "{bootstrap}",
            "protocol": "kafka",
            "title": "Apache Kafka (production)",
            "description": f"The production cluster; its brokers are set by `{bootstrap_env}`. "
            "Topics and their DLQs are created explicitly, never auto-created.",
            "variables": {
                "bootstrap": {"description": f"A bootstrap broker host:port from {bootstrap_env}."}
            },
        },
        "embedded": {
            "host": embedded_host,
            "protocol": "kafka",
            "title": "Tansu (embedded)",
            "description": "Tansu, the Kafka-protocol broker of the single-machine stack and the "
            f"default of `{bootstrap_env}`. It lacks idempotent and transactional producers; "
            "sohoa uses neither.",
        },
    }


def _channel(event: type[Event], flow: Flow, name: str) -> Json:
    readers = ", ".join(party.title for party in flow.consumers)
    return {
        "address": event.TOPIC,
        "title": event.__name__,
        "summary": _summary(event),
        "description": f"Published by {flow.producer.title}; read by {readers}.",
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
    }


def _dead_letter_channel(event: type[Event], flow: Flow, name: str) -> Json:
    writers = ", ".join(party.title for party in flow.consumers if party.internal)
    return {
        "address": dead_letter_topic(event.TOPIC),
        "title": f"{event.__name__} dead letters",
        "summary": f"Messages of {event.TOPIC} that a sohoa consumer could not handle.",
        "description": f"Written by {writers or 'no sohoa service'}; read by operators.",
        "messages": {name: {"$ref": f"#/components/messages/{name}"}},
    }


def _operations(event: type[Event], flow: Flow, name: str, dlq: str) -> Json:
    message = {"$ref": f"#/channels/{name}/messages/{name}"}
    dead = {"$ref": f"#/channels/{dlq}/messages/{dlq}"}
    operations: Json = {
        f"{flow.producer.operation_prefix}Send{event.__name__}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"{flow.producer.name} publishes {event.__name__}.",
            "tags": [{"name": flow.producer.name}],
            "messages": [message],
        }
    }
    for party in flow.consumers:
        operations[f"{party.operation_prefix}Receive{event.__name__}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"{party.name} reads {event.__name__}"
            + ("; idempotent, offset committed after success." if party.internal else "."),
            "tags": [{"name": party.name}],
            "messages": [message],
        }
    for party in flow.consumers:
        if party.internal:
            operations[f"{party.operation_prefix}DeadLetter{event.__name__}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{dlq}"},
                "summary": f"{party.name} dead-letters a {event.__name__} it cannot handle.",
                "tags": [{"name": party.name}],
                "messages": [dead],
            }
    return operations


def _message(event: type[Event], ref: str, schemas: Json) -> Json:
    key = _key_schema(event, schemas[ref.rsplit("/", 1)[-1]])
    headers = {name: dict(schema) for name, schema in CLOUDEVENTS_HEADERS.items()}
    headers["ce_type"] = {**headers["ce_type"], "const": event.TOPIC}
    headers["ce_subject"] = {**headers["ce_subject"], "description": key["description"]}
    return {
        "name": event.__name__,
        "title": event.__name__,
        "summary": _summary(event),
        "contentType": CONTENT_TYPE,
        "correlationId": {
            "description": "Ties the events of one chain together.",
            "location": "$message.header#/ce_correlationid",
        },
        "headers": {
            "type": "object",
            "description": "CloudEvents 1.0 attributes (binary mode); values are UTF-8 strings.",
            "required": list(headers),
            "properties": headers,
        },
        "payload": {"$ref": ref},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _dead_letter_message(event: type[Event], ref: str) -> Json:
    return {
        "name": f"{event.__name__}DeadLetter",
        "title": f"{event.__name__} (dead letter)",
        "summary": f"A {event.__name__} message as it was read, with the reason it failed.",
        "description": "Key, body and the original headers are copied unchanged, so a message "
        "dead-lettered because it did not parse may not match the payload schema.",
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "description": "The original headers (CloudEvents `ce_*`), then these.",
            "required": list(DEAD_LETTER_HEADERS),
            "properties": {
                **{name: dict(schema) for name, schema in DEAD_LETTER_HEADERS.items()},
                "dlq_original_topic": {
                    **DEAD_LETTER_HEADERS["dlq_original_topic"],
                    "const": event.TOPIC,
                },
            },
        },
        "payload": {"$ref": ref},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original key; empty if it had none."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _key_schema(event: type[Event], payload: Json) -> Json:
    """The key is a payload field, so its schema is that field's, with why it is the key."""
    if issubclass(event, PageEvent):
        field, why = "page_id", "The page id: spreads pages, and OCR load, over partitions."
    elif issubclass(event, FileEvent):
        field, why = "file_code", "The file code (mã hồ sơ): keeps one hồ sơ's events in order."
    elif event is DeadLetterReplayed:
        field, why = "dead_letter_id", "The dead letter replayed: one record per letter."
    else:
        raise TypeError(
            f"{event.__name__} is neither a PageEvent nor a FileEvent: what is its key?"
        )
    properties: Json = payload["properties"]
    schema = {k: v for k, v in properties[field].items() if k not in ("title", "description")}
    return {**schema, "description": why}


def _summary(event: type[Event]) -> str:
    """The first line of the model's own docstring (not an inherited one)."""
    doc = event.__dict__.get("__doc__")
    return doc.strip().splitlines()[0] if isinstance(doc, str) and doc.strip() else event.__name__


def _camel(class_name: str) -> str:
    return class_name[:1].lower() + class_name[1:]


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors or aliases, multi-line text as ``|`` blocks."""

    def ignore_aliases(self, _data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


if __name__ == "__main__":
    raise SystemExit(main())
