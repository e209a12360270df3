"""OCR quality on the project's own corpus of degraded Vietnamese administrative pages with
known ground truth: character error rate per variant class against the issue's bounds, and
against plain ``tesseract -l vie`` on the very same pages."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from services.ocr.adapters.tesseract import ocr_pool, tesseract_path
from services.ocr.pipeline import process_image
from tests.support.corpus import VARIANT_CLASSES, CorpusPage, write_corpus
from tests.support.textmetrics import cer

pytestmark = pytest.mark.integration
SEEDS = (1, 2)
GEOMETRY = {"skew_pos", "skew_neg", "rot90", "rot180", "rot270"}
BOUND = {variant: 0.03 if variant in GEOMETRY else 0.02 for variant in VARIANT_CLASSES}


def _plain_tesseract(path: Path) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    argv = [tesseract_path(), str(path), "-", "-l", "vie"]
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout


def _score(page: CorpusPage) -> tuple[str, float, float]:
    ours = process_image(page.path, languages="vie").text
    return page.variant, cer(page.truth, ours), cer(page.truth, _plain_tesseract(page.path))


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[float, float]]:
    """Mean CER per class: (sohoa, plain tesseract), the corpus read on both cores."""
    corpus = write_corpus(tmp_path_factory.mktemp("corpus"), SEEDS)
    with ocr_pool(processes=2, threads=1) as pool:
        results = list(pool.map(_score, corpus))
    by_class: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for variant, ours, plain in results:
        by_class[variant].append((ours, plain))
    return {
        variant: (
            sum(o for o, _ in pairs) / len(pairs),
            sum(p for _, p in pairs) / len(pairs),
        )
        for variant, pairs in by_class.items()
    }


@pytest.mark.parametrize("variant", VARIANT_CLASSES)
def test_character_error_rate_stays_within_its_bound(
    scores: dict[str, tuple[float, float]], variant: str
) -> None:
    ours, _plain = scores[variant]
    assert ours <= BOUND[variant], f"{variant}: CER {ours:.2%} > {BOUND[variant]:.0%}"


@pytest.mark.parametrize("variant", VARIANT_CLASSES)
def test_sohoa_reads_better_than_plain_tesseract(
    scores: dict[str, tuple[float, float]], variant: str
) -> None:
    ours, plain = scores[variant]
    assert ours < plain, f"{variant}: sohoa {ours:.2%} vs plain tesseract {plain:.2%}"
