"""CloudEvents 1.0 in Kafka binary content mode: attributes in headers, JSON payload in the body.

Ten lines of mapping are simpler than a CloudEvents SDK, and any SDK on the receiving side
(the national archive) reads the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from uuid import uuid4

from pydantic import ValidationError

from shared.errors import BadMessage
from shared.events import Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
Headers = Sequence[tuple[str, bytes]]
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents attributes of one message. ``type`` equals the topic."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str
    correlation_id: str

    @classmethod
    def new(cls, event: Event, *, source: str, correlation_id: str | None = None) -> Envelope:
        event_id = str(uuid4())
        return cls(
            id=event_id,
            source=source,
            type=event.TOPIC,
            time=datetime.now(UTC),
            subject=event.partition_key(),
            correlation_id=correlation_id or event_id,
        )

    def to_headers(self) -> list[tuple[str, bytes]]:
        pairs = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            "ce_correlationid": self.correlation_id,
            "content-type": CONTENT_TYPE,
        }
        return [(name, value.encode()) for name, value in pairs.items()]

    @classmethod
    def from_headers(cls, headers: Headers) -> Envelope:
        found = {name: value.decode("utf-8", "replace") for name, value in headers}
        try:
            if found["ce_specversion"] != SPEC_VERSION:
                raise BadMessage(f"unsupported CloudEvents version {found['ce_specversion']!r}")
            return cls(
                id=found["ce_id"],
                source=found["ce_source"],
                type=found["ce_type"],
                time=datetime.fromisoformat(found["ce_time"]),
                subject=found.get("ce_subject", ""),
                correlation_id=found.get("ce_correlationid") or found["ce_id"],
            )
        except (KeyError, ValueError) as exc:
            raise BadMessage(f"missing or invalid CloudEvents header: {exc}") from exc


def encode_body(event: Event) -> bytes:
    return event.model_dump_json().encode()


def decode_body(event_type: type[E], body: bytes | None) -> E:
    """Parse a payload; anything that does not fit the model is permanent (:class:`BadMessage`)."""
    if body is None:
        raise BadMessage("empty message body")
    try:
        return event_type.model_validate_json(body)
    except ValidationError as exc:
        raise BadMessage(f"{event_type.__name__}: {exc.error_count()} invalid field(s)") from exc
