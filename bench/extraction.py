"""How well biên mục tự động reads the fields, per field: on the project's page texts (clean
and damaged, tests/support/pages.py) and on sample văn bản rendered, degraded like a
scanner's 200 dpi JPEG, and read by the real OCR (``--ocr N`` documents of two pages; each
page read with its hOCR layout and as plain text).

    python -m bench.extraction [--ocr 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from services.catalogue.cli import describe
from services.catalogue.domain.extraction.layout import PageText
from services.catalogue.domain.extraction.reader import FIELDS, read_page
from services.ocr.cli import run as ocr
from services.ops.samples import SamplePage, degrade, render_document, save_page
from tests.support.pages import CASES, DAMAGED, PageCase

Scores = dict[str, tuple[int, int]]  # field → (right, total)


def corpus(cases: Iterable[PageCase]) -> Scores:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in cases:
        found = {k: s.value for k, s in read_page(PageText.from_text(2, case.text)).fields.items()}
        for name in FIELDS:
            if name == "typeLabel":
                continue
            total[name] += 1
            right[name] += found.get(name) == case.expected.get(name)
    return {name: (right[name], total[name]) for name in total}


def rendered(documents: int, work: Path) -> dict[str, Scores]:
    """Per mode (``layout``, ``text``): the fields the sample's facts name, first pages."""
    scans, facts = [], {}
    for seed in range(100, 100 + documents):
        document = render_document(seed, pages=2, dpi=200)
        for page in document.pages:
            image = degrade(page.image, seed=seed, noise=6.0, blur=0.6, jpeg_quality=75)
            path = save_page(
                SamplePage(page.sequence, page.text, image), work / f"s{seed}-{page.sequence}.png"
            )
            scans.append(path)
        facts[f"s{seed}-1"] = document.facts
    ocr(scans, work / "ocr", jobs=2, languages="vie")
    expected = {
        "codeNumber": "code_number",
        "codeNotation": "code_notation",
        "issuedDate": "issued_date",
        "issuedPlace": "issued_place",
        "typeLabel": "type_label",
        "subject": "subject",
    }
    scores: dict[str, Scores] = {}
    for mode in ("layout", "text"):
        right: Counter[str] = Counter()
        for stem, fact in facts.items():
            report = work / "ocr" / f"{stem}.json"
            if mode == "text":  # the same JSON without its hOCR beside it
                alone = work / "text" / report.name
                alone.parent.mkdir(exist_ok=True)
                shutil.copy(report, alone)
                report = alone
            (result,) = describe([report])
            for name, attr in expected.items():
                right[name] += result["fields"][name] == getattr(fact, attr)
        scores[mode] = {name: (right[name], len(facts)) for name in expected}
    return scores


def _print(title: str, scores: Scores) -> None:
    print(f"\n{title}")
    for name, (right, total) in scores.items():
        print(f"  {name:<18} {right:>3}/{total:<3} {right / total:6.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__)
    parser.add_argument("--ocr", type=int, default=0, help="sample documents to render and OCR")
    args = parser.parse_args(argv)
    _print(f"page texts, clean ({len(CASES)} pages)", corpus(CASES))
    _print(f"page texts, damaged ({len(DAMAGED)} pages)", corpus(DAMAGED))
    if args.ocr:
        with tempfile.TemporaryDirectory(prefix="bench-extraction-") as work:
            for mode, scores in rendered(args.ocr, Path(work)).items():
                _print(f"rendered 200 dpi JPEG, real OCR, {mode} ({args.ocr} first pages)", scores)
    print(json.dumps({"cases": len(CASES), "damaged": len(DAMAGED)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
