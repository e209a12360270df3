"""The AsyncAPI document is the contract other teams read: it must match the models exactly."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from services.ops import asyncapi
from shared.envelope import Envelope, encode_body
from shared.events import (
    ALL_EVENTS,
    AcceptedPage,
    BatchClosed,
    DeadLetterReplayed,
    Event,
    FileAccepted,
    FileStateChanged,
    FixityFailed,
    PackageFailed,
    PackageReady,
    PackageReceipt,
    PageEvent,
    PageFailed,
    PageIngested,
    PageProcessed,
    PageQualityReport,
    PageReadRequested,
    PageRejected,
    RejectedItem,
    dead_letter_topic,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "docs" / "asyncapi.yaml"
DOC_URI = "https://sohoa.invalid/asyncapi.json"

FILE_CODE = "H49.64.33.2001.160"
TITLE = "Hồ sơ về công tác số hóa tài liệu năm 2024"
PAGE_1 = UUID("6f1d2c3a-4b5e-4f60-8a71-92b3c4d5e6f7")
PAGE_2 = UUID("0c9e8d7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f")
SCAN_1 = hashlib.sha256(b"trang 1: to trinh so hoa").hexdigest()
SCAN_2 = hashlib.sha256(b"trang 2: danh muc tai lieu").hexdigest()
ICT = timezone(timedelta(hours=7))

EXAMPLES: tuple[Event, ...] = (
    DeadLetterReplayed(
        dead_letter_id="sohoa.ocr.page-processed.v1.dlq:2:17",
        original_topic="sohoa.ocr.page-processed.v1",
        event_id="2b1c7e0a-8f4d-4c1e-9a6b-3d5e7f901234",
        code="internal.unhandled",
        replayed_by="vpubnd/Nguyễn Văn An",
        replayed_at=datetime(2026, 12, 2, 9, 15, tzinfo=ICT),
    ),
    PageIngested(
        file_code=FILE_CODE,
        page_id=PAGE_1,
        sequence=1,
        object_key=f"originals/{FILE_CODE}/0001.tif",
        sha256=SCAN_1,
        size=48_213_504,
        media_type="image/tiff",
        width=4961,
        height=7016,
        dpi=600,
    ),
    PageIngested(  # a phone capture: no DPI in the file
        file_code=FILE_CODE,
        page_id=PAGE_2,
        sequence=2,
        object_key=f"originals/{FILE_CODE}/0002.jpg",
        sha256=SCAN_2,
        size=3_145_728,
        media_type="image/jpeg",
        width=3024,
        height=4032,
    ),
    PageReadRequested(  # stored an hour ago and still unread: asked for again
        file_code=FILE_CODE,
        page_id=PAGE_1,
        sequence=1,
        object_key=f"originals/{FILE_CODE}/0001.tif",
        sha256=SCAN_1,
    ),
    PageProcessed(
        file_code=FILE_CODE,
        page_id=PAGE_1,
        sequence=1,
        text="ỦY BAN NHÂN DÂN TỈNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\nTỜ TRÌNH về việc số hóa tài liệu lưu trữ",
        text_key=f"derivatives/{FILE_CODE}/0001.txt",
        hocr_key=f"derivatives/{FILE_CODE}/0001.hocr",
        confidence=91.4,
        engine="tesseract 5.3.4 vie",
        seconds=12.7,
    ),
    PageProcessed(  # a blank page: no words, so no confidence
        file_code=FILE_CODE,
        page_id=PAGE_2,
        sequence=2,
        text="",
        text_key=f"derivatives/{FILE_CODE}/0002.txt",
        hocr_key=f"derivatives/{FILE_CODE}/0002.hocr",
        engine="tesseract 5.3.4 vie",
        seconds=3.1,
        quality=PageQualityReport(
            effective_dpi=300.0,
            rotation=180,
            skew=-2.35,
            residual_skew=0.05,
            blur=1520.4,
            contrast=201.0,
            ink_coverage=0.0012,
            colour=True,
            flags=("blank-page",),
        ),
    ),
    PageRejected(
        file_code=FILE_CODE,
        sequence=4,
        code="ingest.resolution-too-low",
        detail="72 dpi < 200 dpi",
        sha256="ab" * 32,
        file_name="0004.tif",
        station="Trạm 2",
        at=datetime(2025, 5, 14, 9, 30, tzinfo=UTC),
    ),
    BatchClosed(
        file_code=FILE_CODE,
        batch_id=UUID("5b1f6a8e-0c1d-4e55-9a2b-3c4d5e6f7a8b"),
        declared_pages=5,
        received=5,
        gaps=(3,),
        duplicates=(),
        extras=(6,),
        complete=False,
        at=datetime(2025, 5, 14, 10, 0, tzinfo=UTC),
    ),
    PageFailed(
        file_code=FILE_CODE,
        page_id=PAGE_2,
        sequence=2,
        reason_code="ocr.unreadable-image",
        detail="cannot decode 0002.jpg: image file is truncated",
    ),
    FileStateChanged(
        file_code=FILE_CODE,
        from_state="selected",
        to_state="approved",
        version=3,
        person="Lê Văn Hân",
        client="vpubnd",
        reason="Quyết định số 103/QĐ-UBND ngày 05/3/2026",
        at=datetime(2026, 3, 5, 14, 0, tzinfo=ICT),
        arranged=True,
        open_for_scanning=True,
        number_of_page=24,
    ),
    FileAccepted(
        file_code=FILE_CODE,
        title=TITLE,
        accepted_by="Nguyễn Thị Hương",
        accepted_at=datetime(2024, 11, 5, 9, 30, tzinfo=ICT),
        pages=(
            AcceptedPage(
                page_id=PAGE_1,
                sequence=1,
                object_key=f"originals/{FILE_CODE}/0001.tif",
                sha256=SCAN_1,
                media_type="image/tiff",
                text_key=f"derivatives/{FILE_CODE}/0001.txt",
                hocr_key=f"derivatives/{FILE_CODE}/0001.hocr",
            ),
            AcceptedPage(
                page_id=PAGE_2,
                sequence=2,
                object_key=f"originals/{FILE_CODE}/0002.jpg",
                sha256=SCAN_2,
                media_type="image/jpeg",
                text_key=f"derivatives/{FILE_CODE}/0002.txt",
                hocr_key=f"derivatives/{FILE_CODE}/0002.hocr",
            ),
        ),
        metadata={
            "phong": "Văn phòng Ủy ban nhân dân tỉnh",
            "thoi_han_bao_quan": "Vĩnh viễn",
            "che_do_su_dung": "Sử dụng rộng rãi",
            "ngon_ngu": "Tiếng Việt",
        },
    ),
    PackageReady(
        file_code=FILE_CODE,
        package_id=UUID("2b7e1516-28ae-4d2a-abf7-158809cf4f3c"),
        object_key=f"packages/{FILE_CODE}.zip",
        sha256=hashlib.sha256(b"goi ban giao H49.64.33.2001.160").hexdigest(),
        size=51_512_320,
        payload_oxum="51359232.6",
        download_url="http://handover.internal:8004/api/v1/packages/2b7e1516-28ae-4d2a-abf7-158809cf4f3c/download?token=…",
        contents={"pages": 12, "documents": 3, "pdfs": 3, "files": 61},
    ),
    PackageReceipt(
        file_code=FILE_CODE,
        package_id=UUID("2b7e1516-28ae-4d2a-abf7-158809cf4f3c"),
        receipt_id="BN-2026-000123",
        accepted=False,
        sha256=hashlib.sha256(b"goi ban giao H49.64.33.2001.160").hexdigest(),
        reasons=(
            RejectedItem(
                path="representations/rep1/data/originals/0003.png",
                reason="SHA-256 không khớp manifest-sha256.txt",
            ),
        ),
        receiver="reference-receiver",
        at=datetime.fromisoformat("2026-11-24T09:30:00+07:00"),
    ),
    FixityFailed(
        file_code=FILE_CODE,
        area="originals",
        object_key=f"{FILE_CODE}/0003.png",
        expected_sha256=hashlib.sha256(b"trang 3").hexdigest(),
        actual_sha256=hashlib.sha256(b"trang 3, mot byte doi").hexdigest(),
        checked_at=datetime.fromisoformat("2026-12-01T02:00:00+07:00"),
    ),
    PackageFailed(
        file_code=FILE_CODE,
        reason_code="handover.fixity-mismatch",
        detail=f"{FILE_CODE}/0002.png: SHA-256 khác với lúc quét",
        at=datetime.fromisoformat("2026-12-04T10:00:00+07:00"),
    ),
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.build_asyncapi()


def _resolve(document: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer (``#/a/b``) through the document."""
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = document
    for escaped in ref[2:].split("/"):
        token = escaped.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref} does not resolve"
        assert token in node, f"{ref} does not resolve"
        node = node[token]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _channel(document: dict[str, Any], address: str) -> dict[str, Any]:
    found = [c for c in document["channels"].values() if c["address"] == address]
    assert len(found) == 1, f"{len(found)} channels have address {address}"
    channel: dict[str, Any] = found[0]
    return channel


def _message_pointer(document: dict[str, Any], address: str) -> str:
    """The pointer of the one message on a channel, e.g. ``/components/messages/pageIngested``."""
    (message,) = _channel(document, address)["messages"].values()
    ref: str = message["$ref"]
    return ref[1:]


def _validator(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A Draft 2020-12 validator of the schema at ``pointer``, its ``$ref``s resolved in place."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, DRAFT202012.create_resource(document)
    )
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _kebab(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", class_name).lower()


def test_committed_document_is_generated_from_the_models() -> None:
    assert COMMITTED.is_file(), "docs/asyncapi.yaml is missing: python -m services.ops.asyncapi"
    assert COMMITTED.read_text(encoding="utf-8") == asyncapi.render_yaml(), (
        "docs/asyncapi.yaml is stale: regenerate with python -m services.ops.asyncapi"
    )


def test_rendering_is_stable() -> None:
    assert asyncapi.render_yaml() == asyncapi.render_yaml()


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.__name__)
def test_every_event_has_a_channel_and_a_dead_letter_channel(
    document: dict[str, Any], event: type[Event]
) -> None:
    assert _channel(document, event.TOPIC)["address"] == event.TOPIC
    assert _channel(document, dead_letter_topic(event.TOPIC))["address"] == f"{event.TOPIC}.dlq"


def test_channels_are_exactly_the_topics_and_their_dead_letters(document: dict[str, Any]) -> None:
    expected = {t for e in ALL_EVENTS for t in (e.TOPIC, dead_letter_topic(e.TOPIC))}
    assert sorted(c["address"] for c in document["channels"].values()) == sorted(expected)


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    refs = _refs(document)
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_operations_use_messages_of_their_own_channel(document: dict[str, Any]) -> None:
    for name, operation in document["operations"].items():
        channel_ref: str = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel_ref}/messages/"), name


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.__name__)
def test_every_topic_is_published_and_read(document: dict[str, Any], event: type[Event]) -> None:
    channel_ref = next(
        f"#/channels/{name}"
        for name, channel in document["channels"].items()
        if channel["address"] == event.TOPIC
    )
    actions = [
        op["action"]
        for op in document["operations"].values()
        if op["channel"]["$ref"] == channel_ref
    ]
    flow = asyncapi.FLOWS[event]
    assert actions.count("send") == 1
    assert actions.count("receive") == len(flow.consumers) >= 1


def test_examples_cover_every_event() -> None:
    missing = {e.__name__ for e in ALL_EVENTS} - {type(x).__name__ for x in EXAMPLES}
    assert not missing, f"add an example instance of {sorted(missing)} to EXAMPLES"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda x: type(x).__name__)
def test_payload_schema_validates_a_real_event(document: dict[str, Any], example: Event) -> None:
    pointer = _message_pointer(document, example.TOPIC)
    Draft202012Validator.check_schema(_resolve(document, f"#{pointer}/payload"))
    wire = json.loads(encode_body(example))
    _validator(document, f"{pointer}/payload").validate(wire)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda x: type(x).__name__)
def test_dead_letter_payload_is_the_original_body(document: dict[str, Any], example: Event) -> None:
    pointer = _message_pointer(document, dead_letter_topic(example.TOPIC))
    _validator(document, f"{pointer}/payload").validate(json.loads(encode_body(example)))


@pytest.mark.parametrize("example", EXAMPLES[1:2] + EXAMPLES[-2:], ids=lambda x: type(x).__name__)
def test_payload_schema_rejects_a_broken_event(document: dict[str, Any], example: Event) -> None:
    validator = _validator(document, f"{_message_pointer(document, example.TOPIC)}/payload")
    wire = json.loads(encode_body(example))
    assert not validator.is_valid({**wire, "file_code": 42})
    del wire["file_code"]
    assert not validator.is_valid(wire)


def test_nested_schemas_are_enforced_through_refs(document: dict[str, Any]) -> None:
    accepted = next(x for x in EXAMPLES if isinstance(x, FileAccepted))
    validator = _validator(document, f"{_message_pointer(document, FileAccepted.TOPIC)}/payload")
    wire = json.loads(encode_body(accepted))
    wire["pages"][0]["page_id"] = "trang-1"
    assert not validator.is_valid(wire)
    del wire["pages"][0]["page_id"]
    assert not validator.is_valid(wire)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda x: type(x).__name__)
def test_headers_and_key_describe_what_the_envelope_writes(
    document: dict[str, Any], example: Event
) -> None:
    pointer = _message_pointer(document, example.TOPIC)
    envelope = Envelope.new(example, source=f"sohoa-{asyncapi.FLOWS[type(example)].producer.name}")
    headers = {name: value.decode() for name, value in envelope.to_headers()}
    described = _resolve(document, f"#{pointer}/headers")["properties"]
    assert list(described) == list(headers)
    _validator(document, f"{pointer}/headers").validate(headers)
    _validator(document, f"{pointer}/bindings/kafka/key").validate(example.partition_key())
    assert headers["ce_subject"] == example.partition_key()
    wrong_type = {**headers, "ce_type": dead_letter_topic(example.TOPIC)}
    assert not _validator(document, f"{pointer}/headers").is_valid(wrong_type)


def test_dead_letter_headers_match_the_consumer_runner(document: dict[str, Any]) -> None:
    source = (REPO / "shared" / "consumer.py").read_text(encoding="utf-8")
    written = re.findall(r'\("(dlq_[a-z_]+)",', source)
    assert written, "shared/consumer.py no longer writes dlq_* headers as expected"
    for event in ALL_EVENTS:
        pointer = _message_pointer(document, dead_letter_topic(event.TOPIC))
        headers = _resolve(document, f"#{pointer}/headers")
        assert list(headers["properties"]) == written
        assert headers["required"] == written


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.__name__)
def test_topic_is_named_after_its_producer_and_class(event: type[Event]) -> None:
    match = re.fullmatch(
        r"sohoa\.(?P<producer>[a-z]+)\.(?P<event>[a-z]+(?:-[a-z]+)*)\.v(?P<version>[1-9][0-9]*)",
        event.TOPIC,
    )
    assert match, f"{event.TOPIC} is not sohoa.<producer>.<event-kebab>.v<N>"
    assert match["event"] == _kebab(event.__name__)
    assert match["producer"] == asyncapi.FLOWS[event].producer.name


def test_kebab_case_of_class_names() -> None:
    assert _kebab("PageIngested") == "page-ingested"
    assert _kebab("FileAccepted") == "file-accepted"


class UnlistedEvent(PageEvent):
    """An event added to the models but not to the producer/consumer table."""

    TOPIC: ClassVar[str] = "sohoa.ocr.unlisted-event.v1"


def test_an_event_missing_from_the_flow_table_fails_loudly() -> None:
    with pytest.raises(LookupError, match=r"UnlistedEvent.*FLOWS"):
        asyncapi.build_asyncapi((*ALL_EVENTS, UnlistedEvent))


def test_a_table_entry_without_an_event_fails_loudly() -> None:
    with pytest.raises(LookupError, match=ALL_EVENTS[0].__name__):
        asyncapi.build_asyncapi(ALL_EVENTS[1:])


def test_main_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs" / "asyncapi.yaml"
    assert asyncapi.main(["--check", "--out", str(out)]) == 1
    assert asyncapi.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == asyncapi.render_yaml()
    assert asyncapi.main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace(".v1", ".v2", 1), encoding="utf-8")
    capsys.readouterr()
    assert asyncapi.main(["--check", "--out", str(out)]) == 1
    hint = capsys.readouterr().err
    assert "python -m services.ops.asyncapi" in hint
    assert hint.count("\n") == 1
