"""A page's derivatives as people and biên mục tự động read them: the hOCR (layout) and the
cleaned image, from the derivatives area."""

from __future__ import annotations

from shared.objectstore import ObjectMissing, ObjectStore


class StoredHocr:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    async def hocr(self, key: str) -> str | None:
        """The page's hOCR, or None when it is not stored (the text is read instead)."""
        found = await self._read(key)
        return found.decode("utf-8") if found is not None else None

    async def image(self, key: str) -> bytes | None:
        """The cleaned page image (JPEG), or None when it is not stored."""
        return await self._read(key)

    async def _read(self, key: str) -> bytes | None:
        try:
            return await self._store.read_bytes(key)
        except ObjectMissing:
            return None
