"""Object storage behind one interface, two adapters: a local directory and S3 (MinIO).

Both stream (constant memory whatever the object size), both return the SHA-256 and size
computed while writing, and both refuse to overwrite unless asked: originals and handover
packages are write-once. The refusal is atomic, never a check then a write that a second writer
could slip between: the local store links the finished file under its name (and leaves it
read-only), S3 is asked to create the object only if absent (``If-None-Match: *``, which AWS
S3, MinIO and moto honour). The originals and handover buckets sohoa creates have Object Lock
with a default retention (``SOHOA_STORAGE_OBJECT_LOCK``, ``SOHOA_STORAGE_RETENTION_DAYS``), so
no version of an original or a package can be deleted before its time, by sohoa or anyone.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import structlog
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import MinioException, S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from urllib3.exceptions import HTTPError

from shared.config import ObjectLockMode, StorageBackend, StorageSettings
from shared.errors import Conflict, NotFound, PermanentError, TransientError

log = structlog.get_logger(__name__)
CHUNK = 1024 * 1024
AREAS = ("originals", "derivatives", "handover")
WRITE_ONCE_AREAS = frozenset({"originals", "handover"})  # derivatives are made again at will


class ObjectExists(Conflict):
    code = "storage.object-exists"
    title = "Đối tượng đã tồn tại (ghi một lần)"


class ObjectMissing(NotFound):
    code = "storage.object-missing"
    title = "Không tìm thấy đối tượng lưu trữ"


class StorageUnavailable(TransientError):
    code = "storage.unavailable"
    title = "Kho lưu trữ đối tượng không sẵn sàng"


class InvalidObjectKey(PermanentError):
    code = "storage.invalid-key"
    title = "Khóa đối tượng không hợp lệ"


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int


class ObjectStore(Protocol):
    """One storage area (originals, derivatives or handover)."""

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, overwrite: bool = False
    ) -> StoredObject: ...

    async def download(self, key: str, target: Path) -> StoredObject: ...

    async def read_bytes(self, key: str) -> bytes: ...

    async def digest(self, key: str) -> StoredObject:
        """The SHA-256 and size of what is stored, read through in constant memory."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def ping(self) -> None: ...

    def location(self, key: str) -> str: ...


def sha256_of(path: Path) -> str:
    """The SHA-256 of a local file, read a chunk at a time (memory flat in its size)."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Wraps a stream; hashes and counts what is read through it."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class _Prepended:
    """What was read already, then the rest of the stream: a file-like ``read`` for minio."""

    def __init__(self, first: bytes, rest: _HashingReader) -> None:
        self._first = first
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._first:
            return self._rest.read(size)
        if size < 0:
            data, self._first = self._first + self._rest.read(), b""
            return data
        data, self._first = self._first[:size], self._first[size:]
        return data


def _length(source: BinaryIO) -> int:
    """The bytes left to read in a file from where it stands; -1 for a stream of unknown
    length."""
    try:
        return os.fstat(source.fileno()).st_size - source.tell()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return -1


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InvalidObjectKey(f"invalid object key {key!r}")
    return key


def read_hashing(source: BinaryIO) -> tuple[str, int]:
    """Read to the end in chunks, returning (sha256 hex, size): a fixity check, no copy."""
    reader = _HashingReader(source)
    while reader.read(CHUNK):
        pass
    return reader.digest.hexdigest(), reader.size


def copy_hashing(source: BinaryIO, target: BinaryIO) -> tuple[str, int]:
    """Copy in chunks, returning (sha256 hex, size)."""
    reader = _HashingReader(source)
    while chunk := reader.read(CHUNK):
        target.write(chunk)
    return reader.digest.hexdigest(), reader.size


class LocalStore:
    """A directory: temp file + fsync + link (refuses an existing key atomically) or rename.
    A write-once object is read-only on disk (mode 0444)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def location(self, key: str) -> str:
        return str(self._path(key).resolve())

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, overwrite: bool = False
    ) -> StoredObject:
        return await asyncio.to_thread(self._put, key, source, overwrite)

    def _put(self, key: str, source: BinaryIO, overwrite: bool) -> StoredObject:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".tmp-{uuid.uuid4().hex}"
        try:
            with open(temp, "wb") as target:
                sha256, size = copy_hashing(source, target)
                target.flush()
                os.fsync(target.fileno())
            if overwrite:
                os.replace(temp, final)
            else:
                os.chmod(temp, 0o444)  # write-once on disk too: nobody's editor changes it
                try:
                    os.link(temp, final)
                except FileExistsError as exc:
                    raise ObjectExists(f"object {key} exists and is write-once") from exc
            dir_fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            temp.unlink(missing_ok=True)
        return StoredObject(key=key, sha256=sha256, size=size)

    async def download(self, key: str, target: Path) -> StoredObject:
        def run() -> StoredObject:
            try:
                with open(self._path(key), "rb") as source, open(target, "wb") as out:
                    sha256, size = copy_hashing(source, out)
            except FileNotFoundError as exc:
                raise ObjectMissing(f"object {key} not found") from exc
            return StoredObject(key=key, sha256=sha256, size=size)

        return await asyncio.to_thread(run)

    async def read_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as exc:
            raise ObjectMissing(f"object {key} not found") from exc

    async def digest(self, key: str) -> StoredObject:
        def run() -> StoredObject:
            try:
                with open(self._path(key), "rb") as source:
                    sha256, size = read_hashing(source)
            except FileNotFoundError as exc:
                raise ObjectMissing(f"object {key} not found") from exc
            return StoredObject(key=key, sha256=sha256, size=size)

        return await asyncio.to_thread(run)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def ping(self) -> None:
        def run() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StorageUnavailable(f"{self.root} is not writable")

        await asyncio.to_thread(run)


class S3Store:
    """One S3 bucket through the ``minio`` client; multipart streaming for large objects."""

    PART_SIZE = 16 * 1024 * 1024

    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{_check_key(key)}"

    @contextmanager
    def _translated(self, key: str) -> Iterator[None]:
        try:
            yield
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise ObjectMissing(f"object {key} not found") from exc
            raise StorageUnavailable(f"S3 {exc.code}: {key}") from exc
        except (MinioException, HTTPError, OSError) as exc:
            raise StorageUnavailable(f"S3 unreachable: {exc}") from exc

    def _exists(self, key: str) -> bool:
        try:
            self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return False
            raise
        return True

    async def put(
        self, key: str, source: BinaryIO, *, content_type: str, overwrite: bool = False
    ) -> StoredObject:
        def run() -> StoredObject:
            with self._translated(_check_key(key)):
                length = _length(source)
                reader = _HashingReader(source)
                first = reader.read(self.PART_SIZE)
                if len(first) < self.PART_SIZE:  # one request: a page scan, nearly always
                    self._put_single(key, first, content_type, overwrite)
                else:
                    rest = _Prepended(first, reader)
                    del first  # held by ``rest`` only until minio has read it: one part less
                    self._put_multipart(key, rest, length, content_type, overwrite)
            return StoredObject(key=key, sha256=reader.digest.hexdigest(), size=reader.size)

        return await asyncio.to_thread(run)

    def _put_single(self, key: str, data: bytes, content_type: str, overwrite: bool) -> None:
        """PutObject, created only if absent unless ``overwrite``. minio's public
        ``put_object`` sends no conditional header, so this calls the client's own
        single-request PutObject, signed like every other call."""
        headers: dict[str, str | list[str] | tuple[str]] = {
            "Content-Type": content_type,
            # required by a bucket with Object Lock retention; minio adds it itself over HTTPS
            "Content-MD5": base64.b64encode(
                hashlib.md5(data, usedforsecurity=False).digest()
            ).decode(),
        }
        if not overwrite:
            headers["If-None-Match"] = "*"
        try:
            self._client._put_object(self.bucket, key, data, headers)
        except S3Error as exc:
            if exc.code == "PreconditionFailed":
                raise ObjectExists(f"object {key} exists and is write-once") from exc
            raise

    def _put_multipart(
        self, key: str, source: _Prepended, length: int, content_type: str, overwrite: bool
    ) -> None:
        """A large object (a multi-page container, a package) streamed part by part; its
        completion cannot carry the condition through minio, so absence is checked first.
        One part at a time: minio's three parallel uploads keep up to five parts (80 MB) in
        memory, which took ingest past its 200 MB for a 500 MB TIFF. With the ``length`` of a
        file minio reads each part whole; without (-1) it reads a byte more and copies each
        part twice to put it back."""
        if not overwrite and self._exists(key):
            raise ObjectExists(f"object {key} exists and is write-once")
        self._client.put_object(
            self.bucket,
            key,
            source,  # type: ignore[arg-type]  # minio wants .read(); duck-typed
            length=length,
            part_size=self.PART_SIZE,
            content_type=content_type,
            num_parallel_uploads=1,
        )

    async def download(self, key: str, target: Path) -> StoredObject:
        def run() -> StoredObject:
            with self._translated(_check_key(key)):
                response = self._client.get_object(self.bucket, key)
                try:
                    with open(target, "wb") as out:
                        sha256, size = copy_hashing(response, out)  # type: ignore[arg-type]  # urllib3 response reads like a file
                finally:
                    response.close()
                    response.release_conn()
            return StoredObject(key=key, sha256=sha256, size=size)

        return await asyncio.to_thread(run)

    async def read_bytes(self, key: str) -> bytes:
        def run() -> bytes:
            with self._translated(_check_key(key)):
                response = self._client.get_object(self.bucket, key)
                try:
                    return response.read()
                finally:
                    response.close()
                    response.release_conn()

        return await asyncio.to_thread(run)

    async def digest(self, key: str) -> StoredObject:
        def run() -> StoredObject:
            with self._translated(_check_key(key)):
                response = self._client.get_object(self.bucket, key)
                try:
                    sha256, size = read_hashing(response)  # type: ignore[arg-type]  # urllib3 response reads like a file
                finally:
                    response.close()
                    response.release_conn()
            return StoredObject(key=key, sha256=sha256, size=size)

        return await asyncio.to_thread(run)

    async def exists(self, key: str) -> bool:
        def run() -> bool:
            with self._translated(_check_key(key)):
                return self._exists(key)

        return await asyncio.to_thread(run)

    async def ping(self) -> None:
        def run() -> None:
            with self._translated(self.bucket):
                if not self._client.bucket_exists(self.bucket):
                    raise StorageUnavailable(f"bucket {self.bucket} does not exist")

        await asyncio.to_thread(run)

    async def ensure_bucket(self, lock: ObjectLockConfig | None = None) -> None:
        """Create the bucket when missing, with Object Lock and ``lock`` as its default
        retention when given (Object Lock can only be chosen when a bucket is made). A bucket
        that exists is kept as it is; one that should have a default retention and has none
        is logged (an operator decides: sohoa never changes a bucket it did not make)."""

        def run() -> None:
            with self._translated(self.bucket):
                if not self._client.bucket_exists(self.bucket):
                    self._client.make_bucket(self.bucket, object_lock=lock is not None)
                    if lock is not None:
                        self._client.set_object_lock_config(self.bucket, lock)
                elif lock is not None and self.lock_config() is None:
                    # no default retention: Object Lock off, or on without a default
                    log.warning("bucket_without_default_retention", bucket=self.bucket)

        await asyncio.to_thread(run)

    def lock_config(self) -> ObjectLockConfig | None:
        """The bucket's default Object Lock retention, None without one."""
        try:
            config = self._client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code == "ObjectLockConfigurationNotFoundError":
                return None
            raise
        return config if config.mode else None


async def open_store(settings: StorageSettings, area: str) -> ObjectStore:
    """The store of one area, ready for use (a missing S3 bucket is created)."""
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    if settings.backend is StorageBackend.LOCAL:
        store = LocalStore(settings.root / area)
        await store.ping()
        return store
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key.get_secret_value(),
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    s3 = S3Store(client, f"{settings.bucket_prefix}-{area}")
    await s3.ensure_bucket(_lock(settings) if area in WRITE_ONCE_AREAS else None)
    return s3


def _lock(settings: StorageSettings) -> ObjectLockConfig | None:
    """The default retention of a write-once bucket, from the settings."""
    if settings.object_lock is ObjectLockMode.OFF:
        return None
    mode = COMPLIANCE if settings.object_lock is ObjectLockMode.COMPLIANCE else GOVERNANCE
    return ObjectLockConfig(mode, settings.retention_days, DAYS)
