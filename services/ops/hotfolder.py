"""The scanner hot folder: a station copies scans into ``<root>/<file_code>/<sequence>.<ext>``
(or a whole multi-page TIFF/PDF as ``<root>/<file_code>.<ext>``); each file is sent to the
gateway once it is complete, then moved to ``done/`` or to ``rejected/`` with a reason file.

A file is complete when its size and modification time have not changed for ``settle``
seconds; ``*.part``, ``*.tmp`` and dot files are never taken, so a station that copies under
such a name and renames when done is never seen half-written. The watcher keeps no state but
the folders: after a restart a half-copied file is simply watched again, and a file uploaded
but not yet moved is sent again, which ingest answers as the page already stored (same
bytes) — nothing is skipped or taken twice."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx
import structlog

from shared.text import nfc

log = structlog.get_logger(__name__)

SCAN_SUFFIXES = {".tif", ".tiff", ".jpg", ".jpeg", ".png", ".jp2", ".pdf"}
IN_FLIGHT_SUFFIXES = {".part", ".tmp", ".partial", ".crdownload"}
DONE, REJECTED = "done", "rejected"


def scan_name(parts: tuple[str, ...]) -> tuple[str, int | None]:
    """(file code, sequence) from ``<file_code>/<sequence>.<ext>`` or ``<file_code>.<ext>``
    (a container, numbered from the next free page); ``("", None)`` for any other name."""
    stem, _dot, suffix = parts[-1].rpartition(".")
    if f".{suffix.lower()}" not in SCAN_SUFFIXES or not stem:
        return "", None
    if len(parts) == 1:
        return nfc(stem), None
    if len(parts) == 2 and stem.isdigit() and int(stem) > 0:
        return nfc(parts[0]), int(stem)
    return "", None


@dataclass(frozen=True)
class Arrival:
    path: Path
    file_code: str
    sequence: int | None


@dataclass
class HotFolder:
    """One watched folder; :meth:`scan_once` is one look at it (the thread calls it in a loop)."""

    root: Path
    client: httpx.Client
    settle: float = 5.0
    clock: Callable[[], float] = time.monotonic
    station: str | None = None
    _seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)

    def arrivals(self) -> Iterator[Arrival]:
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if not path.is_file() or relative.parts[0] in (DONE, REJECTED):
                continue
            if path.name.startswith(".") or path.suffix.lower() in IN_FLIGHT_SUFFIXES:
                continue
            file_code, sequence = scan_name(relative.parts)
            yield Arrival(path, file_code, sequence)

    def _complete(self, path: Path) -> bool:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        now = self.clock()
        seen = self._seen.get(path)
        if seen is None or seen[:2] != key:
            self._seen[path] = (*key, now)
            return False
        return now - seen[2] >= self.settle

    def scan_once(self) -> list[tuple[Path, str]]:
        """Send every complete file; returns (file, "done" | "rejected") for those moved."""
        moved: list[tuple[Path, str]] = []
        for arrival in self.arrivals():
            try:
                if not self._complete(arrival.path):
                    continue
                outcome = self._send(arrival)
            except OSError as exc:  # moved or removed under us: looked at again next time
                log.warning("hotfolder_file_skipped", path=str(arrival.path), error=str(exc))
                continue
            if outcome is not None:
                self._seen.pop(arrival.path, None)
                moved.append((arrival.path, outcome))
        return moved

    def _send(self, arrival: Arrival) -> str | None:
        if not arrival.file_code:
            reason = {
                "code": "hotfolder.unexpected-name",
                "detail": "expected <mã hồ sơ>/<số thứ tự>.<tif|jpg|png|jp2|pdf> "
                "or <mã hồ sơ>.<tif|pdf>",
            }
            return self._move(arrival.path, REJECTED, reason)
        params: dict[str, str | int] = {"filename": arrival.path.name}
        if arrival.sequence is not None:
            params["sequence"] = arrival.sequence
        if self.station:
            params["station"] = self.station
        try:
            with open(arrival.path, "rb") as body:
                response = self.client.post(
                    f"/api/v1/files/{arrival.file_code}/pages",
                    params=params,
                    content=_chunks(body),
                )
        except httpx.TransportError:
            return None  # the gateway is away: the file stays and is sent on a later look
        if response.status_code in (200, 201):
            return self._move(arrival.path, DONE, None)
        if 400 <= response.status_code < 500:
            return self._move(arrival.path, REJECTED, response.json())
        return None  # 5xx: try again later

    def _move(self, path: Path, area: str, reason: object) -> str:
        target = self.root / area / path.relative_to(self.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if reason is not None:  # the reason first: a moved file always has its reason beside it
            reason_path = target.with_name(target.name + ".reason.json")
            reason_path.write_text(json.dumps(reason, ensure_ascii=False, indent=2) + "\n")
        path.replace(target)
        return area


def _chunks(body: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := body.read(size):
        yield chunk


class HotFolderThread:
    """The watcher ``sohoa stack`` runs beside the services, on ``<var>/hotfolder``."""

    def __init__(self, root: Path, gateway_url: str, api_key: str, interval: float = 1.0) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self._client = httpx.Client(
            base_url=gateway_url, headers={"X-API-Key": api_key}, timeout=300
        )
        self.folder = HotFolder(root, self._client)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hotfolder", daemon=True)

    def start(self) -> HotFolderThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        # Stop signals are for the main thread (``sohoa stack`` waits for them there).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while not self._stop.wait(self._interval):
            self.folder.scan_once()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._client.close()
