"""What the gateway costs, on one local stack, each path against the same request sent to the
service directly, interleaved in rounds so a busy machine slows both alike:

- an authenticated metadata GET of a hồ sơ, against the same GET signed and sent to the
  catalogue: requests/s and p99 (target ratio ≥ 0.7);
- a 50 MB handover package download, against the same download from handover: throughput
  (target ratio ≥ 0.8), and how far the gateway's peak resident memory grows while the
  package streams through it (flat: nowhere near the package's size).

    python -m bench.gateway [--requests 400] [--rounds 3] [--download-mb 50] [--downloads 3]

It never fails on a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import httpx
from sqlmodel import Session

from services.handover.adapters.db import HandoverPackage
from services.handover.domain import download_token
from services.ops.stack import LocalStack
from shared.config import StorageBackend, StorageSettings
from shared.db import make_engine
from shared.objectstore import open_store

FILE_CODE = "H49.64.33.2024.88.VP"
TARGET = 0.7
DOWNLOAD_TARGET = 0.8
CHUNK = 1024 * 1024


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    """Resident memory now (``VmRSS``) or at its highest since the process began (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _store_package(stack: LocalStack, megabytes: int, folder: Path) -> tuple[uuid.UUID, str]:
    """A package of random bytes stored and recorded as handover would have built it."""
    package_id = uuid.uuid4()
    source = folder / "package.zip"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for _ in range(megabytes):
            chunk = os.urandom(CHUNK)
            digest.update(chunk)
            out.write(chunk)
    key = f"{FILE_CODE}/{package_id}.zip"

    async def put(body: BinaryIO) -> None:
        settings = StorageSettings(backend=StorageBackend.LOCAL, root=stack.objects_dir)
        store = await open_store(settings, "handover")
        await store.put(key, body, content_type="application/zip")

    with open(source, "rb") as body:
        asyncio.run(put(body))
    engine = make_engine(f"sqlite:///{stack.var_dir / 'handover.db'}")
    with Session(engine) as session:
        session.add(
            HandoverPackage(
                package_id=str(package_id),
                file_code=FILE_CODE,
                accept_event_id=f"bench-{package_id}",
                object_key=key,
                sha256=digest.hexdigest(),
                size=megabytes * CHUNK,
                payload_oxum=f"{megabytes * CHUNK}.1",
            )
        )
        session.commit()
    engine.dispose()
    source.unlink()
    return package_id, digest.hexdigest()


def _download(client: httpx.Client, url: str, sha256: str) -> float:
    """Seconds to stream the whole package; its bytes are checked, not kept."""
    digest = hashlib.sha256()
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(CHUNK):
            digest.update(chunk)
    elapsed = time.perf_counter() - started
    if digest.hexdigest() != sha256:
        raise RuntimeError(f"{url}: the package arrived changed")
    return elapsed


def _downloads(stack: LocalStack, megabytes: int, rounds: int, folder: Path) -> list[str]:
    package_id, sha256 = _store_package(stack, megabytes, folder)
    token = download_token(package_id, int(time.time()) + 3600, stack.download_secret)
    path = f"/api/v1/packages/{package_id}/download?token={token}"
    gateway_pid = stack.services["gateway"].process.pid  # type: ignore[union-attr]
    headers = {"X-API-Key": stack.api_key}
    with (
        httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=300) as gateway,
        httpx.Client(base_url=stack.services["handover"].url, timeout=300) as direct,
    ):
        _download(gateway, path, sha256)  # warm both paths up
        _download(direct, path, sha256)
        peak_before = _rss_kib(gateway_pid, "VmHWM")
        via: list[float] = []
        plain: list[float] = []
        for _ in range(rounds):  # ABBA: a load that drifts during the round cancels out
            plain.append(_download(direct, path, sha256))
            via.append(_download(gateway, path, sha256))
            via.append(_download(gateway, path, sha256))
            plain.append(_download(direct, path, sha256))
        peak_after = _rss_kib(gateway_pid, "VmHWM")
    direct_rate = megabytes * len(plain) / sum(plain)
    gateway_rate = megabytes * len(via) / sum(via)
    ratio = gateway_rate / direct_rate
    verdict = "met" if ratio >= DOWNLOAD_TARGET else "not met"
    growth = (peak_after - peak_before) / 1024
    return [
        f"{megabytes} MB package download, {len(via)} downloads a path:",
        f"  direct   {direct_rate:8.0f} MB/s   median {statistics.median(plain):.2f} s",
        f"  gateway  {gateway_rate:8.0f} MB/s   median {statistics.median(via):.2f} s",
        f"  gateway peak RSS {peak_before / 1024:.0f} MiB → {peak_after / 1024:.0f} MiB "
        f"(+{growth:.1f} MiB while {megabytes * len(via)} MB passed through it)",
        f"download ratio={ratio:.2f} (target ≥ {DOWNLOAD_TARGET}: {verdict})",
    ]


def _timed(call: Callable[[], httpx.Response], count: int) -> list[float]:
    seconds: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return seconds


def _summary(name: str, seconds: list[float]) -> tuple[float, float]:
    rate = len(seconds) / sum(seconds)
    p99 = statistics.quantiles(seconds, n=100)[98] * 1000
    print(f"  {name:<9} {rate:8.0f} requests/s   p99 {p99:6.1f} ms")
    return rate, p99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--requests", type=int, default=400, help="per path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--download-mb", type=int, default=50, help="package size; 0: skip")
    parser.add_argument("--downloads", type=int, default=3, help="ABBA rounds of downloads")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        stack = LocalStack(Path(folder))
        stack.start()
        try:
            headers = {"X-API-Key": stack.api_key}
            body = {"file_code": FILE_CODE, "title": "Hồ sơ đo cổng API", "number_of_page": 1}
            with httpx.Client(base_url=stack.gateway_url, headers=headers, timeout=30) as gateway:
                gateway.post("/api/v1/files", json=body).raise_for_status()
                path = f"/api/v1/files/{FILE_CODE}"
                catalogue_url = stack.services["catalogue"].url
                with httpx.Client(base_url=catalogue_url, timeout=30) as direct:

                    def through_gateway() -> httpx.Response:
                        return gateway.get(path)

                    def to_catalogue() -> httpx.Response:
                        return direct.get(path, headers=stack.signed_headers("GET", path))

                    _timed(through_gateway, 50)  # warm both paths up
                    _timed(to_catalogue, 50)
                    gateway_pid = stack.services["gateway"].process.pid  # type: ignore[union-attr]
                    rss_before = _rss_kib(gateway_pid)
                    via: list[float] = []
                    plain: list[float] = []
                    for _ in range(args.rounds):
                        plain += _timed(to_catalogue, args.requests)
                        via += _timed(through_gateway, args.requests)
                    rss_after = _rss_kib(gateway_pid)
            downloaded: list[str] = []
            if args.download_mb > 0:
                downloaded = _downloads(stack, args.download_mb, args.downloads, Path(folder))
        finally:
            stack.stop()

    print(f"metadata GET {path}, {args.rounds} × {args.requests} requests a path:")
    direct_rate, _ = _summary("direct", plain)
    gateway_rate, _ = _summary("gateway", via)
    ratio = gateway_rate / direct_rate
    verdict = "met" if ratio >= TARGET else "not met"
    print(f"  gateway RSS {rss_before / 1024:.0f} MiB → {rss_after / 1024:.0f} MiB")
    print(f"gateway ratio={ratio:.2f} (target ≥ {TARGET}: {verdict})")
    for line in downloaded:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
