"""OCR quality on the degraded-scan corpus: sohoa against plain tesseract and OCRmyPDF.

    python -m bench.ocr_quality [--seeds 1 2] [--variants noise blur] [--out DIR]
                                [--no-ocrmypdf] [--ocrmypdf-limit N] [--jobs N]

Writes the corpus (tests.support.corpus), reads every page with each engine in the same run
and prints, per variant class, mean CER, WER and wall seconds per page. The baselines say
whether sohoa's clean-up earns its cost: plain ``tesseract <img> - -l vie`` is the floor
sohoa must never sink below (where it does, the bench lists the pages: that is a bug), and
OCRmyPDF (rotate, deskew, unpaper clean) is what an archive would use off the shelf.

Numbers only, no pass/fail: timings depend on the machine, and the unit tests own the rules.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Protocol, cast

from tests.support.corpus import VARIANT_CLASSES, CorpusPage, write_corpus
from tests.support.textmetrics import cer, wer

_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per page, as the worker runs it
_TESSERACT_TIMEOUT = 300
_OCRMYPDF_TIMEOUT = 900
_WORSE_BY = 0.002  # CER differences below this are noise, not a regression


class _PageResult(Protocol):
    """What the bench needs of services.ocr.pipeline.PageResult."""

    @property
    def text(self) -> str: ...


_Reader = Callable[[CorpusPage, Path], str]


class EngineError(RuntimeError):
    """An engine ran but produced no text for a page."""


@dataclass(frozen=True)
class Engine:
    name: str
    read: _Reader
    limit: int | None = None  # read only the first ``limit`` pages (slow engines)


@dataclass(frozen=True)
class Score:
    variant: str
    seed: int
    page_index: int
    cer: float
    wer: float
    seconds: float
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.variant} s{self.seed} p{self.page_index}"


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


def sohoa_engine() -> Engine | None:
    """sohoa's own pipeline, imported only here: the bench works before (or without) it."""
    try:
        module = importlib.import_module("services.ocr.pipeline")
    except (ImportError, SyntaxError) as error:
        print(f"sohoa column unavailable: services.ocr.pipeline does not import ({error})")
        return None
    process = getattr(module, "process_image", None)
    if not callable(process):
        print("sohoa column unavailable: services.ocr.pipeline has no process_image")
        return None
    process_image = cast(Callable[..., _PageResult], process)
    # one core per page, as the worker's pool runs it: threads of this process share two cores,
    # and tesseract's OpenMP threads and OpenCV's own would fight over them (4× the time)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    importlib.import_module("cv2").setNumThreads(1)

    def read(page: CorpusPage, work: Path) -> str:
        return process_image(page.path, languages="vie").text

    return Engine("sohoa", read)


def _run(argv: list[str], timeout: int) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(argv, capture_output=True, env=_ENV, timeout=timeout, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise EngineError(f"{Path(argv[0]).name} exited {done.returncode}: {' / '.join(tail)}")
    return done


def tesseract_engine() -> Engine | None:
    """The baseline: the image straight into ``tesseract`` with no preparation at all."""
    exe = shutil.which("tesseract")
    if exe is None:
        print("tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
        return None

    def read(page: CorpusPage, work: Path) -> str:
        argv = [exe, str(page.path), "-", "-l", "vie"]
        return _run(argv, _TESSERACT_TIMEOUT).stdout.decode("utf-8")

    return Engine("tesseract", read)


def ocrmypdf_engine(limit: int | None) -> Engine | None:
    """OCRmyPDF with its page-fixing options; the sidecar file is its plain-text output."""
    exe = shutil.which("ocrmypdf")
    if exe is None or shutil.which("unpaper") is None:
        print("ocrmypdf not installed (apt-get install ocrmypdf unpaper)")
        return None

    def read(page: CorpusPage, work: Path) -> str:
        sidecar = work / f"{page.path.stem}.ocrmypdf.txt"
        output = work / f"{page.path.stem}.ocrmypdf.pdf"
        argv = [
            exe,
            "--rotate-pages",
            "--deskew",
            "--clean",
            "--jobs",
            "1",
            "-l",
            "vie",
            "--output-type",
            "pdf",
            "--sidecar",
            str(sidecar),
            "--image-dpi",
            str(page.dpi),
            str(page.path),
            str(output),
        ]
        _run(argv, _OCRMYPDF_TIMEOUT)
        return sidecar.read_text(encoding="utf-8")

    return Engine("ocrmypdf", read, limit)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def score_page(engine: Engine, page: CorpusPage, work: Path, keep: bool) -> Score:
    """Read one page; a failure scores as an empty reading (that is what the archive gets)."""
    started = time.perf_counter()
    error: str | None = None
    try:
        text = engine.read(page, work)
    except Exception as failure:  # noqa: BLE001 - one bad page must not end a long run
        text, error = "", f"{type(failure).__name__}: {failure}"
    seconds = time.perf_counter() - started
    if keep:
        (work / f"{page.path.stem}.{engine.name}.txt").write_text(text, encoding="utf-8")
    return Score(
        page.variant,
        page.seed,
        page.page_index,
        cer(page.truth, text),
        wer(page.truth, text),
        seconds,
        error,
    )


def run(
    pages: Sequence[CorpusPage], engines: Sequence[Engine], work: Path, *, jobs: int, keep: bool
) -> dict[str, list[Score]]:
    """Every engine on every page it takes, ``jobs`` pages at a time; progress as it goes."""
    scores: dict[str, list[Score]] = {engine.name: [] for engine in engines}

    def one(index: int) -> list[tuple[str, Score]]:
        page = pages[index]
        return [
            (engine.name, score_page(engine, page, work, keep))
            for engine in engines
            if engine.limit is None or index < engine.limit
        ]

    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        for done, (index, results) in enumerate(
            zip(range(len(pages)), pool.map(one, range(len(pages))), strict=True), start=1
        ):
            parts = []
            for name, score in results:
                scores[name].append(score)
                failed = f" FAILED {score.error}" if score.error else ""
                parts.append(f"{name} {score.cer:.3f}/{score.wer:.3f} {score.seconds:.1f}s{failed}")
            label = f"{pages[index].variant} s{pages[index].seed} p{pages[index].page_index}"
            print(f"[{done}/{len(pages)}] {label:<26} " + "  ".join(parts), flush=True)
    return scores


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _cell(scores: Sequence[Score]) -> str:
    if not scores:
        return f"{'—':>6} {'—':>6} {'—':>6} {0:>3}"
    return (
        f"{fmean(s.cer for s in scores):6.3f} {fmean(s.wer for s in scores):6.3f} "
        f"{fmean(s.seconds for s in scores):6.1f} {len(scores):>3}"
    )


def table(scores: dict[str, list[Score]], variants: Sequence[str]) -> list[str]:
    """One row per variant class and an overall row: mean CER, WER, s/page and pages read."""
    names = list(scores)
    width = max(len(v) for v in [*variants, "overall (common)"])
    head = f"{'variant':<{width}}" + "".join(f" | {name:^24}" for name in names)
    sub = f"{'':<{width}}" + " | ".join(
        ["", *[f"{'CER':>6} {'WER':>6} {'s/pg':>6} {'n':>3}"] * len(names)]
    )
    rule = "-" * len(sub)
    lines = [head, sub, rule]
    for variant in variants:
        cells = [_cell([s for s in scores[name] if s.variant == variant]) for name in names]
        lines.append(f"{variant:<{width}}" + "".join(f" | {cell}" for cell in cells))
    lines.append(rule)
    lines.append(f"{'overall':<{width}}" + "".join(f" | {_cell(scores[n])}" for n in names))
    keys = [{s.label for s in scores[name]} for name in names]
    common = set.intersection(*keys) if keys else set()
    if keys and any(k != common for k in keys) and common:
        cells = [_cell([s for s in scores[n] if s.label in common]) for n in names]
        lines.append(f"{'overall (common)':<{width}}" + "".join(f" | {c}" for c in cells))
    return lines


def regressions(
    scores: dict[str, list[Score]], variants: Sequence[str], ours: str, baseline: str
) -> list[str]:
    """Where ``ours`` reads worse than ``baseline``: per class, then page by page."""
    if ours not in scores or baseline not in scores:
        return []
    lines: list[str] = []
    for variant in variants:
        a = [s.cer for s in scores[ours] if s.variant == variant]
        b = [s.cer for s in scores[baseline] if s.variant == variant]
        if a and b and fmean(a) > fmean(b) + _WORSE_BY:
            lines.append(
                f"class {variant}: {ours} CER {fmean(a):.3f} vs {baseline} {fmean(b):.3f} "
                f"({fmean(a) / max(fmean(b), 1e-9):.2f}x)"
            )
    theirs = {s.label: s for s in scores[baseline]}
    for score in scores[ours]:
        other = theirs.get(score.label)
        if other is not None and score.cer > other.cer + _WORSE_BY:
            lines.append(
                f"page {score.label}: {ours} CER {score.cer:.3f} vs {baseline} {other.cer:.3f} "
                f"(+{score.cer - other.cer:.3f})"
            )
    return lines


def _ratios(scores: dict[str, list[Score]], ours: str, baseline: str) -> list[str]:
    if ours not in scores or baseline not in scores:
        return []
    labels = {s.label for s in scores[ours]} & {s.label for s in scores[baseline]}
    if not labels:
        return []
    mine = [s for s in scores[ours] if s.label in labels]
    theirs = [s for s in scores[baseline] if s.label in labels]

    def ratio(x: float, y: float) -> str:
        return f"{x / y:.2f}" if y > 0 else "∞" if x > 0 else "1.00"

    cer_mine, cer_theirs = fmean(s.cer for s in mine), fmean(s.cer for s in theirs)
    sec_mine, sec_theirs = fmean(s.seconds for s in mine), fmean(s.seconds for s in theirs)
    return [
        f"{ours}/{baseline} on {len(labels)} common pages: CER ratio "
        f"{ratio(cer_mine, cer_theirs)}, time ratio {ratio(sec_mine, sec_theirs)}"
    ]


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ocr_quality",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="sample documents")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANT_CLASSES,
        default=list(VARIANT_CLASSES),
        metavar="CLASS",
        help=f"variant classes (default: all of {', '.join(VARIANT_CLASSES)})",
    )
    parser.add_argument(
        "--pages", type=int, nargs="+", default=[0], help="page indexes (0 = first page)"
    )
    parser.add_argument("--out", type=Path, help="keep corpus and readings here (default: temp)")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="skip the OCRmyPDF column")
    parser.add_argument(
        "--ocrmypdf-limit", type=int, default=None, help="OCRmyPDF reads only the first N pages"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="pages read at once (>1 skews the timings)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    engines = [e for e in (sohoa_engine(), tesseract_engine()) if e is not None]
    if not args.no_ocrmypdf:
        ocrmypdf = ocrmypdf_engine(args.ocrmypdf_limit)
        if ocrmypdf is not None:
            engines.append(ocrmypdf)
    if not engines:
        print("no OCR engine available")
        return 1
    with tempfile.TemporaryDirectory(prefix="ocr-quality-") as scratch:
        work = args.out if args.out is not None else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        pages = write_corpus(work / "corpus", args.seeds, args.variants, pages=args.pages)
        print(
            f"corpus: {len(pages)} pages ({len(args.variants)} classes x seeds {args.seeds} x "
            f"pages {args.pages}) in {time.perf_counter() - started:.0f} s at {work / 'corpus'}"
        )
        print(f"engines: {', '.join(e.name for e in engines)}; jobs {args.jobs}", flush=True)
        scores = run(pages, engines, work, jobs=args.jobs, keep=args.out is not None)

    print()
    print("mean CER / WER (lower is better) and wall seconds per page, by variant class")
    for line in table(scores, args.variants):
        print(line)
    for engine in engines:
        failed = [s for s in scores[engine.name] if s.error]
        if failed:
            print(f"{engine.name}: {len(failed)} page(s) failed, scored as empty readings")
    print()
    for line in _ratios(scores, "sohoa", "tesseract") + _ratios(scores, "sohoa", "ocrmypdf"):
        print(line)
    if "sohoa" in scores and "tesseract" in scores:
        worse = regressions(scores, args.variants, "sohoa", "tesseract")
        print("sohoa worse than plain tesseract (bugs to report):" + ("" if worse else " none"))
        for line in worse:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
