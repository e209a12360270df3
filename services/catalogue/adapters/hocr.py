"""The hOCR of a page from the derivatives area, for the layout biên mục tự động reads."""

from __future__ import annotations

from shared.objectstore import ObjectMissing, ObjectStore


class StoredHocr:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    async def hocr(self, key: str) -> str | None:
        """The page's hOCR, or None when it is not stored (the text is read instead)."""
        try:
            return (await self._store.read_bytes(key)).decode("utf-8")
        except ObjectMissing:
            return None
