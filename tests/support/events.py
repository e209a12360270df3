"""Events as tests need them: a page-ingested of a made-up page, every field plausible."""

from __future__ import annotations

import uuid

from shared.events import PageIngested

FILE_CODE = "H49.64.33.2001.160"


def page_ingested(sequence: int = 1, file_code: str = FILE_CODE) -> PageIngested:
    return PageIngested(
        file_code=file_code,
        page_id=uuid.uuid4(),
        sequence=sequence,
        object_key=f"{file_code}/{sequence:04d}-0123456789abcdef.png",
        sha256="a" * 64,
        size=1234,
        media_type="image/png",
        width=2480,
        height=3508,
    )
