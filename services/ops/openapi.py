"""The OpenAPI documents of the gateway (public) and the internal services, generated from
their FastAPI apps and committed under ``docs/openapi/`` so reviewers see API changes.

Regenerate with ``python -m services.ops.openapi``; check with ``--check``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.catalogue.app import create_app as catalogue_app
from services.gateway.app import create_app as gateway_app
from services.handover.app import create_app as handover_app
from services.ingest.app import create_app as ingest_app
from services.ocr.app import create_app as ocr_app
from services.ops.generated import write_or_check

DEFAULT_DIR = Path("docs/openapi")
REGENERATE = "python -m services.ops.openapi"
APPS: dict[str, Callable[[], FastAPI]] = {
    "gateway": gateway_app,
    "ingest": ingest_app,
    "ocr": ocr_app,
    "catalogue": catalogue_app,
    "handover": handover_app,
}


def render(service: str) -> str:
    document: dict[str, Any] = APPS[service]().openapi()
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    failures = 0
    for service in APPS:
        out = args.dir / f"{service}.json"
        failures += write_or_check(render(service), out, check=args.check, regenerate=REGENERATE)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
