"""Kiểm tra dữ liệu (domain notes §5.2): every check the recorded data allows, as a function of
the hồ sơ. The law asks for "100 %, legible, faithful, in the right format"; the thresholds are
the project's defaults (:class:`CheckPolicy`, set per deployment), not law.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

from services.catalogue.domain.codes import DocumentType
from services.catalogue.domain.dates import within
from services.catalogue.domain.description import FILE_ELEMENTS
from services.catalogue.domain.findings import Finding, Severity
from services.catalogue.domain.identifiers import DOC_ID_MAX_LENGTH, doc_id
from services.catalogue.domain.model import ArchivalFile, Page

LARGE_FORMAT_TYPES = frozenset({DocumentType.MAP, DocumentType.TECHNICAL_DRAWING})


@dataclass(frozen=True)
class CheckPolicy:
    """Thresholds of kiểm tra."""

    min_dpi: float = 200.0  # administrative documents
    min_dpi_large_format: float = 300.0  # maps and technical drawings
    blank_ink_coverage: float = 0.005  # < 0.5 % ink: a blank page (flag, never drop)
    duplicate_distance: int = 4  # perceptual-hash Hamming distance of a duplicate page
    max_residual_skew: float = 0.5  # degrees left after deskew
    min_confidence: float = 60.0  # mean OCR word confidence below which a person reads it


Check = Callable[[ArchivalFile, CheckPolicy], Iterable[Finding]]


def _declared_sequences(file: ArchivalFile) -> range:
    return range(1, file.description.number_of_page + 1)


def page_count(file: ArchivalFile, _policy: CheckPolicy) -> Iterator[Finding]:
    """Pages stored = số lượng trang declared; no gaps; trang ≤ 2 × tờ."""
    pages = file.current_pages()
    declared = file.description.number_of_page
    if len(pages) != declared:
        yield Finding(
            "page-count", Severity.ERROR, f"{len(pages)} trang đã quét, khai báo {declared} trang"
        )
    present = {p.sequence for p in pages}
    for sequence in _declared_sequences(file):
        if sequence not in present:
            yield Finding("page-gap", Severity.ERROR, f"thiếu trang {sequence}", page=sequence)
    for sequence in sorted(present - set(_declared_sequences(file))):
        yield Finding(
            "page-count", Severity.ERROR, f"trang {sequence} ngoài số trang khai báo", page=sequence
        )
    paper = file.description.number_of_paper
    if paper is not None and declared > 2 * paper:
        yield Finding(
            "paper-count",
            Severity.ERROR,
            f"{declared} trang không thể nằm trên {paper} tờ (tối đa 2 trang một tờ)",
            element="numberOfPaper",
        )


def document_pages(file: ArchivalFile, _policy: CheckPolicy) -> Iterator[Finding]:
    """Văn bản cover the hồ sơ's pages exactly once; their page counts add up; totalDoc."""
    documents = file.effective_documents()
    covered: dict[int, int] = {}
    for ordinal, document in documents:
        if document.number_of_page != document.page_count:
            yield Finding(
                "document-pages",
                Severity.ERROR,
                f"văn bản {ordinal}: numberOfPage {document.number_of_page} khác khoảng trang "
                f"{document.first_page}–{document.last_page}",
                document=ordinal,
                element="numberOfPage",
            )
        for sequence in range(document.first_page, document.last_page + 1):
            if sequence in covered:
                yield Finding(
                    "document-pages",
                    Severity.ERROR,
                    f"trang {sequence} thuộc cả văn bản {covered[sequence]} và {ordinal}",
                    page=sequence,
                    document=ordinal,
                )
            covered[sequence] = ordinal
    if documents:
        for sequence in _declared_sequences(file):
            if sequence not in covered:
                yield Finding(
                    "document-pages",
                    Severity.ERROR,
                    f"trang {sequence} không thuộc văn bản nào",
                    page=sequence,
                )
        total = sum(d.number_of_page or 0 for _, d in documents)
        if total != file.description.number_of_page:
            yield Finding(
                "document-pages",
                Severity.ERROR,
                f"tổng số trang các văn bản {total} khác số trang hồ sơ "
                f"{file.description.number_of_page}",
            )
    total_doc = file.description.total_doc
    if total_doc is not None and total_doc != len(documents):
        yield Finding(
            "total-doc",
            Severity.ERROR,
            f"totalDoc = {total_doc} nhưng hồ sơ có {len(documents)} văn bản",
            element="totalDoc",
        )


def page_images(file: ArchivalFile, policy: CheckPolicy) -> Iterator[Finding]:
    """Per page: read at all, blank, resolution, colour depth, residual skew, legibility."""
    large = {
        s
        for _, d in file.effective_documents()
        if d.type_name in LARGE_FORMAT_TYPES
        for s in range(d.first_page, d.last_page + 1)
    }
    for page in file.current_pages():
        yield from _page_findings(page, policy, large_format=page.sequence in large)


def _page_findings(page: Page, policy: CheckPolicy, *, large_format: bool) -> Iterator[Finding]:
    n = page.sequence
    if page.reading is None:
        why = f": {page.failure_code}" if page.failure_code else ""
        yield Finding(
            "ocr", Severity.ERROR, f"trang {n} chưa nhận dạng được{why}", page=n, rescan=True
        )
        return
    reading = page.reading
    missing = [
        name
        for name, key in (
            ("ALTO", reading.alto_key),
            ("PDF", reading.pdf_key),
            ("ảnh đã xử lý", reading.image_key),
        )
        if not key
    ]
    if missing or not page.sha256:
        parts = missing + ([] if page.sha256 else ["SHA-256"])
        yield Finding("derivatives", Severity.ERROR, f"trang {n} thiếu {', '.join(parts)}", page=n)
    quality = reading.quality
    if quality is not None:
        if quality.ink_coverage < policy.blank_ink_coverage:
            yield Finding(
                "blank-page",
                Severity.WARNING,
                f"trang {n} gần như trắng (mực {quality.ink_coverage:.2%})",
                page=n,
            )
        minimum = policy.min_dpi_large_format if large_format else policy.min_dpi
        dpi = quality.effective_dpi
        if dpi < minimum:
            yield Finding(
                "resolution",
                Severity.ERROR,
                f"trang {n}: {dpi:.0f} dpi, yêu cầu ≥ {minimum:.0f} dpi",
                page=n,
                rescan=True,
            )
        if not quality.colour:
            yield Finding(
                "colour-depth",
                Severity.ERROR,
                f"trang {n} là ảnh xám/đen trắng, yêu cầu màu ≥ 24 bit",
                page=n,
                rescan=True,
            )
        if abs(quality.residual_skew) > policy.max_residual_skew:
            yield Finding(
                "residual-skew",
                Severity.WARNING,
                f"trang {n} còn nghiêng {quality.residual_skew:.2f}° sau khi chỉnh",
                page=n,
                rescan=True,
            )
        if quality.rotation:
            yield Finding(
                "orientation",
                Severity.INFO,
                f"trang {n} đã được xoay {quality.rotation}° cho đúng chiều",
                page=n,
            )
        if quality.rescan:
            flags = ", ".join(quality.flags) or "chất lượng ảnh"
            yield Finding(
                "image-quality",
                Severity.WARNING,
                f"trang {n} nên quét lại: {flags}",
                page=n,
                rescan=True,
            )
    if reading.confidence is not None and reading.confidence < policy.min_confidence:
        yield Finding(
            "legibility",
            Severity.WARNING,
            f"trang {n}: độ tin cậy nhận dạng {reading.confidence:.0f} "
            f"< {policy.min_confidence:.0f}, cần người đọc lại",
            page=n,
        )


def duplicate_pages(file: ArchivalFile, policy: CheckPolicy) -> Iterator[Finding]:
    """Two pages of one hồ sơ that look the same (perceptual hash): a page scanned twice."""
    hashes = [
        (p.sequence, int(p.reading.quality.phash, 16))
        for p in file.current_pages()
        if p.reading and p.reading.quality and p.reading.quality.phash
    ]
    for (first, a), (second, b) in combinations(hashes, 2):
        distance = (a ^ b).bit_count()
        if distance <= policy.duplicate_distance:
            yield Finding(
                "duplicate-page",
                Severity.ERROR,
                f"trang {second} giống trang {first} (khoảng cách {distance})",
                page=second,
            )


def metadata(file: ArchivalFile, _policy: CheckPolicy) -> Iterator[Finding]:
    """Required elements present; codes in their lists; dates within the hồ sơ's range; the
    type agrees with the ký hiệu; docId fits its 25 characters."""
    for missing in file.missing_elements():
        yield Finding(
            "metadata-required",
            Severity.ERROR,
            f"thiếu {missing.label} ({missing.element})",
            document=missing.document,
            element=missing.element,
        )
    coded = {e.name for e in FILE_ELEMENTS if e.attr in _CODED}
    for name, value in sorted(file.extension.items()):
        if name in coded:  # an imported value that was not a code of its list
            yield Finding(
                "code-list",
                Severity.ERROR,
                f"{name} = {value!r} không có trong danh mục",
                element=name,
            )
    start, end = file.description.start_date, file.description.end_date
    for ordinal, document in file.effective_documents():
        issued = document.issued_date
        if issued is not None and not within(issued, start, end):
            yield Finding(
                "issued-date-range",
                Severity.ERROR,
                f"văn bản {ordinal} ngày {issued} ngoài thời gian hồ sơ "
                f"{start or '?'}–{end or '?'}",
                document=ordinal,
                element="issuedDate",
            )
        yield from _type_against_notation(ordinal, document.type_name, document.code_notation)
        if len(doc_id(file.file_code, ordinal)) > DOC_ID_MAX_LENGTH:
            yield Finding(
                "doc-id-length",
                Severity.ERROR,
                f"docId {doc_id(file.file_code, ordinal)} dài quá {DOC_ID_MAX_LENGTH} ký tự",
                document=ordinal,
                element="docId",
            )


_CODED = {"maintenance", "mode", "languages", "format", "confidence_level", "risk_recovery_status"}


def _type_against_notation(
    ordinal: int, type_name: DocumentType | None, notation: str | None
) -> Iterator[Finding]:
    """NĐ 30: the ký hiệu of a văn bản có tên loại starts with its abbreviation (``KH-UBND``);
    a công văn's starts with the issuer instead."""
    if type_name is None or not notation:
        return
    first = notation.split("-")[0].split("/")[-1].strip()
    named = DocumentType.from_abbreviation(first)
    if type_name is DocumentType.OFFICIAL_LETTER:
        if named is not None and named is not DocumentType.OFFICIAL_LETTER:
            yield Finding(
                "type-notation",
                Severity.ERROR,
                f"văn bản {ordinal} là công văn nhưng ký hiệu {notation} "
                f"mang tên loại {named.label}",
                document=ordinal,
                element="typeName",
            )
        return
    if type_name.abbreviation is None:
        return  # bản đồ, bản vẽ, thư công, khác: no abbreviation to agree with
    if named is not type_name:
        yield Finding(
            "type-notation",
            Severity.ERROR,
            f"văn bản {ordinal}: tên loại {type_name.label} ({type_name.abbreviation}) "
            f"không khớp ký hiệu {notation}",
            document=ordinal,
            element="typeName",
        )


def rescan_pending(file: ArchivalFile, _policy: CheckPolicy) -> Iterator[Finding]:
    for item in file.rescan:
        yield Finding(
            "rescan-pending",
            Severity.ERROR,
            f"trang {item.sequence} chờ quét lại",
            page=item.sequence,
        )


CHECKS: tuple[Check, ...] = (
    page_count,
    document_pages,
    page_images,
    duplicate_pages,
    metadata,
    rescan_pending,
)
"""Every kiểm tra check, in the order findings are listed."""


def inspect(file: ArchivalFile, policy: CheckPolicy) -> list[Finding]:
    """Run every check on a hồ sơ; the findings, most severe first within the listed order."""
    return [finding for check in CHECKS for finding in check(file, policy)]
