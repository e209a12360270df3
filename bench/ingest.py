"""Ingest throughput and memory, against a plain ``put_object`` of the same bytes.

``python -m bench.ingest [--pages N] [--large-mb 500]``

A page through ingest is more than a write: the upload is spooled with its SHA-256 taken,
its header checked, the image fully decoded and held to the scanning rules, then stored
write-once in S3 and recorded with its ``page-ingested`` event in the outbox. This bench times
that for N single-page scans uploaded to a real ingest process (its own SQLite, moto's S3
server, the Tansu broker), and compares it with ``put_object`` of the same bytes to the same
S3 server from this process, so the ratio survives a slower or busier machine. Then it
uploads a 10 MB and a large (500 MB by default) multi-page TIFF, each to a fresh ingest
process, and reports that process's peak RSS (VmHWM). It also prints the ingest process's
CPU time per page, steadier than the ratio when the machine is shared. It prints numbers and
says whether the targets were met; it never fails on a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from minio import Minio
from moto.server import ThreadedMotoServer
from PIL import Image

from services.ops.broker import TansuBroker, free_port
from services.ops.stack import ServiceProcess
from shared.config import KafkaSettings
from shared.events import FileStateChanged
from shared.kafka import KafkaPublisher, ensure_topics, topics_for

RATIO_TARGET = 0.8  # ingest pages/s ÷ put_object pages/s
RSS_TARGET_MB = 200
KEY, SECRET = "bench", "bench-secret"


def page_bytes(number: int, size: tuple[int, int] = (1654, 2339)) -> bytes:
    """An A4 page at 200 dpi, RGB, as a scanner's JPEG: different for every number."""
    page = Image.new("RGB", size, "white")
    for line in range(40):
        y = 120 + line * 50
        page.paste((20, 20, 20), (150, y, 150 + (number * 37 + line * 91) % 1300, y + 18))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=90, dpi=(200, 200))
    return buffer.getvalue()


def write_tiff(path: Path, megabytes: int) -> int:
    """A multi-page uncompressed TIFF of about ``megabytes``: A4 200 dpi greyscale frames
    (3.9 MB each, so even 10 MB is several pages; the default rules only warn on grey)."""
    frames = [Image.new("L", (1654, 2339), shade) for shade in (255, 240)]
    per_frame = 1654 * 2339
    count = max(2, round(megabytes * 1_000_000 / per_frame))
    more = [frames[n % 2] for n in range(1, count)]
    frames[0].save(path, "TIFF", save_all=True, append_images=more, dpi=(200, 200))
    return count


def chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


class Bench:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.s3_port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.s3_port, verbose=False)
        self.broker: TansuBroker | None = None
        self.prefix = f"b{secrets.token_hex(4)}"

    def __enter__(self) -> Bench:
        self.moto.start()
        self.broker = TansuBroker(log_path=self.work / "broker.log").start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.broker is not None:
            self.broker.stop()
        self.moto.stop()

    @property
    def minio(self) -> Minio:
        return Minio(f"127.0.0.1:{self.s3_port}", access_key=KEY, secret_key=SECRET, secure=False)

    def ingest(self, name: str) -> ServiceProcess:
        if self.broker is None:
            raise RuntimeError("bench not started")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(
            {
                "SOHOA_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
                "SOHOA_STORAGE_BACKEND": "s3",
                "SOHOA_STORAGE_S3_ENDPOINT": f"127.0.0.1:{self.s3_port}",
                "SOHOA_STORAGE_S3_ACCESS_KEY": KEY,
                "SOHOA_STORAGE_S3_SECRET_KEY": SECRET,
                "SOHOA_STORAGE_BUCKET_PREFIX": self.prefix,
                "SOHOA_INGEST_PORT": str(port),
                "SOHOA_INGEST_DATABASE_URL": f"sqlite:///{self.work / (name + '.db')}",
                "SOHOA_INGEST_SPOOL_DIR": str(self.work),
                "SOHOA_LOG_LEVEL": "WARNING",
            }
        )
        service = ServiceProcess("ingest", port, env, self.work / f"{name}.log")
        service.start()
        service.wait_ready(time.monotonic() + 120)
        return service

    async def open_files(self, codes: list[str]) -> None:
        """Announce the hồ sơ as the catalogue would: open for scanning."""
        if self.broker is None:
            raise RuntimeError("bench not started")
        settings = KafkaSettings(bootstrap_servers=self.broker.bootstrap)
        await ensure_topics(settings, topics_for([FileStateChanged]))
        async with KafkaPublisher.open(settings, source="bench") as publisher:
            for code in codes:
                await publisher.publish(
                    FileStateChanged(
                        file_code=code,
                        from_state="approved",
                        to_state="digitizing",
                        version=int(time.time() * 1000),
                        client="bench",
                        reason="bench",
                        at=datetime.now(UTC),
                        arranged=True,
                        open_for_scanning=True,
                        number_of_page=100_000,
                    )
                )


def wait_open(client: httpx.Client, code: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/files/{code}/scanning")
        if response.status_code == 200 and response.json()["open_for_scanning"]:
            return
        time.sleep(0.1)  # poll interval while ingest hears of the hồ sơ
    raise RuntimeError(f"ingest never opened {code}")


def peak_rss_mb(service: ServiceProcess) -> float:
    if service.process is None:
        raise RuntimeError(f"{service.name} not running")
    for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def cpu_seconds(service: ServiceProcess) -> float:
    """User + system CPU time of the service process so far: steadier than pages/s on a
    shared machine, and where a page's cost shows when the process is what is busy."""
    if service.process is None:
        raise RuntimeError(f"{service.name} not running")
    stat = Path(f"/proc/{service.process.pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def verdict(ok: bool) -> str:
    return "target met" if ok else "target NOT met"


async def _ingest_all(url: str, code: str, bodies: list[bytes], first: int, at_once: int) -> None:
    """Upload ``bodies`` as pages ``first``… of ``code``, ``at_once`` at a time (as that many
    scanning stations would), each awaited to its answer."""
    gate = asyncio.Semaphore(at_once)
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:

        async def one(number: int, body: bytes) -> None:
            async with gate:
                response = await client.post(
                    f"/api/v1/files/{code}/pages", params={"sequence": number}, content=body
                )
                response.raise_for_status()

        await asyncio.gather(*(one(first + n, body) for n, body in enumerate(bodies)))


def _put_all(minio: Minio, bucket: str, bodies: list[bytes], at_once: int) -> None:
    """The reference: ``put_object`` of the same bytes, ``at_once`` at a time."""

    def one(body: bytes) -> None:
        minio.put_object(
            bucket, f"{uuid.uuid4()}.jpg", io.BytesIO(body), len(body), content_type="image/jpeg"
        )

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        list(pool.map(one, bodies))


def run(pages: int, large_mb: int, at_once: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp, Bench(Path(tmp)) as bench:
        work = Path(tmp)
        bodies = [page_bytes(n) for n in range(2 * pages + 1)]
        codes = ["BENCH.TPUT", "BENCH.T10", "BENCH.TLARGE"]
        mean_kb = sum(len(b) for b in bodies[:pages]) / pages / 1024
        print(f"pages: {pages} JPEG A4 200 dpi RGB, mean {mean_kb:.0f} KiB, moto S3 server")

        service = bench.ingest("throughput")
        asyncio.run(bench.open_files(codes[:1]))
        with httpx.Client(base_url=service.url, timeout=600) as client:
            wait_open(client, codes[0])
            client.post(f"/api/v1/files/{codes[0]}/pages", content=bodies[-1])  # warm-up
        minio = bench.minio
        bucket = f"{bench.prefix}-reference"
        minio.make_bucket(bucket)
        minio.put_object(bucket, "warm-up", io.BytesIO(bodies[-1]), len(bodies[-1]))
        for round_, clients in enumerate(sorted({1, at_once})):
            batch = bodies[round_ * pages : (round_ + 1) * pages]
            cpu_before, started = cpu_seconds(service), time.perf_counter()
            asyncio.run(_ingest_all(service.url, codes[0], batch, 2 + round_ * pages, clients))
            ingest_s = time.perf_counter() - started
            ingest_cpu_s = cpu_seconds(service) - cpu_before
            started = time.perf_counter()
            _put_all(minio, bucket, batch, clients)
            put_s = time.perf_counter() - started
            ingest_pps, put_pps = pages / ingest_s, pages / put_s
            ratio = ingest_pps / put_pps
            print(f"{clients} at a time:")
            print(f"  ingest service   {ingest_pps:7.1f} pages/s")
            cpu_ms = ingest_cpu_s / pages * 1000
            print(f"  ingest CPU       {cpu_ms:7.1f} ms/page (its user + system)")
            print(f"  put_object       {put_pps:7.1f} pages/s")
            target = f"target ≥ {RATIO_TARGET}: {verdict(ratio >= RATIO_TARGET)}"
            print(f"  ratio            {ratio:7.2f}  ({target if clients == at_once else 'shown'})")
        service.stop()

        for code, megabytes in ((codes[1], 10), (codes[2], large_mb)):
            path = work / f"{megabytes}mb.tif"
            frames = write_tiff(path, megabytes)
            service = bench.ingest(f"rss-{megabytes}")
            asyncio.run(bench.open_files([code]))  # a fresh database: tell it again
            with httpx.Client(base_url=service.url, timeout=3600) as client:
                wait_open(client, code)
                baseline = peak_rss_mb(service)
                started = time.perf_counter()
                response = client.post(
                    f"/api/v1/files/{code}/pages", params={"sequence": 1}, content=chunks(path)
                )
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                stored = len(response.json()["pages"])
                peak = peak_rss_mb(service)
            service.stop()
            size_mb = path.stat().st_size / 1e6
            print(
                f"{size_mb:6.0f} MB TIFF, {frames} frames → {stored} pages in {elapsed:.1f} s: "
                f"peak RSS {peak:.0f} MB (idle {baseline:.0f} MB; target < {RSS_TARGET_MB} MB: "
                f"{verdict(peak < RSS_TARGET_MB)})"
            )
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--large-mb", type=int, default=500)
    parser.add_argument(
        "--at-once", type=int, default=4, help="uploads (and reference puts) in flight at once"
    )
    args = parser.parse_args()
    run(args.pages, args.large_mb, args.at_once)


if __name__ == "__main__":
    main()
