"""The scanner hot folder against the real stack: files are taken only once complete, moved
to done/ or to rejected/ with their reason, and a watcher restarted in the middle of a copy
neither skips nor duplicates a file. `sohoa stack` watches <var>/hotfolder itself."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from services.ops.demo import open_for_scanning, wait_until
from services.ops.hotfolder import HotFolder
from services.ops.stack import LocalStack

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.HOT"


class Clock:
    """Time the test moves on by hand, so "stable for settle seconds" needs no sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def hot_file(stack: LocalStack) -> str:
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=60
    ) as client:
        registered = client.post(
            "/api/v1/files",
            json={"file_code": FILE_CODE, "title": "Thư mục quét", "number_of_page": 3},
        )
        assert registered.status_code == 201, registered.text
        open_for_scanning(client, FILE_CODE, pages=3)
    return FILE_CODE


def _pages(client: httpx.Client) -> list[tuple[int, str]]:
    return [
        (p["sequence"], p["sha256"]) for p in client.get(f"/api/v1/files/{FILE_CODE}/pages").json()
    ]


def test_a_watcher_restarted_mid_copy_neither_skips_nor_duplicates(
    hot_file: str, client: httpx.Client, scans: tuple[str, list[Path]], tmp_path: Path
) -> None:
    _title, paths = scans
    root = tmp_path / "hotfolder"
    target = root / hot_file / "0001.png"
    target.parent.mkdir(parents=True)
    body = paths[0].read_bytes()
    clock = Clock()
    first = HotFolder(root, client, settle=5, clock=clock)
    with open(target, "wb") as copy:
        copy.write(body[: len(body) // 2])
        copy.flush()
        assert first.scan_once() == []  # first sight: not yet known to be complete
        clock.now += 10
        copy.write(body[len(body) // 2 : len(body) * 3 // 4])
        copy.flush()
        assert first.scan_once() == []  # it grew: still being copied
        # the watcher dies here; a new one starts while the copy goes on
        second = HotFolder(root, client, settle=5, clock=clock)
        assert second.scan_once() == []
        copy.write(body[len(body) * 3 // 4 :])
    clock.now += 1
    assert second.scan_once() == []  # complete now, but not yet stable for 5 s
    clock.now += 5
    assert second.scan_once() == [(target, "done")]
    assert (root / "done" / hot_file / "0001.png").read_bytes() == body
    assert not target.exists()
    assert _pages(client) == [(1, hashlib.sha256(body).hexdigest())]

    # uploaded, then the watcher died before moving it: sent again, taken once
    again = root / hot_file / "0001.png"
    again.write_bytes(body)
    third = HotFolder(root, client, settle=0, clock=clock)
    third.scan_once()
    assert third.scan_once() == [(again, "done")]
    assert len(_pages(client)) == 1


def test_a_refused_or_misnamed_file_goes_to_rejected_with_its_reason(
    hot_file: str, client: httpx.Client, tmp_path: Path
) -> None:
    root = tmp_path / "hotfolder"
    (root / hot_file).mkdir(parents=True)
    broken = root / hot_file / "0002.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    misnamed = root / hot_file / "trang-hai.png"
    misnamed.write_bytes(b"x")
    in_flight = root / hot_file / "0003.png.part"
    in_flight.write_bytes(b"still copying")
    folder = HotFolder(root, client, settle=0)
    folder.scan_once()
    moved = dict(folder.scan_once())
    assert moved == {broken: "rejected", misnamed: "rejected"}
    reason = json.loads((root / "rejected" / hot_file / "0002.png.reason.json").read_text())
    assert reason["code"] == "ingest.corrupt-image"
    misnamed_reason = root / "rejected" / hot_file / "trang-hai.png.reason.json"
    assert json.loads(misnamed_reason.read_text())["code"] == "hotfolder.unexpected-name"
    assert in_flight.exists()  # a .part file is never taken


def test_sohoa_stack_watches_its_hotfolder(
    stack: LocalStack, hot_file: str, client: httpx.Client, scans: tuple[str, list[Path]]
) -> None:
    _title, paths = scans
    incoming = stack.var_dir / "hotfolder" / hot_file
    incoming.mkdir(parents=True, exist_ok=True)
    part = incoming / "0003.png.part"
    part.write_bytes(paths[2].read_bytes())
    part.rename(incoming / "0003.png")  # a copy finished by a rename

    def taken() -> dict[str, object] | None:
        done = stack.var_dir / "hotfolder" / "done" / hot_file / "0003.png"
        return {"done": True} if done.exists() else None

    wait_until(taken, timeout=60, what="the stack's watcher to take 0003.png")
    assert 3 in [sequence for sequence, _sha in _pages(client)]
