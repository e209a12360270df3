"""``sohoa ocr``: the worker's clean-up and recognition on local files, for operators who
re-read or check pages by hand. No broker or storage: one JSON and the derivatives per image."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from services.ocr.adapters.tesseract import ocr_pool
from services.ocr.pipeline import PageResult, process_image
from shared.errors import SohoaError


def _outcome(image: Path, languages: str) -> tuple[Path, PageResult | SohoaError]:
    try:
        return image, process_image(image, languages=languages)
    except SohoaError as exc:  # one bad page never stops the batch
        return image, exc


def write_outputs(image: Path, result: PageResult, out: Path) -> Path:
    """``<stem>.json`` plus the derivatives the worker stores, side by side."""
    stem = out / image.stem
    for suffix, content in (
        (".txt", result.text.encode()),
        (".hocr", result.hocr.encode()),
        (".alto.xml", result.alto.encode()),
        (".pdf", result.pdf),
        (".clean.jpg", result.clean_jpeg),
    ):
        stem.with_name(stem.name + suffix).write_bytes(content)
    report: dict[str, Any] = {
        "image": image.name,
        "text": result.text,
        "confidence": result.confidence,
        "quality": {**asdict(result.quality), "rescan": result.quality.rescan},
        "seconds": result.seconds,
        "engine": result.engine,
        "language_data": result.language_data,
        "timings": result.timings,
        "steps": [asdict(step) for step in result.steps],
    }
    target = stem.with_name(stem.name + ".json")
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def read_images(
    images: Sequence[Path], *, jobs: int, languages: str, threads: int = 1
) -> Iterator[tuple[Path, PageResult | SohoaError]]:
    """Results as pages finish, ``jobs`` pages at a time (one tesseract thread each)."""
    with ocr_pool(jobs, threads) as pool:
        futures = [pool.submit(partial(_outcome, image, languages)) for image in images]
        for future in as_completed(futures):
            yield future.result()


def run(
    images: Sequence[Path], out: Path, *, jobs: int, languages: str, explain: bool = False
) -> int:
    """Exit status 0 when every image was read, 1 when any failed (reported in its JSON)."""
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for image, outcome in read_images(images, jobs=jobs, languages=languages):
        if isinstance(outcome, SohoaError):
            failures += 1
            report = {"image": image.name, "error": outcome.code, "detail": str(outcome)}
            (out / f"{image.stem}.json").write_text(
                json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            print(f"{image.name}: FAILED {outcome.code}: {outcome}", flush=True)
            continue
        write_outputs(image, outcome, out)
        flags = ", ".join(outcome.quality.flags) or "ok"
        print(
            f"{image.name}: {len(outcome.text)} characters, confidence {outcome.confidence}, "
            f"rotation {outcome.quality.rotation}°, skew {outcome.quality.skew}°, "
            f"{outcome.seconds:.1f} s [{flags}]",
            flush=True,
        )
        if explain:
            for step in outcome.steps:
                print(f"  {step.step:<18} {step.seconds:7.3f} s  {step.detail}", flush=True)
    return 1 if failures else 0
