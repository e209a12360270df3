"""Handover packaging against the floor of any packager: ``sha256sum`` + ``cp`` of the same
files, timed in the same run. Packaging here is everything but the PDF/A: metadata (METS,
EAD, PREMIS, XSD validation), the BagIt bag (hash, validate) and the zip; the PDF/A is timed
on its own, per page. Peak RSS of the packaging child process shows memory stays flat.

    python -m bench.handover [--gb 2] [--file-mb 25] [--pdf-pages 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.handover.adapters.aip import AipRequest, build_aip
from services.handover.adapters.bags import make_validated_bag, zip_tree
from services.handover.adapters.pdfa import PdfMetadata, PdfPage, build_pdfa
from services.handover.domain import bag_info, objid_for, package_folder, rep_data_paths
from tests.support.handover import accepted_file

PACKAGE_ID = uuid.UUID("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d")


@dataclass(frozen=True)
class Result:
    bytes: int
    reference_seconds: float
    packaging_seconds: float
    peak_rss_mb: float
    pdf_seconds_per_page: float

    @property
    def ratio(self) -> float:
        """Packaging throughput ÷ sha256sum+cp throughput (1.0 = as fast as the floor)."""
        return self.reference_seconds / self.packaging_seconds


def _hoso(root: Path, total_bytes: int, file_bytes: int) -> tuple[Path, int]:
    """Originals of random bytes (incompressible, like scans), text and hOCR, laid out as
    handover fetches them; returns the representation's data folder and the page count."""
    pages = max(1, total_bytes // file_bytes)
    event, blobs = accepted_file(pages=pages)
    data = root / "bag" / package_folder(objid_for(PACKAGE_ID)) / "representations/rep1/data"
    written = []
    for page in event.pages:
        paths = rep_data_paths(page)
        for part in paths.values():
            (data / part).parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with (data / paths["original"]).open("wb") as sink:
            left = file_bytes
            while left:
                chunk = os.urandom(min(left, 1 << 22))
                digest.update(chunk)
                sink.write(chunk)
                left -= len(chunk)
        written.append(page.model_copy(update={"sha256": digest.hexdigest()}))
        (data / paths["text"]).write_bytes(blobs[page.text_key])
        (data / paths["hocr"]).write_bytes(blobs[page.hocr_key])
    event = event.model_copy(update={"pages": tuple(written)})
    (root / "event.json").write_text(event.model_dump_json(), encoding="utf-8")
    return data, pages


def _reference(data: Path, target: Path) -> float:
    files = sorted(str(p) for p in data.rglob("*") if p.is_file())
    start = time.perf_counter()
    subprocess.run(["sha256sum", *files], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cp", "-r", str(data), str(target)], check=True)
    return time.perf_counter() - start


def package(root: Path) -> None:
    """The child process: package what ``_hoso`` laid out (no PDF/A)."""
    from shared.events import FileAccepted

    event = FileAccepted.model_validate_json((root / "event.json").read_text(encoding="utf-8"))
    objid = objid_for(PACKAGE_ID)
    bag = root / "bag"
    build_aip(
        bag / package_folder(objid),
        AipRequest(event, objid, "bench", datetime.now(UTC), pdf_per="none"),
    )
    make_validated_bag(bag, bag_info(event, PACKAGE_ID, "bench"))
    zip_tree(bag, root / "package.zip", str(PACKAGE_ID))


def _pdf_seconds_per_page(work: Path, pages: int) -> float:
    """A4 colour pages at 300 dpi with a line of OCR words each, through build_pdfa."""
    from PIL import Image

    event, blobs = accepted_file(pages=1)
    (page,) = event.pages
    hocr = work / "p.hocr"
    hocr.write_bytes(blobs[page.hocr_key])
    image = work / "p.png"
    small = Image.open(__import__("io").BytesIO(blobs[page.object_key]))
    small.resize((small.width * 2, small.height * 2)).save(image, dpi=(300, 300))
    start = time.perf_counter()
    build_pdfa(
        [PdfPage(image, hocr)] * pages, PdfMetadata(title="bench", identifier="b"), work / "b.pdf"
    )
    return (time.perf_counter() - start) / pages


def run(gb: float, file_mb: float, pdf_pages: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-handover-") as scratch:
        root = Path(scratch)
        data, _pages = _hoso(root, int(gb * 2**30), int(file_mb * 2**20))
        size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        reference = _reference(data, root / "copy")
        shutil.rmtree(root / "copy")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bench.handover", "--child", str(root)], check=True)
        packaging = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        per_page = _pdf_seconds_per_page(root, pdf_pages)
    return Result(size, reference, packaging, peak_kb / 1024, per_page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the hồ sơ's originals")
    parser.add_argument("--file-mb", type=float, default=25.0, help="size of one original")
    parser.add_argument("--pdf-pages", type=int, default=3, help="pages to time the PDF/A on")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        package(args.child)
        return 0
    result = run(args.gb, args.file_mb, args.pdf_pages)
    print(json.dumps({**result.__dict__, "ratio": round(result.ratio, 3)}, indent=2))
    print(
        f"packaging {result.bytes / 2**30:.2f} GiB: {result.packaging_seconds:.1f} s vs "
        f"sha256sum+cp {result.reference_seconds:.1f} s → ratio {result.ratio:.2f} "
        f"(target ≥ 0.7); peak RSS {result.peak_rss_mb:.0f} MB (target < 300); "
        f"PDF/A {result.pdf_seconds_per_page:.2f} s/page"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
