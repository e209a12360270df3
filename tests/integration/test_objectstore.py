"""Both object-store adapters honour one contract: streaming put with SHA-256 and size,
write-once unless asked, streamed download, clear errors. S3 runs against moto's server."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.error import S3Error
from minio.objectlockconfig import DAYS

from shared.config import ObjectLockMode, StorageSettings
from shared.objectstore import (
    InvalidObjectKey,
    LocalStore,
    ObjectExists,
    ObjectMissing,
    ObjectStore,
    S3Store,
    open_store,
)

pytestmark = pytest.mark.integration
StoreFactory = Callable[[], Awaitable[ObjectStore]]


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return await open_store(StorageSettings(root=tmp_path / "objects"), "originals")
    settings: StorageSettings = request.getfixturevalue("s3_settings")
    return await open_store(settings, "originals")


@pytest.mark.parametrize("from_file", [False, True], ids=["stream", "file"])
async def test_put_returns_sha256_and_size_and_download_streams_the_same_bytes(
    store: ObjectStore, tmp_path: Path, from_file: bool
) -> None:
    """From a stream of unknown length, and from a file whose length S3 is told up front."""
    data = os.urandom(40 * 1024 * 1024 + 123)  # larger than one S3 multipart part
    (tmp_path / "upload").write_bytes(data)
    source: BinaryIO = (
        await asyncio.to_thread(open, tmp_path / "upload", "rb") if from_file else io.BytesIO(data)
    )
    with source:
        stored = await store.put("H49.1/0001-abc.tif", source, content_type="image/tiff")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    fetched = await store.download("H49.1/0001-abc.tif", tmp_path / "copy")
    assert fetched.sha256 == stored.sha256
    assert (tmp_path / "copy").read_bytes() == data


async def test_originals_are_write_once(store: ObjectStore) -> None:
    await store.put("H49.1/a.png", io.BytesIO(b"first"), content_type="image/png")
    with pytest.raises(ObjectExists):
        await store.put("H49.1/a.png", io.BytesIO(b"second"), content_type="image/png")
    assert await store.read_bytes("H49.1/a.png") == b"first"
    if isinstance(store, LocalStore):  # and read-only on disk; a re-creatable one is not
        await store.put("d/page.txt", io.BytesIO(b"v1"), content_type="text/plain", overwrite=True)
        modes = {k: (store.root / k).stat().st_mode & 0o777 for k in ("H49.1/a.png", "d/page.txt")}
        assert modes["H49.1/a.png"] == 0o444
        assert modes["d/page.txt"] & 0o200


async def test_write_once_holds_when_writers_race(store: ObjectStore) -> None:
    """Eight writers at one key at once: one wins, the others are refused, never overwrite
    (a check-then-write would let several through)."""
    bodies = [f"scan {n}".encode() * 1000 for n in range(8)]

    async def put(body: bytes) -> bytes | None:
        try:
            await store.put("H49.1/race.png", io.BytesIO(body), content_type="image/png")
        except ObjectExists:
            return None
        return body

    outcomes = await asyncio.gather(*(put(body) for body in bodies))
    winners = [body for body in outcomes if body is not None]
    assert len(winners) == 1
    assert await store.read_bytes("H49.1/race.png") == winners[0]


async def test_a_local_original_is_left_read_only(tmp_path: Path) -> None:
    store = await open_store(StorageSettings(root=tmp_path / "objects"), "originals")
    await store.put("H49.1/b.png", io.BytesIO(b"scan"), content_type="image/png")
    mode = (tmp_path / "objects" / "originals" / "H49.1" / "b.png").stat().st_mode
    assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0


async def test_overwrite_is_allowed_only_when_asked(store: ObjectStore) -> None:
    await store.put("d/page.txt", io.BytesIO(b"v1"), content_type="text/plain")
    again = await store.put(
        "d/page.txt", io.BytesIO(b"v2"), content_type="text/plain", overwrite=True
    )
    assert again.sha256 == hashlib.sha256(b"v2").hexdigest()
    assert await store.read_bytes("d/page.txt") == b"v2"


async def test_missing_object_and_bad_keys_are_clear_errors(
    store: ObjectStore, tmp_path: Path
) -> None:
    assert not await store.exists("H49.1/none.png")
    with pytest.raises(ObjectMissing):
        await store.download("H49.1/none.png", tmp_path / "x")
    with pytest.raises(ObjectMissing):
        await store.read_bytes("H49.1/none.png")
    for key in ("../escape", "/abs", "a//b", ""):
        with pytest.raises(InvalidObjectKey):
            await store.put(key, io.BytesIO(b"x"), content_type="text/plain")


async def test_store_answers_its_readiness_ping(store: ObjectStore) -> None:
    await store.ping()
    assert store.location("H49.1/a.png").endswith("H49.1/a.png")


async def test_write_once_buckets_are_made_with_object_lock(s3_settings: StorageSettings) -> None:
    """Originals and packages cannot be deleted before their retention ends, by anyone with
    the bucket's keys; derivatives, which OCR makes again at will, are not locked."""
    settings = s3_settings.model_copy(update={"retention_days": 30})
    originals = await open_store(settings, "originals")
    derivatives = await open_store(settings, "derivatives")
    assert isinstance(originals, S3Store)
    assert isinstance(derivatives, S3Store)
    lock = originals.lock_config()
    assert lock is not None
    assert (lock.mode, lock.duration, lock.duration_unit) == (GOVERNANCE, 30, DAYS)
    assert derivatives.lock_config() is None

    await originals.put("H49.1/a.png", io.BytesIO(b"scan"), content_type="image/png")
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
    )
    version = client.stat_object(originals.bucket, "H49.1/a.png").version_id
    with pytest.raises(S3Error) as refused:
        client.remove_object(originals.bucket, "H49.1/a.png", version_id=version)
    assert refused.value.code == "AccessDenied"
    assert await originals.read_bytes("H49.1/a.png") == b"scan"
    await open_store(settings, "originals")  # opening it again keeps it as it is
    assert originals.lock_config() is not None


async def test_object_lock_can_be_turned_off(s3_settings: StorageSettings) -> None:
    settings = s3_settings.model_copy(update={"object_lock": ObjectLockMode.OFF})
    originals = await open_store(settings, "originals")
    assert isinstance(originals, S3Store)
    assert originals.lock_config() is None
