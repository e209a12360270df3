"""OCR throughput of the whole worker path, against the ``tesseract`` command a user would type.

``python -m bench.ocr [--pages N] [--workers 1 2]``

A page through sohoa is more than recognition: the worker fetches the original from storage,
cleans it (orientation, skew, binarisation), runs tesseract for five derivatives, stores them
and publishes ``page-processed``, all behind a real Kafka-protocol broker (Tansu) and real
worker processes. This bench times exactly that, for 1 and 2 workers, and compares it with
``tesseract <img> - -l vie`` run on the same pages one after another in the same process run
(default threads, and ``OMP_THREAD_LIMIT=1``), so the ratio survives a slower or busier
machine better than absolute numbers do. It prints numbers and says whether the targets were
met; it never fails on a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.partitioner import murmur2

from services.ops.broker import TansuBroker, free_port
from services.ops.stack import ServiceProcess
from shared.config import KafkaSettings, StorageSettings
from shared.events import PageFailed, PageIngested, PageProcessed
from shared.kafka import KafkaPublisher, ensure_topics, topics_for
from shared.objectstore import ObjectStore, open_store
from shared.text import validate_file_code
from tests.support.corpus import VARIANT_CLASSES, file_suffix, render_variant, save_page

DESCRIPTION = "OCR pages/s of the whole worker path against the tesseract command."
GROUP = "sohoa-ocr"
SCALE_TARGET = 1.8  # 2 workers vs 1 on a 2-core machine
COMMAND_TARGET = 1.0  # sohoa ocr --jobs 2 vs single-thread tesseract two at a time
ENGINE_TARGET = 1.5  # 1 worker vs the tesseract command
NOISY = 0.10  # share of the machine other processes may take before a number is called noisy
# A realistic intake: mostly clean-ish pages, some on their side or upside down, some grainy,
# stained, sealed and signed, some delivered as JPEG or TIFF. Cycled when --pages is larger.
PREFERRED_MIX = (
    "clean",
    "skew_pos",
    "rot90",
    "noise",
    "stains",
    "seal_signature",
    "jpeg_input",
    "rot180",
    "faded",
    "skew_neg",
    "blur",
    "rot270",
    "tiff_input",
    "jpeg_heavy",
    "dpi200",
    "sparse",
    "dpi200_jpeg",
    "stamp_handwriting",
    "times200_jpeg",
)
MEDIA_TYPES = {".png": "image/png", ".tif": "image/tiff", ".jpg": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/tiff": "tif", "image/jpeg": "jpg"}
TIMING_KEYS = ("clean", "recognise", "assemble", "total")


# --------------------------------------------------------------------------------------------
# Pure helpers (unit-tested)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    pages: int
    workers: tuple[int, ...]
    partitions: int
    seed: int
    warmup: bool
    timeout: float
    keep: bool
    command_only: bool = False


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """The command line; the defaults fit a 2-core machine (every page costs ~1.5-2 s)."""
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=DESCRIPTION)
    parser.add_argument("--pages", type=_positive, default=12, help="pages per measurement")
    parser.add_argument(
        "--workers", type=_positive, nargs="+", default=[1, 2], help="worker counts to measure"
    )
    parser.add_argument("--partitions", type=_positive, default=6, help="partitions per topic")
    parser.add_argument("--seed", type=int, default=7, help="sample document seed")
    parser.add_argument(
        "--warmup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read one small page per partition (and once with tesseract) before the clock",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for all pages of a run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (pages, logs)")
    parser.add_argument(
        "--command-only",
        action="store_true",
        help="only sohoa ocr --jobs 2 against tesseract two at a time (no broker, no workers)",
    )
    args = parser.parse_args(argv)
    timeout = args.timeout if args.timeout is not None else max(180.0, 30.0 * args.pages)
    return Options(
        pages=args.pages,
        workers=tuple(dict.fromkeys(args.workers)),  # in order, once each
        partitions=args.partitions,
        seed=args.seed,
        warmup=args.warmup,
        timeout=timeout,
        keep=args.keep,
        command_only=args.command_only,
    )


def variant_mix(pages: int, available: Sequence[str]) -> list[tuple[str, int]]:
    """(variant, page index) per page: the preferred classes first, both pages of a document
    alternating (a hồ sơ is mostly continuation pages; page 0 is the hard first page)."""
    order = [v for v in PREFERRED_MIX if v in available]
    order += [v for v in available if v not in order]
    if not order:
        raise ValueError("no variant classes available")
    mix = [(order[i % len(order)], (i // len(order) + i) % 2) for i in range(pages)]
    return [(v, 0 if v.startswith("sparse") else p) for v, p in mix]  # a sparse page is a last page


def partition_of(key: str, partitions: int) -> int:
    """The partition aiokafka's default partitioner (Kafka's murmur2) picks for ``key``."""
    return (int(murmur2(key.encode())) & 0x7FFFFFFF) % partitions


def balanced_page_ids(count: int, partitions: int) -> list[uuid.UUID]:
    """Random page ids, chosen so page i lands on partition i mod P.

    Real ingest uses random ids and evens out over thousands of pages; over 12 pages chance
    alone could give one of two workers 8 pages, and the bench would measure luck.
    """
    ids: list[uuid.UUID] = []
    for index in range(count):
        while partition_of(str(candidate := uuid.uuid4()), partitions) != index % partitions:
            pass
        ids.append(candidate)
    return ids


def worker_env(
    base: Mapping[str, str], *, bootstrap: str, storage_root: Path, port: int, partitions: int
) -> dict[str, str]:
    """An OCR worker's environment: the caller's (PATH, HOME...) minus any SOHOA_* setting."""
    env = {k: v for k, v in base.items() if not k.startswith("SOHOA_")}
    env.update(
        {
            "SOHOA_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SOHOA_KAFKA_PARTITIONS": str(partitions),
            "SOHOA_STORAGE_BACKEND": "local",
            "SOHOA_STORAGE_ROOT": str(storage_root),
            "SOHOA_OCR_PORT": str(port),
        }
    )
    return env


def tesseract_env(base: Mapping[str, str], threads: int | None) -> dict[str, str]:
    """``None`` is tesseract as a user runs it (OpenMP picks the threads); else a limit."""
    env = {k: v for k, v in base.items() if k != "OMP_THREAD_LIMIT"}
    if threads is not None:
        env["OMP_THREAD_LIMIT"] = str(threads)
    return env


def assigned_partitions(metrics: str, group: str = GROUP) -> int | None:
    """The ``sohoa_consumer_assigned_partitions`` gauge of ``group`` in a /metrics page."""
    pattern = re.compile(
        r"^sohoa_consumer_assigned_partitions\{group=\"" + re.escape(group) + r"\"\} (\S+)$",
        re.MULTILINE,
    )
    found = pattern.search(metrics)
    return int(float(found.group(1))) if found else None


def assignment_settled(counts: Sequence[int | None], partitions: int) -> bool:
    """Every partition held, and every worker holding some (a stale gauge of a worker that
    held everything before a rebalance cannot pass: its new peer would be counted twice)."""
    if any(count is None for count in counts):
        return False
    known = [count for count in counts if count is not None]
    holding = sum(1 for count in known if count > 0)
    return sum(known) == partitions and holding == min(len(known), partitions)


def run_file_code(run_id: str, workers: int, *, warmup: bool = False) -> str:
    """A file code per run, so one run never counts another run's events."""
    return validate_file_code(f"BENCH.{run_id}.W{workers}" + (".WARMUP" if warmup else ""))


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def mean_timings(timings: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean of each timing over the pages, plus ``other`` = total minus the pipeline stages
    (fetch from storage, process-pool hand-over, storing derivatives)."""
    rows = list(timings)
    means = {
        key: statistics.fmean(row[key] for row in rows)
        for key in TIMING_KEYS
        if rows and all(key in row for row in rows)
    }
    if all(key in means for key in TIMING_KEYS):
        means["other"] = means["total"] - means["clean"] - means["recognise"] - means["assemble"]
    return means


@dataclass(frozen=True)
class Measurement:
    label: str
    pages: int  # pages finished
    seconds: float
    expected: int | None = None  # pages asked for, when some may be missing
    timings: Mapping[str, float] = field(default_factory=dict)
    others: float | None = None  # share of the machine other processes used meanwhile

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    @property
    def missing(self) -> int:
        return 0 if self.expected is None else self.expected - self.pages


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def format_table(rows: Sequence[Measurement], references: Sequence[Measurement]) -> str:
    """pages, seconds, pages/s, the ratio of pages/s against each reference, and how much of
    the machine other processes took meanwhile."""
    width = max(len(row.label) for row in rows)
    columns = [f"vs {reference.label}" for reference in references]
    header = f"{'':<{width}}  {'pages':>5}  {'seconds':>8}  {'pages/s':>8}"
    header += "".join(f"  {column}" for column in columns) + f"  {'other CPU':>9}"
    lines = [header]
    for row in rows:
        pages = f"{row.pages}/{row.expected}" if row.missing else str(row.pages)
        line = (
            f"{row.label:<{width}}  {pages:>5}  {row.seconds:>8.2f}  {row.pages_per_second:>8.3f}"
        )
        for reference, column in zip(references, columns, strict=True):
            value = ratio(row.pages_per_second, reference.pages_per_second)
            line += f"  {_fmt_ratio(value):>{len(column)}}"
        lines.append(line + f"  {_fmt_share(row.others):>9}")
    return "\n".join(lines)


def verdict(name: str, value: float | None, target: float) -> str:
    """One target line: the ratio, the target and plainly whether it was met."""
    if value is None:
        return f"{name}: not measured (target ≥ {target:.1f}×)"
    met = "MET" if value >= target else "NOT MET"
    return f"{name}: {value:.2f}× (target ≥ {target:.1f}×) {met}"


def format_per_page(rows: Sequence[tuple[str, Mapping[str, float]]]) -> str:
    """One line per page: where its time went, to spot the fault that costs most."""
    if not rows:
        return "no pages"
    width = max(len("page"), *(len(label) for label, _ in rows))
    lines = [f"{'page':<{width}}" + "".join(f"  {key:>9}" for key in TIMING_KEYS)]
    for label, timings in rows:
        cells = "".join(
            f"  {timings[key]:>9.2f}" if key in timings else f"  {'-':>9}" for key in TIMING_KEYS
        )
        lines.append(f"{label:<{width}}{cells}")
    return "\n".join(lines)


def format_timings(label: str, means: Mapping[str, float]) -> str:
    if not means:
        return f"{label}: no timings"
    parts = "  ".join(f"{k} {v:.2f}" for k, v in means.items())
    return f"{label}: {parts}"


# --------------------------------------------------------------------------------------------
# Whose CPU: the machine is shared (other benches, test stacks), so every measurement says how
# much of the machine other processes took meanwhile (machine busy time minus our own tree's)
# --------------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
ProcTimes = tuple[int, int]  # (parent pid, CPU ticks of the process and its reaped children)


def parse_cpu_line(line: str) -> tuple[int, int]:
    """(busy, total) ticks from the ``cpu`` line of /proc/stat (idle and iowait are idle;
    guest time is already inside user)."""
    values = [int(v) for v in line.split()[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values)
    return total - idle, total


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of all cores busy between two /proc/stat readings."""
    elapsed = after[1] - before[1]
    return (after[0] - before[0]) / elapsed if elapsed > 0 else None


def parse_proc_stat(text: str) -> ProcTimes:
    """(ppid, utime + stime + cutime + cstime) from a /proc/<pid>/stat line; the command
    name in parentheses may hold spaces, so fields are counted after the last ``)``."""
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), sum(int(v) for v in fields[11:15])


def descendants(processes: Mapping[int, ProcTimes], root: int) -> set[int]:
    """Every process below ``root`` (not ``root`` itself)."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in processes.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def others_share(machine_busy: int, own: int, window_ticks: float, cores: int) -> float | None:
    """Share of the machine's capacity over the window that was not ours."""
    capacity_ticks = window_ticks * cores
    return max(0.0, machine_busy - own) / capacity_ticks if capacity_ticks > 0 else None


def _machine_busy() -> int | None:
    try:
        return parse_cpu_line(Path("/proc/stat").read_text().splitlines()[0])[0]
    except (OSError, IndexError, ValueError):
        return None


def _processes() -> dict[int, ProcTimes]:
    found: dict[int, ProcTimes] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            found[int(entry.parent.name)] = parse_proc_stat(entry.read_text())
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return found


def _own_ticks() -> int:
    """This process and its reaped children (the reference tesseract runs), in ticks."""
    times = os.times()
    return round((times.user + times.system + times.children_user + times.children_system) * TICKS)


class CpuWatch:
    """Started before a measurement, read after it: how much of the machine others used."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._busy = _machine_busy()
        self._own = _own_ticks()
        processes = _processes()
        self._tree = {pid: processes[pid][1] for pid in descendants(processes, os.getpid())}

    def others(self) -> float | None:
        busy = _machine_busy()
        if busy is None or self._busy is None:
            return None
        processes = _processes()
        tree = descendants(processes, os.getpid())
        own = _own_ticks() - self._own
        own += sum(processes[pid][1] - self._tree.get(pid, 0) for pid in tree)
        window = (time.monotonic() - self._started) * TICKS
        return others_share(busy - self._busy, own, window, os.cpu_count() or 1)


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchPage:
    variant: str
    path: Path
    media_type: str
    width: int
    height: int
    dpi: int
    page_index: int = 0  # 0: the document's first page (header, seal, signature)

    @property
    def label(self) -> str:
        return f"{self.variant} p{self.page_index}"


def render_pages(directory: Path, count: int, seed: int) -> tuple[list[BenchPage], BenchPage]:
    """The bench pages, and a small warm-up page (the top of the first one)."""
    available = VARIANT_CLASSES
    directory.mkdir(parents=True, exist_ok=True)
    pages: list[BenchPage] = []
    for index, (variant, page_index) in enumerate(variant_mix(count, available)):
        image, _ = render_variant(variant, seed, page_index=page_index)
        path = directory / f"{index + 1:03d}-{variant}-p{page_index}{file_suffix(variant)}"
        dpi = save_page(image, path, variant)
        pages.append(
            BenchPage(
                variant,
                path,
                MEDIA_TYPES[path.suffix],
                image.width,
                image.height,
                dpi,
                page_index,
            )
        )
    first, _ = render_variant("clean", seed)
    strip = first.crop((0, 0, first.width, first.height // 4))
    strip.info = dict(first.info)
    warm_path = directory / "warmup.png"
    dpi = save_page(strip, warm_path, "clean")
    return pages, BenchPage("warmup", warm_path, "image/png", strip.width, strip.height, dpi)


# --------------------------------------------------------------------------------------------
# Reference: the tesseract command
# --------------------------------------------------------------------------------------------


def time_tesseract(
    label: str, pages: Sequence[BenchPage], threads: int | None, warmup: BenchPage | None
) -> Measurement:
    """``tesseract <img> - -l vie`` on each page, one after another, stdout captured."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise RuntimeError("tesseract not found on PATH")
    env = tesseract_env(os.environ, threads)

    def read(page: BenchPage) -> None:
        subprocess.run(
            [tesseract, str(page.path), "-", "-l", "vie"], capture_output=True, check=True, env=env
        )

    if warmup is not None:
        read(warmup)  # language data into the page cache, as the workers get theirs
    watch = CpuWatch()
    started = time.perf_counter()
    for page in pages:
        read(page)
    seconds = time.perf_counter() - started
    return Measurement(label, len(pages), seconds, others=watch.others())


def time_tesseract_pairs(pages: Sequence[BenchPage], warmup: BenchPage | None) -> Measurement:
    """``OMP_THREAD_LIMIT=1 tesseract <img> - -l vie``, two pages at a time: what a user with
    two cores and a shell loop would get, the reference for ``sohoa ocr --jobs 2``."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise RuntimeError("tesseract not found on PATH")
    env = tesseract_env(os.environ, 1)

    def read(page: BenchPage) -> None:
        subprocess.run(
            [tesseract, str(page.path), "-", "-l", "vie"], capture_output=True, check=True, env=env
        )

    if warmup is not None:
        read(warmup)
    watch = CpuWatch()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(read, pages))
    seconds = time.perf_counter() - started
    return Measurement(
        "tesseract (1 thread, 2 at a time)", len(pages), seconds, others=watch.others()
    )


def time_command(pages: Sequence[BenchPage], out: Path) -> Measurement:
    """``sohoa ocr --jobs 2`` as the command runs it (clean-up, recognition confirmed both ways
    when in doubt, all five derivatives written), in this process's pool."""
    from services.ocr.cli import read_images, write_outputs
    from shared.errors import SohoaError

    out.mkdir(parents=True, exist_ok=True)
    watch = CpuWatch()
    started = time.perf_counter()
    done = 0
    for image, outcome in read_images([page.path for page in pages], jobs=2, languages="vie"):
        if not isinstance(outcome, SohoaError):
            write_outputs(image, outcome, out)
            done += 1
    seconds = time.perf_counter() - started
    return Measurement(
        "sohoa ocr --jobs 2", done, seconds, expected=len(pages), others=watch.others()
    )


def _sum(first: Measurement, second: Measurement) -> Measurement:
    others = [m.others for m in (first, second) if m.others is not None]
    return Measurement(
        first.label,
        first.pages + second.pages,
        first.seconds + second.seconds,
        expected=None if first.expected is None else first.expected + (second.expected or 0),
        others=max(others) if others else None,
    )


def time_abba(
    pages: Sequence[BenchPage], warmup: BenchPage | None, out: Path
) -> tuple[Measurement, Measurement]:
    """Reference, sohoa, sohoa, reference: a machine whose load drifts (other jobs on a shared
    host) slows both sides alike, so the ratio of the sums survives it."""
    first = time_tesseract_pairs(pages, warmup)
    ours = time_command(pages, out)
    ours = _sum(ours, time_command(pages, out))
    return _sum(first, time_tesseract_pairs(pages, None)), ours


def command_report(pair: Measurement, command: Measurement) -> str:
    """The two-core comparison: pages/s of the command over that of the paired reference."""
    value = ratio(command.pages_per_second, pair.pages_per_second)
    return "\n".join(
        [
            f"  {pair.label}: {pair.seconds / max(pair.pages, 1):.2f} s/page (wall)",
            f"  {command.label} (5 derivatives): "
            f"{command.seconds / max(command.pages, 1):.2f} s/page (wall)",
            "  " + verdict(f"{command.label} vs {pair.label}", value, COMMAND_TARGET),
        ]
    )


# --------------------------------------------------------------------------------------------
# sohoa: k worker processes behind the broker
# --------------------------------------------------------------------------------------------


class BenchError(RuntimeError):
    pass


def _worker_assignment(worker: ServiceProcess) -> int | None:
    try:
        return assigned_partitions(httpx.get(f"{worker.url}/metrics", timeout=2).text)
    except httpx.HTTPError:
        return None


def wait_for_assignment(
    workers: Sequence[ServiceProcess], partitions: int, deadline: float
) -> None:
    """Poll each worker's /metrics until the group holds every partition between them."""
    counts: list[int | None] = []
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process is None or worker.process.poll() is not None:
                raise BenchError(f"{worker.name} exited; see {worker.log_path}")
        counts = [_worker_assignment(worker) for worker in workers]
        if assignment_settled(counts, partitions):
            return
        time.sleep(0.2)  # poll interval between /metrics questions
    raise BenchError(f"partitions not assigned in time (last seen {counts})")


@dataclass
class Tally:
    """Results of one file code's pages as they arrive on page-processed / page-failed."""

    file_code: str
    expected: set[uuid.UUID]
    processed: dict[uuid.UUID, PageProcessed] = field(default_factory=dict)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.expected <= (self.processed.keys() | self.failed.keys())

    def feed(self, record: ConsumerRecord[bytes, bytes]) -> None:
        if record.value is None:
            return
        if record.topic == PageProcessed.TOPIC:
            event = PageProcessed.model_validate_json(record.value)
            if event.file_code == self.file_code and event.page_id in self.expected:
                self.processed[event.page_id] = event
        elif record.topic == PageFailed.TOPIC:
            failed = PageFailed.model_validate_json(record.value)
            if failed.file_code == self.file_code and failed.page_id in self.expected:
                self.failed[failed.page_id] = f"{failed.reason_code}: {failed.detail[:200]}"


async def _store_events(
    originals: ObjectStore,
    file_code: str,
    pages: Sequence[BenchPage],
    page_ids: Sequence[uuid.UUID],
) -> list[PageIngested]:
    """Store each original as ingest would, and the event ingest would publish for it."""
    events = []
    for sequence, (page, page_id) in enumerate(zip(pages, page_ids, strict=True), start=1):
        data = page.path.read_bytes()  # pages are a few MB; read before the clock
        sha256 = hashlib.sha256(data).hexdigest()
        key = f"{file_code}/{sequence:04d}-{sha256[:16]}.{EXTENSIONS[page.media_type]}"
        stored = await originals.put(key, io.BytesIO(data), content_type=page.media_type)
        events.append(
            PageIngested(
                file_code=file_code,
                page_id=page_id,
                sequence=sequence,
                object_key=stored.key,
                sha256=stored.sha256,
                size=stored.size,
                media_type=page.media_type,
                width=page.width,
                height=page.height,
                dpi=page.dpi,
            )
        )
    return events


async def _collect(consumer: AIOKafkaConsumer, tallies: Sequence[Tally], deadline: float) -> None:
    while not tallies[0].done and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                for tally in tallies:
                    tally.feed(record)


@dataclass(frozen=True)
class Run:
    measurement: Measurement
    failed: Mapping[uuid.UUID, str]
    per_page: Sequence[tuple[str, Mapping[str, float]]] = ()  # (page label, timings) in order


async def measure_workers(
    label: str,
    *,
    bootstrap: str,
    storage_root: Path,
    file_code: str,
    pages: Sequence[BenchPage],
    warmup: tuple[str, BenchPage] | None,
    partitions: int,
    wait_seconds: float,
) -> Run:
    """Warm up (off the clock), then: clock on, publish every page-ingested, clock off when
    the last page-processed of this run arrives."""
    originals = await open_store(StorageSettings(root=storage_root), "originals")
    events = await _store_events(
        originals, file_code, pages, balanced_page_ids(len(pages), partitions)
    )
    warm_events: list[PageIngested] = []
    if warmup is not None:
        warm_code, warm_page = warmup
        warm_events = await _store_events(
            originals,
            warm_code,
            [warm_page] * partitions,
            balanced_page_ids(partitions, partitions),
        )
    tally = Tally(file_code, {e.page_id for e in events})
    warm_tally = Tally(warmup[0] if warmup else "", {e.page_id for e in warm_events})
    settings = KafkaSettings(bootstrap_servers=bootstrap, partitions=partitions)
    consumer = AIOKafkaConsumer(
        PageProcessed.TOPIC,
        PageFailed.TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with KafkaPublisher.open(settings, source="bench") as publisher:
            join_deadline = time.monotonic() + 60
            while not consumer.assignment() and time.monotonic() < join_deadline:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        tally.feed(record)
            if warm_events:
                for event in warm_events:
                    await publisher.publish(event)
                await _collect(consumer, [warm_tally, tally], time.monotonic() + wait_seconds)
                if not warm_tally.done:
                    raise BenchError(f"{label}: warm-up pages not read within {wait_seconds:.0f} s")
            watch = CpuWatch()
            started = time.perf_counter()
            for event in events:
                await publisher.publish(event)
            await _collect(consumer, [tally], time.monotonic() + wait_seconds)
            seconds = time.perf_counter() - started
            others = watch.others()
    finally:
        await consumer.stop()
    return Run(
        Measurement(
            label,
            len(tally.processed),
            seconds,
            expected=len(events),
            timings=mean_timings(e.timings for e in tally.processed.values()),
            others=others,
        ),
        dict(tally.failed),
        [
            (page.label, tally.processed[event.page_id].timings)
            for page, event in zip(pages, events, strict=True)
            if event.page_id in tally.processed
        ],
    )


@dataclass
class Bench:
    """One broker for every run; workers started and stopped around each measurement."""

    options: Options
    work: Path
    pages: list[BenchPage]
    warm_page: BenchPage
    run_id: str = field(default_factory=lambda: secrets.token_hex(4).upper())
    broker: TansuBroker | None = None

    @property
    def logs(self) -> Path:
        return self.work / "logs"

    def start_broker(self) -> str:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.broker = TansuBroker(log_path=self.logs / "broker.log").start()
        settings = KafkaSettings(
            bootstrap_servers=self.broker.bootstrap, partitions=self.options.partitions
        )
        counts = asyncio.run(
            ensure_topics(settings, topics_for([PageIngested, PageProcessed, PageFailed]))
        )
        if counts.get(PageIngested.TOPIC) != self.options.partitions:
            raise BenchError(f"page-ingested has {counts.get(PageIngested.TOPIC)} partitions")
        return self.broker.bootstrap

    def run_workers(self, count: int) -> Run:
        if self.broker is None:
            raise BenchError("broker not started")
        storage = self.work / "objects"
        workers = []
        for number in range(1, count + 1):
            name = "ocr" if number == 1 else f"ocr-{number}"
            port = free_port()
            env = worker_env(
                os.environ,
                bootstrap=self.broker.bootstrap,
                storage_root=storage,
                port=port,
                partitions=self.options.partitions,
            )
            workers.append(ServiceProcess(name, port, env, self.logs / f"w{count}-{name}.log"))
        try:
            for worker in workers:
                worker.start()
            deadline = time.monotonic() + 180
            for worker in workers:
                worker.wait_ready(deadline)
            wait_for_assignment(workers, self.options.partitions, deadline)
            label = f"sohoa, {count} worker{'s' if count > 1 else ''}"
            warm_code = run_file_code(self.run_id, count, warmup=True)
            return asyncio.run(
                measure_workers(
                    label,
                    bootstrap=self.broker.bootstrap,
                    storage_root=storage,
                    file_code=run_file_code(self.run_id, count),
                    pages=self.pages,
                    warmup=(warm_code, self.warm_page) if self.options.warmup else None,
                    partitions=self.options.partitions,
                    wait_seconds=self.options.timeout,
                )
            )
        finally:
            for worker in workers:
                worker.stop()

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def cpu_busy(seconds: float = 1.0) -> float | None:
    """How busy the machine is before we load it: another bench makes the numbers noisy."""
    stat = Path("/proc/stat")
    if not stat.is_file():
        return None
    before = parse_cpu_line(stat.read_text().splitlines()[0])
    time.sleep(seconds)  # the sampling window, not a synchronisation sleep
    return busy_share(before, parse_cpu_line(stat.read_text().splitlines()[0]))


def capacity(single: float, together: float, copies: int) -> float | None:
    """Pages per unit time with ``copies`` runs at once, against one run alone."""
    return copies * single / together if together > 0 else None


def parallel_capacity(page: BenchPage, copies: int) -> float | None:
    """The ceiling of k workers vs 1: one single-thread tesseract alone, then ``copies`` at
    once. Two real cores give ~2; two vCPUs that share a physical core give ~1."""
    tesseract = shutil.which("tesseract") or "tesseract"
    argv = [tesseract, str(page.path), "-", "-l", "vie"]
    env = tesseract_env(os.environ, 1)
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    single = time.perf_counter() - started
    started = time.perf_counter()
    running = [
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for _ in range(copies)
    ]
    for process in running:
        process.wait()
    return capacity(single, time.perf_counter() - started, copies)


@dataclass(frozen=True)
class Machine:
    """What the machine could give while the bench ran: the context for every ratio."""

    cores: int
    load: str
    busy_before: float | None
    capacity_before: float | None
    capacity_after: float | None = None

    def notes(self) -> list[str]:
        lines = [
            f"machine: {self.cores} cores, load average at start {self.load}, "
            f"CPU busy before start {_fmt_share(self.busy_before)}",
            f"parallel capacity ({self.cores} single-thread tesseract runs at once vs one "
            f"alone): {_fmt_ratio(self.capacity_before)} at start, "
            f"{_fmt_ratio(self.capacity_after)} at end (ideal {self.cores:.1f}×)",
        ]
        if self.busy_before is not None and self.busy_before > NOISY:
            lines.append(
                "NOTE: the CPU was busy before the bench started (another process or bench);"
                " the numbers are noisy."
            )
        for when, value in (("start", self.capacity_before), ("end", self.capacity_after)):
            if value is not None and value < 0.8 * self.cores:
                lines.append(
                    f"NOTE: at the {when}, {self.cores} pages at once ran only {value:.2f}× as fast"
                    " as one (other processes, or a busy host); a machine like that caps the"
                    " worker scaling ratio. The 'other CPU' column says how busy it was during"
                    " each measurement."
                )
        return lines


def _fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def report(
    options: Options,
    pages: Sequence[BenchPage],
    references: Sequence[Measurement],
    runs: Mapping[int, Run],
    machine: Machine | None = None,
) -> str:
    """The table, the stage timings and the two targets."""
    reference = references[0]
    rows = [*references, *(run.measurement for run in runs.values())]
    mix = ", ".join(dict.fromkeys(page.variant for page in pages))
    lines = [
        f"OCR throughput: {len(pages)} pages ({mix}), {os.cpu_count()} cores, "
        f"{options.partitions} partitions, warm-up {'on' if options.warmup else 'off'}",
        "",
        format_table(rows, references),
        "",
        "Mean PageProcessed.timings per page (s; other = fetch + pool hand-over + store):",
    ]
    for run in runs.values():
        lines.append("  " + format_timings(run.measurement.label, run.measurement.timings))
    lines.append(
        f"  tesseract command per page: {reference.seconds / max(reference.pages, 1):.2f} "
        f"(default threads), {references[-1].seconds / max(references[-1].pages, 1):.2f} "
        "(1 thread)"
    )
    one = runs.get(1)
    if one is not None and one.measurement.pages and "total" in one.measurement.timings:
        wall = one.measurement.seconds / one.measurement.pages
        outside = wall - one.measurement.timings["total"]
        lines.append(
            f"  1 worker: wall {wall:.2f} s/page, outside the handler (Kafka, commit, queue) "
            f"{outside:.2f} s/page"
        )
    if runs:
        first = min(runs)  # the fewest workers: stage times least disturbed by a neighbour
        lines += ["", f"Per page, {runs[first].measurement.label} (s):"]
        lines += ["  " + row for row in format_per_page(runs[first].per_page).splitlines()]
    two = runs.get(2)
    scale = (
        ratio(two.measurement.pages_per_second, one.measurement.pages_per_second)
        if one and two
        else None
    )
    engine = ratio(one.measurement.pages_per_second, reference.pages_per_second) if one else None
    lines += [
        "",
        "Targets:",
        "  " + verdict("2 workers vs 1 worker", scale, SCALE_TARGET),
        "  " + verdict(f"1 worker vs {reference.label}", engine, ENGINE_TARGET),
    ]
    if one is not None and len(references) > 1:
        single = ratio(one.measurement.pages_per_second, references[-1].pages_per_second)
        lines.append(f"  (1 worker vs {references[-1].label}: {_fmt_ratio(single)}, no target)")
    if machine is not None:
        lines += ["", *machine.notes()]
    busy = [row.label for row in rows if row.others is not None and row.others > NOISY]
    if busy:
        lines.append(
            f"NOTE: other processes took more than {NOISY:.0%} of the machine during: "
            + "; ".join(busy)
            + " (see 'other CPU'): those numbers are noisy."
        )
    for run in runs.values():
        for page_id, reason in run.failed.items():
            lines.append(f"  {run.measurement.label}: page {page_id} failed: {reason}")
        if run.measurement.missing:
            lines.append(f"  {run.measurement.label}: {run.measurement.missing} page(s) MISSING")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-ocr-"))
    cores = os.cpu_count() or 1
    load, busy = _load(), cpu_busy()
    print(f"load average at start: {load}; CPU busy {_fmt_share(busy)}", flush=True)
    print(f"rendering {options.pages} pages ...", flush=True)
    pages, warm_page = render_pages(work / "pages", options.pages, options.seed)
    bench = Bench(options, work, pages, warm_page)
    ok = False
    try:
        print("measuring the machine's parallel capacity ...", flush=True)
        machine = Machine(cores, load, busy, parallel_capacity(pages[0], cores))
        warm = warm_page if options.warmup else None
        print("timing tesseract (1 thread, 2 at a time) and sohoa ocr --jobs 2 ...", flush=True)
        pair, command = time_abba(pages, warm, work / "command")
        print("\nTwo cores, no broker (target >= 1.0x):")
        print(command_report(pair, command), flush=True)
        if options.command_only:
            ok = not command.missing
            return 0 if ok else 1
        references = []
        for label, threads in (("tesseract (default threads)", None), ("tesseract (1 thread)", 1)):
            print(f"timing {label} ...", flush=True)
            references.append(time_tesseract(label, pages, threads, warm))
        bench.start_broker()
        runs: dict[int, Run] = {}
        for count in options.workers:
            print(f"timing sohoa with {count} worker(s) (load {_load()}) ...", flush=True)
            runs[count] = bench.run_workers(count)
        machine = replace(machine, capacity_after=parallel_capacity(pages[0], cores))
        print()
        print(report(options, pages, references, runs, machine))
        ok = not any(run.measurement.missing or run.failed for run in runs.values())
    except Exception as exc:
        print(f"bench failed: {exc!r}", file=sys.stderr)
        raise
    finally:
        bench.stop()
        if ok and not options.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"pages and logs kept in {work}", file=sys.stderr if not ok else sys.stdout)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
