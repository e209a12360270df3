"""What the read side answers: filters and rows of hồ sơ lists, search hits, and the counts the
progress, annual and selection reports are built from. Plain data, no rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.catalogue.domain.search import Phrase


@dataclass(frozen=True)
class FileFilter:
    """Which hồ sơ a list or an export shows; every filter is optional."""

    fonds_code: str | None = None
    state: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    type_name: str | None = None  # hồ sơ holding a văn bản of this tên loại
    mode: str | None = None
    group: str | None = None
    public_only: bool = False  # chế độ sử dụng 01 only: the caller may not see restricted ones


@dataclass(frozen=True)
class FileSummary:
    """One row of a hồ sơ list (and of its .xlsx export)."""

    file_code: str
    title: str
    state: str
    fonds_code: str | None
    group: str | None
    maintenance: str | None
    mode: str | None
    language: str | None
    start_date: str | None  # TT 05 form
    end_date: str | None
    total_doc: int | None
    number_of_paper: int | None
    number_of_page: int
    pages_stored: int
    pages_read: int
    documents: int
    criteria: tuple[int, ...]
    decision: str | None


FACET_TEXTS = 1000
"""Facets count the hồ sơ of at most this many matching texts: counting every page of a common
word (hundreds of thousands) would cost seconds on any engine that has to visit them."""


@dataclass(frozen=True)
class SearchQuery:
    """A search: its phrases (all must match), the hồ sơ filters, a page of hits after the
    cursor, and whether to count facets."""

    phrases: tuple[Phrase, ...]
    where: FileFilter = FileFilter()
    limit: int = 20
    cursor: str | None = None
    facets: bool = False


@dataclass(frozen=True)
class SearchHit:
    """A page (``kind`` ``page``) or a hồ sơ's own description (``file``) that matched."""

    kind: str
    file_code: str
    title: str
    page_id: str | None
    sequence: int | None
    exact: bool
    text: str


@dataclass(frozen=True)
class SearchPage:
    """A page of hits; facets when asked for, and whether they counted every match."""

    hits: tuple[SearchHit, ...]
    next_cursor: str | None = None
    facets: dict[str, dict[str, int]] | None = None
    facets_complete: bool = True


@dataclass(frozen=True)
class OcrQueue:
    """Current pages stored and not yet read by OCR (the queue, and since when the oldest has
    waited), and those OCR could not read, by the reason code it gave."""

    waiting: int = 0
    oldest_waiting_since: datetime | None = None
    failed_by_code: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgressCounts:
    """Hồ sơ and pages by state, fonds and year, pages stored per day, and the OCR queue."""

    files_by_state: dict[str, int]
    pages_by_state: dict[str, int]
    files_by_fonds: dict[str, dict[str, int]]
    files_by_year: dict[int, dict[str, int]]
    pages_per_day: list[tuple[date, int]]
    ocr: OcrQueue = field(default_factory=OcrQueue)


@dataclass(frozen=True)
class FondsYear:
    """One phông in one year: hồ sơ that reached each state within the year and by its end,
    and pages scanned."""

    fonds_code: str
    entered: dict[str, int] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)
    pages_in_year: int = 0
    pages_to_date: int = 0


@dataclass(frozen=True)
class PlanCounts:
    year: int
    fonds: list[FondsYear]
    pages_per_month: dict[int, int]


@dataclass(frozen=True)
class SelectionRow:
    """The selection list (danh mục) statistics of one phông and group."""

    fonds_code: str
    group: str
    selected: int
    approved: int
    number_of_page: int
    number_of_paper: int
    by_criterion: dict[int, int]
