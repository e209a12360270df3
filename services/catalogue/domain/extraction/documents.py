"""A hồ sơ's pages split into văn bản and each văn bản's suggested description: a new văn bản
starts on a page that prints a header (national motto, issuer above a number, a type heading
with its date); continuation pages do not. Header fields come from the first page, the
signer from the last page that prints one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from services.catalogue.domain.extraction.layout import PageText
from services.catalogue.domain.extraction.reader import PageReading, Suggestion, read_page

SIGNER_FIELDS = ("signerName", "signerTitle", "signingAuthority")


@dataclass(frozen=True)
class DocumentSuggestion:
    """A văn bản as the extractor sees it: its page range and the fields its pages print."""

    ordinal: int
    first_page: int
    last_page: int
    fields: dict[str, Suggestion] = field(default_factory=dict)


def split(readings: Sequence[PageReading]) -> list[list[PageReading]]:
    """Pages grouped into văn bản, in order; the first page always starts one."""
    groups: list[list[PageReading]] = []
    for reading in readings:
        if reading.starts_document or not groups:
            groups.append([reading])
        else:
            groups[-1].append(reading)
    return groups


def suggest_documents(pages: Sequence[PageText]) -> list[DocumentSuggestion]:
    """Every văn bản of a hồ sơ with its suggested fields, pages in sequence order."""
    readings = [read_page(page) for page in sorted(pages, key=lambda p: p.sequence)]
    return [_merged(ordinal, group) for ordinal, group in enumerate(split(readings), start=1)]


def _merged(ordinal: int, group: list[PageReading]) -> DocumentSuggestion:
    fields = {k: v for k, v in group[0].fields.items() if k not in SIGNER_FIELDS}
    for reading in group:  # the signer: from the last page that prints one
        if any(name in reading.fields for name in SIGNER_FIELDS):
            for name in SIGNER_FIELDS:
                fields.pop(name, None)
                if name in reading.fields:
                    fields[name] = reading.fields[name]
    return DocumentSuggestion(ordinal, group[0].sequence, group[-1].sequence, fields)
