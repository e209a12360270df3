"""Two-layer PDF/A-2b (TT 05/2025 Điều 8, domain notes §5.1): the colour page scans with the
invisible OCR text laid over the words from the hOCR, bookmarks per văn bản, XMP from the
description, fonts embedded. OCRmyPDF's hOCR renderer draws each page (its fonts, embedded);
pikepdf joins them and writes PDF/A-2b, validating the bytes it wrote."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import pikepdf
from ocrmypdf.font import MultiFontManager
from ocrmypdf.fpdf_renderer import Fpdf2PdfRenderer
from ocrmypdf.hocrtransform import HocrParser
from ocrmypdf.pdfa import find_nonembedded_fonts
from pikepdf.pdfa import Flavour
from pikepdf.pdfa import save as save_pdfa
from PIL import Image

FONTS = Path(str(files("ocrmypdf.data")))
DEFAULT_DPI = 300


@dataclass(frozen=True)
class PdfPage:
    image: Path  # the colour scan, unchanged
    hocr: Path


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int  # 0-based


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    identifier: str
    creator: str | None = None
    description: str | None = None
    keywords: str | None = None
    language: str = "vi"
    bookmarks: Sequence[Bookmark] = field(default_factory=tuple)


class PdfaInvalid(RuntimeError):
    """A PDF/A this service built fails its checks: never packaged."""


def _dpi(image: Path) -> float:
    with Image.open(image) as im:
        dpi = im.info.get("dpi")
    return float(dpi[0]) if dpi and dpi[0] else DEFAULT_DPI


def _render_page(page: PdfPage, target: Path, fonts: MultiFontManager) -> None:
    """One page: the scan stretched over the page, the text where the hOCR puts it. The page's
    size is the hOCR's pixels at the resolution OCR read them at (its ``scan_res``): OCR may
    have read the page enlarged or reduced, and a scan may declare no dpi at all."""
    ocr = HocrParser(page.hocr).parse()
    renderer = Fpdf2PdfRenderer(
        page=ocr,
        dpi=ocr.dpi or _dpi(page.image),
        multi_font_manager=fonts,
        invisible_text=True,
        image=page.image,
    )
    renderer.render(target)


def build_pdfa(pages: Sequence[PdfPage], meta: PdfMetadata, target: Path) -> None:
    """Write ``target`` as PDF/A-2b; raises when pikepdf's validation of it fails."""
    fonts = MultiFontManager(FONTS)
    with tempfile.TemporaryDirectory(prefix="pdfa-") as work, pikepdf.Pdf.new() as pdf:
        opened = []
        for n, page in enumerate(pages):
            one = Path(work) / f"{n:05d}.pdf"
            _render_page(page, one, fonts)
            source = pikepdf.Pdf.open(one)
            opened.append(source)
            pdf.pages.extend(source.pages)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:title"] = meta.title
            xmp["dc:identifier"] = meta.identifier
            xmp["dc:language"] = [meta.language]
            if meta.creator:
                xmp["dc:creator"] = [meta.creator]
            if meta.description:
                xmp["dc:description"] = meta.description
            if meta.keywords:
                xmp["pdf:Keywords"] = meta.keywords
            xmp["xmp:CreatorTool"] = "sohoa"
        pdf.Root.Lang = pikepdf.String(meta.language)
        with pdf.open_outline() as outline:
            for mark in meta.bookmarks:
                outline.root.append(pikepdf.OutlineItem(mark.title, mark.page))
        try:
            save_pdfa(pdf, target, Flavour("2b"))
        finally:
            for source in opened:
                source.close()


def pdfa_problems(path: Path, expected_pages: int) -> list[str]:
    """What makes ``path`` unfit to package: its XMP must declare PDF/A-2b, every font must be
    embedded, the page count must match, and poppler's ``pdftotext`` must read its text."""
    problems = []
    with pikepdf.Pdf.open(path) as pdf:
        xmp = pdf.open_metadata()
        if (xmp.get("pdfaid:part"), str(xmp.get("pdfaid:conformance", "")).upper()) != ("2", "B"):
            problems.append(f"{path.name}: XMP does not declare PDF/A-2b")
        missing = find_nonembedded_fonts(pdf)
        if missing:
            problems.append(f"{path.name}: fonts not embedded: {sorted(missing)}")
        if len(pdf.pages) != expected_pages:
            problems.append(f"{path.name}: {len(pdf.pages)} pages, expected {expected_pages}")
    if not problems and not extract_text(path).strip():
        problems.append(f"{path.name}: no text layer")
    return problems


def extract_text(path: Path) -> str:
    """The PDF's text as poppler reads it (what a reader's search finds)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        raise PdfaInvalid("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(  # noqa: S603 - fixed argv, our own file
        [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=120
    )
    return done.stdout.decode("utf-8")
