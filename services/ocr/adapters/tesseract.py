"""tesseract behind one small engine interface, and the process pool the worker runs it in.

Chosen by measurement (bench/ocr.py): the ``tesseract`` command was faster per page here than
a binding that keeps the model loaded (tesserocr 2.13 with its bundled libtesseract 5.5.4:
2.2 s against 1.3 s on the same 300 dpi page), and one run writes the hOCR and the PDF text
layer every other derivative is made from.
The pool is the parallelism: one page per process, one tesseract thread per process
(OMP_THREAD_LIMIT), fastest per core. ``forkserver`` because forking a process that runs
client threads (Kafka, S3) is unsafe.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import cv2
import pytesseract
from cv2.typing import MatLike
from PIL import Image

from services.ocr.domain import PageTimeout, UnreadableImage

T = TypeVar("T")
OUTPUTS = ("hocr", "pdf")  # text and ALTO are built from the hOCR, in reading order
_OSD_ROTATE = re.compile(r"Rotate: (\d+)")
_OSD_CONFIDENCE = re.compile(r"Orientation confidence: ([\d.]+)")


@dataclass(frozen=True)
class RawReading:
    hocr: str
    pdf: bytes  # the invisible text layer alone: the pipeline puts the page image under it


class OcrEngine(Protocol):
    """What the pipeline needs of a recognition engine: a stand-in replaces tesseract in tests.

    ``orientation`` is a guess (clockwise degrees to upright, confidence); ``read`` is the
    recognition whose word confidences confirm or overrule it.
    """

    name: str

    def orientation(self, image: MatLike) -> tuple[int, float]: ...

    def read(self, image: Path, *, dpi: int, languages: str) -> RawReading: ...

    def hocr(self, image: Path, *, dpi: int, languages: str) -> str:
        """hOCR only: the cheap reading that confirms an orientation on a strip."""
        ...


@cache
def tesseract_path() -> str:
    """The tesseract command's full path: a missing engine is an installation error."""
    found = shutil.which("tesseract")
    if found is None:
        raise RuntimeError("tesseract not found: apt-get install tesseract-ocr tesseract-ocr-vie")
    return found


@cache
def tessdata_dir() -> Path:
    """Where this machine's tesseract keeps its language data (asked, never hard-coded)."""
    listing = subprocess.run(  # noqa: S603  # our own fixed argv
        [tesseract_path(), "--list-langs"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first = listing.splitlines()[0]
    return Path(first.split('"')[1]) if '"' in first else Path(first.rsplit(" ", 1)[-1])


@cache
def language_data_version(languages: str) -> str:
    """The SHA-256 prefix of each traineddata file used: tells apart two vie.traineddata."""
    parts = []
    for language in languages.split("+"):
        digest = hashlib.sha256((tessdata_dir() / f"{language}.traineddata").read_bytes())
        parts.append(f"{language}:{digest.hexdigest()[:12]}")
    return " ".join(parts)


@cache
def tesseract_version() -> str:
    return subprocess.run(  # noqa: S603  # our own fixed argv
        [tesseract_path(), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]


class TesseractCommand:
    """One ``tesseract`` run per page writing hOCR and a PDF with invisible text."""

    name = "tesseract"

    def orientation(self, image: MatLike) -> tuple[int, float]:
        """tesseract's orientation detection on a reduced copy (it needs no full resolution)."""
        scale = min(1.0, 2000 / max(image.shape[:2]))
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        try:
            report = pytesseract.image_to_osd(Image.fromarray(small), config="--psm 0")
        except pytesseract.TesseractError:
            return 0, 0.0  # too little text to tell
        rotate_match = _OSD_ROTATE.search(report)
        confidence = _OSD_CONFIDENCE.search(report)
        if not rotate_match or not confidence:
            return 0, 0.0
        return int(rotate_match.group(1)) % 360, float(confidence.group(1))

    def hocr(self, image: Path, *, dpi: int, languages: str) -> str:
        return self._run(image, dpi, languages, ("hocr",))[0].decode("utf-8")

    def read(self, image: Path, *, dpi: int, languages: str) -> RawReading:
        hocr, pdf = self._run(image, dpi, languages, OUTPUTS)
        return RawReading(hocr.decode(), pdf)

    def _run(self, image: Path, dpi: int, languages: str, outputs: tuple[str, ...]) -> list[bytes]:
        """One tesseract run; what it wrote, in the order of ``outputs``."""
        with tempfile.TemporaryDirectory(prefix="tess-") as work:
            base = Path(work) / "page"
            return self._run_into(base, image, dpi, languages, outputs)

    def _run_into(
        self, base: Path, image: Path, dpi: int, languages: str, outputs: tuple[str, ...]
    ) -> list[bytes]:
        argv = [
            tesseract_path(), str(image), str(base), "-l", languages, "--dpi", str(dpi),
            "-c", "tessedit_do_invert=0",  # clean-up gives dark text on light paper
            "-c", "textonly_pdf=1",  # the page image is added later, as the JPEG people see
            *outputs,
        ]  # fmt: skip
        result = subprocess.run(argv, capture_output=True, check=False)  # noqa: S603
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip()[-500:]
            raise UnreadableImage(f"tesseract exited {result.returncode}: {message}")
        suffixes = {"hocr": ".hocr", "pdf": ".pdf"}
        return [base.with_suffix(suffixes[o]).read_bytes() for o in outputs]


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """A pool process must not outlive a worker killed with SIGKILL (it would hold a core).

    A worker killed while this process was still starting has already gone when the death
    signal is asked for: then the process is an orphan already and leaves at once."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(threads: int, parent: int) -> None:
    """One thread each for tesseract (OpenMP) and OpenCV: the pool is the parallelism. Each
    pool process leads its own process group, so the tesseract it starts dies with it."""
    _die_with_parent(parent)
    os.setpgid(0, 0)
    os.environ["OMP_THREAD_LIMIT"] = str(threads)
    cv2.setNumThreads(threads)


class RenewablePool:
    """The worker's process pool, which can be killed and started afresh: a page that hangs
    dies with its process (and the tesseract it started) instead of holding a core."""

    def __init__(self, processes: int, threads: int) -> None:
        self._processes = processes
        self._threads = threads
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._threads, os.getpid()),
        )

    def pids(self) -> list[int]:
        """The pool's processes now (started on demand: none before the first page)."""
        return self._pids_of(self.executor)

    def renew(self) -> None:
        """Kill every process of the pool with what it started, then start a new pool."""
        old, self.executor = self.executor, self._new()
        for pid in self._pids_of(old):
            try:
                os.killpg(pid, signal.SIGKILL)  # the process and the tesseract it started
            except ProcessLookupError:  # not yet its own group: still starting
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        old.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _pids_of(executor: ProcessPoolExecutor) -> list[int]:
        # The executor has no way to kill its processes; its table of them is the only handle.
        return [p.pid for p in (executor._processes or {}).values() if p.pid is not None]

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class PooledCall(Generic[T]):
    """Runs a picklable function of a path in the pool, with a per-page time limit; a page
    past it is killed with its pool process."""

    def __init__(self, pool: RenewablePool, function: Callable[[Path], T], timeout: float) -> None:
        self._pool = pool
        self._function = function
        self._timeout = timeout

    async def __call__(self, path: Path) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool.executor, partial(self._function, path))
        try:
            return await asyncio.wait_for(future, timeout=self._timeout)
        except TimeoutError as exc:
            self._pool.renew()
            raise PageTimeout(f"page not read within {self._timeout:.0f} s") from exc


@contextmanager
def renewable_pool(processes: int, threads: int) -> Iterator[RenewablePool]:
    pool = RenewablePool(processes, threads)
    try:
        yield pool
    finally:
        pool.shutdown()


@contextmanager
def ocr_pool(processes: int, threads: int) -> Iterator[ProcessPoolExecutor]:
    with renewable_pool(processes, threads) as pool:
        yield pool.executor
