"""Generated documents (AsyncAPI, OpenAPI) are committed; ``--check`` keeps them true."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(document: str, out: Path, *, check: bool, regenerate: str) -> int:
    """Write ``document`` to ``out``, or with ``check`` return 1 when the file differs."""
    if check:
        current = out.read_text(encoding="utf-8") if out.is_file() else None
        if current != document:
            print(f"{out} is out of date with the code; regenerate: {regenerate}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8", newline="\n")
    print(f"wrote {out}")
    return 0
