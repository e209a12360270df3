"""``sohoa describe``: biên mục tự động on the files ``sohoa ocr`` writes, the arguments in order
being the pages of one hồ sơ. For each page, ``<stem>.json``: the văn bản it belongs to and
what it prints (TT 05 names), with a confidence and the boxes each value was read from.

The page's hOCR (``<stem>.hocr`` beside its JSON) gives the layout; without one the text is
read in its order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.catalogue.domain.extraction.documents import split
from services.catalogue.domain.extraction.layout import PageText
from services.catalogue.domain.extraction.reader import FIELDS, read_page


class UnreadableOcrFile(ValueError):
    """An argument that is not a page's JSON as ``sohoa ocr`` writes it."""


def load_page(sequence: int, path: Path) -> tuple[str, PageText]:
    """The ``image`` field of a ``sohoa ocr`` JSON, and its page with layout when it can."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnreadableOcrFile(f"{path}: {exc}") from exc
    if not isinstance(report, dict) or not isinstance(report.get("text"), str):
        raise UnreadableOcrFile(f"{path}: no page text (is it a sohoa ocr JSON?)")
    image = str(report.get("image", path.name))
    hocr = path.with_suffix(".hocr")
    if hocr.is_file():
        return image, PageText.from_hocr(sequence, hocr.read_text(encoding="utf-8"))
    return image, PageText.from_text(sequence, report["text"])


def describe(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """One result per page, in the order given."""
    pages = [load_page(sequence, path) for sequence, path in enumerate(paths, start=1)]
    readings = [read_page(page) for _image, page in pages]
    document_of = {
        reading.sequence: ordinal
        for ordinal, group in enumerate(split(readings), start=1)
        for reading in group
    }
    results = []
    for (image, _page), reading in zip(pages, readings, strict=True):
        results.append(
            {
                "image": image,
                "document": document_of[reading.sequence],
                "fields": {
                    f: reading.fields[f].value if f in reading.fields else None for f in FIELDS
                },
                "confidence": {
                    f: reading.fields[f].confidence if f in reading.fields else 0.0 for f in FIELDS
                },
                "boxes": {
                    f: [b.as_list() for b in reading.fields[f].boxes]
                    for f in FIELDS
                    if f in reading.fields and reading.fields[f].boxes
                },
                "notes": {f: s.note for f, s in reading.fields.items() if s.note},
            }
        )
    return results


def run(paths: Sequence[Path], out: Path) -> int:
    """Exit 0 when every page was described, 2 when an argument is not a page's OCR JSON."""
    try:
        results = describe(paths)
    except UnreadableOcrFile as exc:
        print(f"sohoa describe: {exc}", flush=True)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for path, result in zip(paths, results, strict=True):
        target = out / f"{path.stem}.json"
        target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        found = ", ".join(
            f"{k}={v}"
            for k, v in result["fields"].items()
            if v and k in ("codeNumber", "codeNotation", "issuedDate", "typeLabel")
        )
        print(
            f"{path.name}: văn bản {result['document']}" + (f": {found}" if found else ""),
            flush=True,
        )
    return 0
