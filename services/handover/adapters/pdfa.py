"""Two-layer PDF/A-2b (TT 05/2025 Điều 8, domain notes §5.1): the colour page scans with the
invisible OCR text laid over the words from the hOCR, bookmarks per văn bản, XMP from the
description, fonts embedded. OCRmyPDF's hOCR renderer draws each page (its fonts, embedded);
pikepdf joins them and writes PDF/A-2b, validating the bytes it wrote."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import img2pdf
import pikepdf
from ocrmypdf.font import MultiFontManager
from ocrmypdf.fpdf_renderer import Fpdf2PdfRenderer
from ocrmypdf.hocrtransform import HocrParser
from ocrmypdf.pdfa import find_nonembedded_fonts
from pikepdf.pdfa import Flavour
from pikepdf.pdfa import save as save_pdfa
from PIL import Image

from shared.geometry import Affine, scan_transform

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


def _scan_image(image: Path) -> bytes:
    """A one-page PDF holding the scan as img2pdf embeds it: JPEG and JPEG 2000 bytes as they
    are, PNG and TIFF losslessly, in the orientation the scan is stored in (the map from the
    hOCR turns it). A scan with an alpha channel is flattened onto white first."""
    try:
        return bytes(img2pdf.convert(str(image), rotation=img2pdf.Rotation.none))
    except img2pdf.AlphaChannelError:
        with Image.open(image) as im:
            flat = Image.new("RGB", im.size, "white")
            flat.paste(im, mask=im.convert("RGBA").getchannel("A"))
        out = io.BytesIO()
        flat.save(out, "PNG")
        return bytes(img2pdf.convert(out.getvalue(), rotation=img2pdf.Rotation.none))


def _drawing_matrix(
    onto_page: Affine, scan: tuple[int, int], page: tuple[int, int], dpi: float
) -> list[float]:
    """The PDF ``cm`` operands that draw an image XObject (its unit square, first row at the
    top) where ``onto_page`` puts each pixel of the scan, on a page of ``page`` pixels at
    ``dpi`` (PDF's y axis points up)."""
    points = 72.0 / dpi
    square_to_scan = Affine(a=scan[0], e=-scan[1], f=scan[1])
    page_to_points = Affine(a=points, e=-points, f=page[1] * points)
    m = square_to_scan.then(onto_page).then(page_to_points)
    return [m.a, m.d, m.b, m.e, m.c, m.f]


def _render_page(page: PdfPage, target: Path, fonts: MultiFontManager) -> None:
    """One page: the text where the hOCR puts it, and over it the colour scan drawn through
    the map OCR recorded from the scan to the page it read (turned, deskewed, resized), so
    the invisible words lie over the printed ones. An hOCR without the map (read before it
    was recorded) gets the scan stretched over the page. The page's size is the hOCR's
    pixels at the resolution OCR read them at (its ``scan_res``): OCR may have read the page
    enlarged or reduced, and a scan may declare no dpi at all."""
    hocr_text = page.hocr.read_text(encoding="utf-8")
    ocr = HocrParser(page.hocr).parse()
    if ocr.bbox is None:
        raise PdfaInvalid(f"{page.hocr.name}: the hOCR page has no bbox")
    dpi = ocr.dpi or _dpi(page.image)
    Fpdf2PdfRenderer(page=ocr, dpi=dpi, multi_font_manager=fonts, invisible_text=True).render(
        target
    )
    with pikepdf.Pdf.open(target, allow_overwriting_input=True) as pdf:
        with pikepdf.Pdf.open(io.BytesIO(_scan_image(page.image))) as scan_pdf:
            (scan,) = scan_pdf.pages[0].get_images().values()
            stored = (int(scan.Width), int(scan.Height))
            size = (round(ocr.bbox.width), round(ocr.bbox.height))
            onto_page = scan_transform(hocr_text) or Affine.scaled(
                size[0] / stored[0], size[1] / stored[1]
            )
            text_page = pdf.pages[0]
            name = text_page.add_resource(pdf.copy_foreign(scan), pikepdf.Name.XObject)
            matrix = " ".join(f"{v:.6f}" for v in _drawing_matrix(onto_page, stored, size, dpi))
            text_page.contents_add(
                pdf.make_stream(f"q {matrix} cm {name} Do Q".encode("ascii")), prepend=False
            )
        pdf.save(target)


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
