from __future__ import annotations

import uuid

import pytest

from shared.envelope import Envelope, decode_body, encode_body
from shared.errors import BadMessage
from shared.events import PageIngested, PageProcessed

pytestmark = pytest.mark.unit


def _page() -> PageIngested:
    return PageIngested(
        file_code="H49.64.33.2001.160",
        page_id=uuid.uuid4(),
        sequence=1,
        object_key="H49.64.33.2001.160/0001-0123456789abcdef.png",
        sha256="0" * 64,
        size=10,
        media_type="image/png",
        width=2480,
        height=3508,
        dpi=300,
    )


def test_event_and_envelope_round_trip_through_kafka_headers_and_body() -> None:
    event = _page()
    envelope = Envelope.new(event, source="sohoa-ingest", correlation_id="req-1")
    headers = envelope.to_headers()
    assert dict(headers)["ce_type"] == b"sohoa.ingest.page-ingested.v1"
    assert dict(headers)["ce_subject"] == str(event.page_id).encode()
    assert Envelope.from_headers(headers) == envelope
    assert decode_body(PageIngested, encode_body(event)) == event


def test_text_in_events_is_normalised_to_nfc() -> None:
    decomposed = "Lu\u031bu tru\u031b\u0303"
    event = PageProcessed(
        file_code="H49.1",
        page_id=uuid.uuid4(),
        sequence=1,
        text=decomposed,
        text_key="k",
        hocr_key="h",
        engine="tesseract",
        seconds=1.0,
    )
    assert event.text == "Lưu trữ"


def test_missing_cloudevents_header_is_a_bad_message() -> None:
    headers = [h for h in Envelope.new(_page(), source="s").to_headers() if h[0] != "ce_id"]
    with pytest.raises(BadMessage):
        Envelope.from_headers(headers)


@pytest.mark.parametrize("body", [None, b"", b"not json", b'{"file_code": "bad code"}'])
def test_body_that_does_not_fit_the_model_is_a_bad_message(body: bytes | None) -> None:
    with pytest.raises(BadMessage):
        decode_body(PageIngested, body)


def test_consumers_ignore_fields_they_do_not_know() -> None:
    body = _page().model_dump(mode="json") | {"added_in_a_later_version": 1}
    parsed = PageIngested.model_validate(body)
    assert parsed.file_code == "H49.64.33.2001.160"
