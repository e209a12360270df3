"""Where ingest keeps a page's original, found the way ingest names it: the API never gives
storage keys out, so tests that look at the stored bytes name them from the page itself."""

from __future__ import annotations

from typing import Any

from services.ingest.domain import original_key


def original_of(page: dict[str, Any]) -> str:
    """The originals-area key of a page as the ingest API answered it."""
    return original_key(
        page["file_code"], page["sequence"], page["sha256"], page["media_type"], page["version"]
    )
