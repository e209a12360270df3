"""The ingest service as a process over the real broker with the S3 adapter (moto's server):
a page, a multi-page TIFF and a re-scan stored in the bucket (page events are keyed by page
id, so they come in page order only within a partition); a bad scan leaves nothing in it
and only its page-rejected event on the broker; many scans in one multipart request are taken
all together or not at all. (The e2e tests cover the local adapter.)"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from minio import Minio
from PIL import Image

from services.ingest.domain import original_key
from services.ops.broker import TansuBroker, free_port
from services.ops.stack import ServiceProcess
from shared.config import KafkaSettings, StorageSettings
from shared.events import FileStateChanged, PageIngested, PageRejected
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from shared.objectstore import S3Store
from tests.support.ingest import image_bytes
from tests.support.originals import original_of

pytestmark = pytest.mark.integration
CODE = "H49.64.33.2024.S3"
OTHER = "H49.64.33.2024.S3.KHAC"  # a hồ sơ of its own: the broker is shared by the tests
MULTI = "H49.64.33.2024.S3.NHIEU"
MAX_PARTS = 4  # low, so a request over it is cheap to send
MAX_BYTES = 32 * 1024 * 1024  # above the two-page TIFF below (23 MB)


@pytest.fixture
def ingest(
    kafka_broker: TansuBroker, s3_settings: StorageSettings, tmp_path: Path
) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(
        {
            "SOHOA_KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
            "SOHOA_STORAGE_BACKEND": "s3",
            "SOHOA_STORAGE_S3_ENDPOINT": s3_settings.s3_endpoint,
            "SOHOA_STORAGE_S3_ACCESS_KEY": s3_settings.s3_access_key.get_secret_value(),
            "SOHOA_STORAGE_S3_SECRET_KEY": s3_settings.s3_secret_key.get_secret_value(),
            "SOHOA_STORAGE_BUCKET_PREFIX": s3_settings.bucket_prefix,
            "SOHOA_INGEST_PORT": str(port),
            "SOHOA_INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'ingest.db'}",
            "SOHOA_INGEST_MAX_PARTS": str(MAX_PARTS),
            "SOHOA_INGEST_MAX_UPLOAD_BYTES": str(MAX_BYTES),
        }
    )
    service = ServiceProcess("ingest", port, env, tmp_path / "ingest.log")
    service.start()
    try:
        service.wait_ready(time.monotonic() + 120)
        yield service
    finally:
        service.stop()


async def _announce(
    bootstrap: str, version: int, rescan: tuple[int, ...] = (), code: str = CODE
) -> None:
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    await ensure_topics(settings, topics_for([FileStateChanged, PageIngested, PageRejected]))
    async with KafkaPublisher.open(settings, source="test") as publisher:
        await publisher.publish(
            FileStateChanged(
                file_code=code,
                from_state="approved",
                to_state="rescan_requested" if rescan else "digitizing",
                version=version,
                client="test",
                reason="test",
                at=datetime.now(UTC),
                arranged=True,
                open_for_scanning=True,
                number_of_page=5,
                rescan_sequences=rescan,
            )
        )


async def _events(bootstrap: str, topic: str, code: str, count: int) -> list[bytes]:
    """The events of hồ sơ ``code`` on ``topic``, read until ``count`` have come and one read
    more: the outbox relay sends them a moment after the response (it lingers for more), and
    the broker holds other tests' events too."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        more = True  # once ``count`` have come, one read more: an extra one would show
        while more and time.monotonic() < deadline:
            more = len(found) < count
            batches = await consumer.getmany(timeout_ms=1000)
            values = [r.value for records in batches.values() for r in records if r.value]
            found += [v for v in values if json.loads(v)["file_code"] == code]
        return found
    finally:
        await consumer.stop()


def _wait(client: httpx.Client, rescan: tuple[int, ...] = (), code: str = CODE) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        gate = client.get(f"/api/v1/files/{code}/scanning")
        if gate.status_code == 200 and tuple(gate.json()["rescan_sequences"]) == rescan:
            return
        time.sleep(0.1)  # poll interval while ingest hears of the hồ sơ
    raise AssertionError("ingest never heard of the hồ sơ")


def _originals(s3_settings: StorageSettings) -> tuple[Minio, str]:
    """A plain S3 client of the test's own and ingest's originals bucket, to look behind it."""
    minio = Minio(
        s3_settings.s3_endpoint,
        access_key=s3_settings.s3_access_key.get_secret_value(),
        secret_key=s3_settings.s3_secret_key.get_secret_value(),
        secure=False,
    )
    return minio, f"{s3_settings.bucket_prefix}-originals"


def _keys(minio: Minio, bucket: str) -> set[str]:
    """Every key in ``bucket``; none before ingest made it."""
    if not minio.bucket_exists(bucket):
        return set()
    return {o.object_name or "" for o in minio.list_objects(bucket, recursive=True)}


def test_pages_containers_and_rescans_in_s3(
    ingest: ServiceProcess, kafka_broker: TansuBroker, s3_settings: StorageSettings
) -> None:
    minio, bucket = _originals(s3_settings)

    asyncio.run(_announce(kafka_broker.bootstrap, 1))
    with httpx.Client(base_url=ingest.url, timeout=60) as client:
        _wait(client)
        one = image_bytes(colour="red")
        page = client.post(f"/api/v1/files/{CODE}/pages", params={"sequence": 1}, content=one)
        assert page.status_code == 201, page.text
        frames = [Image.new("RGB", (1654, 2339), shade) for shade in ("white", "ivory")]
        tiff = io.BytesIO()
        frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
        container = client.post(
            f"/api/v1/files/{CODE}/pages", params={"sequence": 2}, content=tiff.getvalue()
        )
        assert container.status_code == 201, container.text
        assert [p["sequence"] for p in container.json()["pages"]] == [2, 3]

        before = _keys(minio, bucket)
        refused = client.post(
            f"/api/v1/files/{CODE}/pages",
            params={"sequence": 4},
            content=image_bytes(size=(595, 842), dpi=72),
        )
        assert refused.status_code == 422
        assert refused.json()["code"] == "ingest.resolution-too-low"
        empty = client.post(f"/api/v1/files/{CODE}/pages", params={"sequence": 4}, content=b"")
        assert empty.json()["code"] == "ingest.empty-upload"
        assert _keys(minio, bucket) == before  # nothing stored of a refused scan
        assert len(before) == 4  # page 1, the container and its two pages

        asyncio.run(_announce(kafka_broker.bootstrap, 2, rescan=(1,)))
        _wait(client, rescan=(1,))
        rescan = client.post(
            f"/api/v1/files/{CODE}/pages",
            params={"sequence": 1},
            content=image_bytes(colour="blue"),
        )
        assert rescan.status_code == 201, rescan.text
        assert rescan.json()["version"] == 2
        kept = minio.get_object(bucket, original_of(page.json())).read()
        assert hashlib.sha256(kept).hexdigest() == page.json()["sha256"]
        assert original_of(rescan.json()) in _keys(minio, bucket)

    ingested = asyncio.run(_events(kafka_broker.bootstrap, PageIngested.TOPIC, CODE, 4))
    rejected = asyncio.run(_events(kafka_broker.bootstrap, PageRejected.TOPIC, CODE, 2))
    ours = [PageIngested.model_validate_json(v) for v in ingested]
    assert sorted((e.sequence, e.version) for e in ours) == [(1, 1), (1, 2), (2, 1), (3, 1)]
    codes = [PageRejected.model_validate_json(v) for v in rejected]
    assert sorted(e.code for e in codes) == [
        "ingest.empty-upload",
        "ingest.resolution-too-low",
    ]


def test_a_kept_original_that_is_not_what_its_key_names_is_never_trusted(
    ingest: ServiceProcess, kafka_broker: TansuBroker, s3_settings: StorageSettings
) -> None:
    """Something other than ingest put other bytes at the key a scan would take: the upload is
    refused with its code and a page-rejected event, and the kept object is left as it was."""
    minio, bucket = _originals(s3_settings)
    scan = image_bytes(colour="blue")
    key = original_key(OTHER, 5, hashlib.sha256(scan).hexdigest(), "image/png")
    intruder = b"not the scan"
    # another version written over the key by someone with the bucket's keys
    overwritten = S3Store(minio, bucket).put(
        key, io.BytesIO(intruder), content_type="image/png", overwrite=True
    )
    asyncio.run(overwritten)

    asyncio.run(_announce(kafka_broker.bootstrap, 1, code=OTHER))
    with httpx.Client(base_url=ingest.url, timeout=60) as client:
        _wait(client, code=OTHER)
        refused = client.post(f"/api/v1/files/{OTHER}/pages", params={"sequence": 5}, content=scan)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "ingest.stored-original-differs"
        assert client.get(f"/api/v1/files/{OTHER}/pages").json() == []
    kept = minio.get_object(bucket, key)
    try:
        assert kept.read() == intruder
    finally:
        kept.close()
        kept.release_conn()
    rejected = [
        PageRejected.model_validate_json(raw)
        for raw in asyncio.run(_events(kafka_broker.bootstrap, PageRejected.TOPIC, OTHER, 1))
    ]
    assert [(r.sequence, r.code) for r in rejected] == [(5, "ingest.stored-original-differs")]


def test_many_scans_in_one_multipart_request_are_taken_all_together_or_not_at_all(
    ingest: ServiceProcess, kafka_broker: TansuBroker, s3_settings: StorageSettings
) -> None:
    """Three parts become pages 1–3 in part order, each stored and announced; sending the
    request again answers 200 with the same pages; a bad part, a multi-page TIFF among the
    parts or too many parts refuse the whole request with the part named, storing nothing."""
    minio, bucket = _originals(s3_settings)

    url = f"/api/v1/files/{MULTI}/pages"
    scans = [image_bytes(colour=c) for c in ("red", "green", "blue")]
    files = [("page", (f"{n:04d}.png", body, "image/png")) for n, body in enumerate(scans, 1)]
    asyncio.run(_announce(kafka_broker.bootstrap, 1, code=MULTI))
    with httpx.Client(base_url=ingest.url, timeout=60) as client:
        _wait(client, code=MULTI)
        taken = client.post(url, params={"sequence": 1, "station": "T1"}, files=files)
        assert taken.status_code == 201, taken.text
        pages = taken.json()["pages"]
        assert [(p["sequence"], p["station"]) for p in pages] == [(1, "T1"), (2, "T1"), (3, "T1")]
        assert [p["sha256"] for p in pages] == [hashlib.sha256(s).hexdigest() for s in scans]
        for page, body in zip(pages, scans, strict=True):
            kept = minio.get_object(bucket, original_of(page))
            try:
                assert kept.read() == body
            finally:
                kept.close()
                kept.release_conn()

        again = client.post(url, params={"sequence": 1, "station": "T1"}, files=files)
        assert again.status_code == 200, again.text
        assert [p["page_id"] for p in again.json()["pages"]] == [p["page_id"] for p in pages]

        before = _keys(minio, bucket)
        low = image_bytes(size=(595, 842), dpi=72)
        bad = [
            ("page", ("0004.png", image_bytes(colour="navy"), "image/png")),
            ("page", ("0005.png", low, "image/png")),
            ("page", ("0006.png", image_bytes(colour="olive"), "image/png")),
        ]
        refused = client.post(url, params={"sequence": 4}, files=bad)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["code"] == "ingest.resolution-too-low"
        assert (problem["part"], problem["file_name"]) == (2, "0005.png")
        assert "0005.png" in problem["detail"]

        frames = [Image.new("RGB", (1654, 2339), shade) for shade in ("white", "ivory")]
        tiff = io.BytesIO()
        frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
        mixed = [bad[0], ("page", ("0005.tif", tiff.getvalue(), "image/tiff"))]
        container = client.post(url, params={"sequence": 4}, files=mixed)
        assert container.status_code == 415, container.text
        assert (container.json()["code"], container.json()["part"]) == (
            "ingest.container-in-multipart",
            2,
        )

        many = [
            ("page", (f"{n:04d}.png", image_bytes(colour=(n, 0, 0)), "image/png"))
            for n in range(4, 9)
        ]
        too_many = client.post(url, params={"sequence": 4}, files=many)
        assert too_many.status_code == 400, too_many.text
        assert too_many.json()["code"] == "ingest.too-many-parts"
        large = [bad[0], ("page", ("0005.png", b"\x89PNG" + bytes(MAX_BYTES), "image/png"))]
        too_large = client.post(url, params={"sequence": 4}, files=large)
        assert too_large.status_code == 413, too_large.text
        assert (too_large.json()["code"], too_large.json()["part"]) == (
            "ingest.upload-too-large",
            2,
        )

        assert _keys(minio, bucket) == before  # nothing stored of a refused request
        listed = client.get(url).json()
        assert [p["sequence"] for p in listed] == [1, 2, 3]

    ingested = asyncio.run(_events(kafka_broker.bootstrap, PageIngested.TOPIC, MULTI, 3))
    announced = sorted(
        (e.sequence, e.sha256) for e in map(PageIngested.model_validate_json, ingested)
    )
    assert announced == [(p["sequence"], p["sha256"]) for p in pages]
    rejected = asyncio.run(_events(kafka_broker.bootstrap, PageRejected.TOPIC, MULTI, 4))
    refusals = sorted(
        (e.code, e.sequence, e.file_name) for e in map(PageRejected.model_validate_json, rejected)
    )
    assert refusals == [
        ("ingest.container-in-multipart", 5, "0005.tif"),
        ("ingest.resolution-too-low", 5, "0005.png"),
        ("ingest.too-many-parts", 4, None),
        ("ingest.upload-too-large", 5, "0005.png"),
    ]
