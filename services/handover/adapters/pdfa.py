"""Two-layer PDF/A-2b (TT 05/2025 Điều 8, domain notes §5.1): the colour page scans with the
invisible OCR text laid over the words from the hOCR, bookmarks per văn bản, XMP from the
description, fonts embedded. OCRmyPDF's hOCR renderer draws each page (its fonts, embedded);
pikepdf joins them and writes PDF/A-2b, validating the bytes it wrote."""

from __future__ import annotations

import io
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import img2pdf
import pikepdf
from ocrmypdf.font import MultiFontManager
from ocrmypdf.fpdf_renderer import Fpdf2MultiPageRenderer
from ocrmypdf.hocrtransform import HocrParser
from ocrmypdf.models.ocr_element import OcrElement
from ocrmypdf.pdfa import find_nonembedded_fonts
from pikepdf.pdfa import Flavour
from pikepdf.pdfa import save as save_pdfa
from PIL import Image

from shared.errors import PermanentError
from shared.geometry import Affine, scan_transform
from shared.pictures import eight_bit

FONTS = Path(str(files("ocrmypdf.data")))
DEFAULT_DPI = 300
TIFF_BITS_PER_SAMPLE = 258
OPEN_FILES_SPARE = 256  # for everything else the service has open meanwhile


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


class PdfaInvalid(PermanentError):
    """A PDF/A this service built fails its checks: never packaged, and announced."""

    code = "handover.pdfa-invalid"
    title = "PDF/A không hợp lệ"


def _dpi(image: Path) -> float:
    with Image.open(image) as im:
        dpi = im.info.get("dpi")
    return float(dpi[0]) if dpi and dpi[0] else DEFAULT_DPI


def _embeddable_as_stored(image: Path) -> bool:
    """Whether img2pdf can embed the scan's own bytes in a valid PDF/A-2b: not JPEG 2000
    (the PDF/A check cannot verify it), not CMYK (no CMYK output intent), 8 bits a sample."""
    with Image.open(image) as im:
        if im.format == "JPEG2000" or im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
            return False
        if im.mode.startswith("I") or im.mode == "F":  # 16- and 32-bit grey
            return False
        if im.format == "TIFF":  # a 48-bit RGB TIFF opens as RGB
            bits = im.tag_v2.get(TIFF_BITS_PER_SAMPLE, 8)  # type: ignore[attr-defined]
            return all(b <= 8 for b in (bits if isinstance(bits, tuple) else (bits,)))
        return True


def _as_png(image: Path) -> bytes:
    """The scan as an 8-bit grey or RGB PNG in its stored orientation (never EXIF-turned: the
    map from the hOCR starts from the stored pixels): lossless for 8-bit scans, 16-bit grey
    scaled to 8 bits, CMYK and JPEG 2000 decoded."""
    with Image.open(image) as im:
        out = io.BytesIO()
        eight_bit(im).save(out, "PNG")
        return out.getvalue()


def _write_scan_pdf(image: Path, target: Path) -> None:
    """A one-page PDF holding the scan as img2pdf embeds it: JPEG bytes as they are, PNG and
    TIFF losslessly, in the orientation the scan is stored in (the map from the hOCR turns
    it). What a PDF/A-2b cannot hold as stored (JPEG 2000, CMYK, 16 bits a sample) goes in as
    an 8-bit PNG of the same pixels. Written to ``target`` so the joined PDF reads the image
    from disk, never holding a văn bản whole."""
    with target.open("wb") as out:
        if _embeddable_as_stored(image):
            try:
                img2pdf.convert(str(image), rotation=img2pdf.Rotation.none, outputstream=out)
                return
            except (ValueError, img2pdf.ImageOpenError, img2pdf.UnsupportedColorspaceError):
                out.seek(0)
                out.truncate()
        img2pdf.convert(_as_png(image), rotation=img2pdf.Rotation.none, outputstream=out)


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


@dataclass(frozen=True)
class _Read:
    """One page's hOCR as the renderer takes it, and where the scan goes on the page."""

    ocr: OcrElement
    dpi: float
    size: tuple[int, int]  # the page in hOCR pixels
    from_scan: Affine | None  # None: read before OCR recorded the map


def _read(page: PdfPage) -> _Read:
    ocr = HocrParser(page.hocr).parse()
    if ocr.bbox is None:
        raise PdfaInvalid(f"{page.hocr.name}: the hOCR page has no bbox")
    size = (round(ocr.bbox.width), round(ocr.bbox.height))
    from_scan = scan_transform(page.hocr.read_text(encoding="utf-8"))
    return _Read(ocr, ocr.dpi or _dpi(page.image), size, from_scan)


def _draw_scan(pdf: pikepdf.Pdf, n: int, read: _Read, scan_pdf: pikepdf.Pdf) -> None:
    """Over page ``n``'s text, the colour scan drawn through the map OCR recorded from the
    scan to the page it read (turned, deskewed, resized), so the invisible words lie over the
    printed ones; without the map, stretched over the page as before it was recorded."""
    (scan,) = scan_pdf.pages[0].get_images().values()
    stored = (int(scan.Width), int(scan.Height))
    onto_page = read.from_scan or Affine.scaled(read.size[0] / stored[0], read.size[1] / stored[1])
    page = pdf.pages[n]
    name = page.add_resource(pdf.copy_foreign(scan), pikepdf.Name.XObject)
    matrix = " ".join(f"{v:.6f}" for v in _drawing_matrix(onto_page, stored, read.size, read.dpi))
    page.contents_add(pdf.make_stream(f"q {matrix} cm {name} Do Q".encode("ascii")))


def _room_for_open_files(count: int) -> None:
    """Each page's scan stays open until the PDF is written (pikepdf copies its image when it
    saves): a văn bản of more pages than the soft limit of open files allows raises that
    limit up to the hard one, which containers set far higher."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = count + OPEN_FILES_SPARE
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise PdfaInvalid(f"{count} pages need {needed} open files; the limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def build_pdfa(pages: Sequence[PdfPage], meta: PdfMetadata, target: Path) -> None:
    """Write ``target`` as PDF/A-2b; raises when pikepdf's validation of it fails.

    OCRmyPDF's renderer lays every page's invisible text into one PDF, its fonts embedded
    once for the whole văn bản; each page's scan is then drawn over its text. A page is as
    large as the hOCR's pixels at the resolution OCR read them at (its ``scan_res``): OCR
    may have read the page enlarged or reduced, and a scan may declare no dpi at all."""
    reads = [_read(page) for page in pages]
    _room_for_open_files(len(pages))
    with tempfile.TemporaryDirectory(prefix="pdfa-") as work, ExitStack() as scans:
        text = Path(work) / "text.pdf"
        Fpdf2MultiPageRenderer(
            [(n, read.ocr, read.dpi) for n, read in enumerate(reads)],
            MultiFontManager(FONTS),
            invisible_text=True,
        ).render(text)
        pdf = scans.enter_context(pikepdf.Pdf.open(text))
        if "/OpenAction" in pdf.Root:  # fpdf2's zoom on opening: not allowed in PDF/A
            del pdf.Root.OpenAction
        for n, (page, read) in enumerate(zip(pages, reads, strict=True)):
            scan_path = Path(work) / f"{n:05d}.pdf"
            _write_scan_pdf(page.image, scan_path)
            _draw_scan(pdf, n, read, scans.enter_context(pikepdf.Pdf.open(scan_path)))
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
        save_pdfa(pdf, target, Flavour("2b"))


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
