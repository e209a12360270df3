"""What the gateway costs: an authenticated metadata GET through it, against the same GET sent
to the catalogue directly (signed as the gateway would), on the same local stack, one after
the other and interleaved in rounds so a busy machine slows both alike.

    python -m bench.gateway [--requests 400] [--rounds 3]

Prints requests/s and p99 of each path, the ratio (target ≥ 0.7) and the gateway's resident
memory before and after; it never fails on a timing. (The 50 MB download the issue also names
needs a binary download route through the gateway: see the handover issue.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from services.ops.stack import LocalStack

FILE_CODE = "H49.64.33.2024.88.VP"
TARGET = 0.7


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


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
        finally:
            stack.stop()

    print(f"metadata GET {path}, {args.rounds} × {args.requests} requests a path:")
    direct_rate, _ = _summary("direct", plain)
    gateway_rate, _ = _summary("gateway", via)
    ratio = gateway_rate / direct_rate
    verdict = "met" if ratio >= TARGET else "not met"
    print(f"  gateway RSS {rss_before / 1024:.0f} MiB → {rss_after / 1024:.0f} MiB")
    print(f"gateway ratio={ratio:.2f} (target ≥ {TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
