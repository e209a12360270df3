"""``sohoa import SOURCE``: scans of an earlier project — a directory tree or an S3
``s3://bucket/prefix`` laid out like the hot folder (``<file_code>/<sequence>.<ext>``, or
``<file_code>.<tif|pdf>``) — sent through the gateway like any client, with a progress bar, a
resumable record of what was done (one JSON line per file, appended as it happens) and a
summary at the end. ``--dry-run`` lists what would be sent and sends nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import httpx
from minio import Minio
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.ops.hotfolder import scan_name
from shared.config import StorageSettings

CHUNK = 1 << 20


@dataclass(frozen=True)
class Item:
    """One file of the source: where it is, and the page(s) it is."""

    key: str  # relative path or object key under the prefix, also the record's key
    file_code: str
    sequence: int | None
    size: int


class Source:
    def items(self) -> Iterator[Item]:
        raise NotImplementedError

    def open(self, item: Item) -> Iterator[bytes]:
        raise NotImplementedError


class DirectorySource(Source):
    def __init__(self, root: Path) -> None:
        self.root = root

    def items(self) -> Iterator[Item]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                relative = path.relative_to(self.root)
                file_code, sequence = scan_name(relative.parts)
                yield Item(relative.as_posix(), file_code, sequence, path.stat().st_size)

    def open(self, item: Item) -> Iterator[bytes]:
        with open(self.root / item.key, "rb") as handle:
            yield from _chunks(handle)


class S3Source(Source):
    """Objects under a prefix, read with the S3 endpoint and keys of ``SOHOA_STORAGE_S3_*``."""

    def __init__(self, url: str, settings: StorageSettings) -> None:
        parsed = urlparse(url)
        self.bucket, self.prefix = parsed.netloc, parsed.path.lstrip("/")
        if self.prefix and not self.prefix.endswith("/"):
            self.prefix += "/"
        self.client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
        )

    def items(self) -> Iterator[Item]:
        objects = self.client.list_objects(self.bucket, prefix=self.prefix, recursive=True)
        for obj in sorted(objects, key=lambda o: o.object_name or ""):
            relative = (obj.object_name or "")[len(self.prefix) :]
            if not relative or relative.endswith("/"):
                continue
            file_code, sequence = scan_name(tuple(relative.split("/")))
            yield Item(relative, file_code, sequence, obj.size or 0)

    def open(self, item: Item) -> Iterator[bytes]:
        response = self.client.get_object(self.bucket, self.prefix + item.key)
        try:
            yield from response.stream(CHUNK)
        finally:
            response.close()
            response.release_conn()


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def open_source(source: str) -> Source:
    if source.startswith("s3://"):
        return S3Source(source, StorageSettings())
    root = Path(source)
    if not root.is_dir():
        raise SystemExit(f"not a directory or s3://bucket/prefix: {source}")
    return DirectorySource(root)


class Record:
    """What was done, one JSON line per file; a file with an outcome is not sent again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict[str, object]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.done[entry["key"]] = entry

    def add(self, entry: dict[str, object]) -> None:
        self.done[str(entry["key"])] = entry
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()


def send(client: httpx.Client, source: Source, item: Item) -> dict[str, object]:
    """One file to the gateway; the outcome as the record keeps it."""
    if not item.file_code:
        return {"key": item.key, "outcome": "skipped", "code": "import.unexpected-name"}
    params: dict[str, str | int] = {"filename": item.key.rsplit("/", 1)[-1]}
    if item.sequence is not None:
        params["sequence"] = item.sequence
    response = client.post(
        f"/api/v1/files/{item.file_code}/pages", params=params, content=source.open(item)
    )
    if response.status_code in (200, 201):
        body = response.json()
        pages = body.get("pages", [body])
        outcome = "stored" if response.status_code == 201 else "already-stored"
        return {"key": item.key, "outcome": outcome, "pages": len(pages)}
    if 400 <= response.status_code < 500:
        problem = response.json()
        return {"key": item.key, "outcome": "refused", "code": problem.get("code")}
    response.raise_for_status()
    raise AssertionError("unreachable: a 3xx from the gateway")


def run_import(
    source: Source,
    source_name: str,
    *,
    gateway: str,
    api_key: str,
    record_path: Path,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> int:
    """Send every file not yet in the record; 0 when nothing was refused or skipped."""
    record = Record(record_path)
    items = [item for item in source.items() if item.key not in record.done]
    out = say
    if dry_run:
        for item in items:
            where = (
                f"{item.file_code} trang {item.sequence or 'tiếp theo'}" if item.file_code else "—"
            )
            out(f"would send {item.key} ({item.size} B) → {where}")
        out(f"{len(items)} files would be sent; {len(record.done)} already in {record_path}")
        return 0
    counts: Counter[str] = Counter()
    with (
        httpx.Client(base_url=gateway, headers={"X-API-Key": api_key}, timeout=600) as client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        ) as progress,
    ):
        task = progress.add_task("sohoa import", total=sum(i.size for i in items) or 1)
        for item in items:
            progress.update(task, description=item.key[-40:])
            entry = send(client, source, item)
            record.add(entry)
            counts[str(entry["outcome"])] += 1
            if entry.get("code"):
                counts[f"  {entry['code']}"] += 1
            progress.advance(task, item.size)
    out(f"sohoa import {source_name}: {len(items)} files sent, {len(record.done)} in {record_path}")
    for name, count in sorted(counts.items()):
        out(f"  {name}: {count}")
    return 0 if not (counts["refused"] or counts["skipped"]) else 1
