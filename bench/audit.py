"""What recording the hồ sơ a call touched costs the audit writer: ``SqlAuditLog.append`` of
500-entry batches against the plain one-statement executemany the log used before it kept
them (the reference), in the same process and database, interleaved in rounds so a busy
machine slows both alike:

- entries that name only the path's hồ sơ (the fast path: no ids asked back);
- entries of a search page, each naming ``--records`` hồ sơ touched (ids asked back with
  RETURNING, then one row per hồ sơ).

    python -m bench.audit [--backend sqlite|postgresql] [--rounds 9] [--records 20]

The writer runs off the calls' path, so a ratio below 1 costs the calls nothing until the
database falls a queue behind. It never fails on a timing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bench.search import _engine as fresh_database
from services.gateway.db import MIGRATIONS, AuditRow, SqlAuditLog
from services.gateway.domain import AuditEntry
from shared.db import migrate

BATCH = 500
AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def reference(engine: Engine) -> Callable[[Sequence[AuditEntry]], None]:
    """The append as it was before issue 14: one executemany, no ids."""

    def append(entries: Sequence[AuditEntry]) -> None:
        rows = [
            {
                "at": e.at,
                "method": e.method,
                "operation": e.operation,
                "status": e.status,
                "correlation_id": e.correlation_id,
                "client": e.client,
                "person": e.person,
                "username": e.username,
                "file_code": e.file_code,
                "restricted": e.restricted,
            }
            for e in entries
        ]
        with engine.begin() as connection:
            connection.execute(insert(AuditRow), rows)

    return append


def batch(records: int) -> list[AuditEntry]:
    if not records:
        return [
            AuditEntry(AT, "GET", "/files/{file_code}", 200, "c", "tinh", file_code="H49.1")
            for _ in range(BATCH)
        ]
    codes = tuple(f"H49.64.33.2001.{n}" for n in range(records))
    return [
        AuditEntry(AT, "GET", "/search", 200, "c", "tinh", records=codes, records_count=records)
        for _ in range(BATCH)
    ]


def rate(append: Callable[[Sequence[AuditEntry]], None], entries: list[AuditEntry]) -> float:
    started = time.perf_counter()
    append(entries)
    return len(entries) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--records", type=int, default=20, help="hồ sơ a search entry names")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-audit-") as work,
        fresh_database(args.backend, Path(work), keep=False) as engine,
    ):
        migrate(engine, MIGRATIONS)
        log, before = SqlAuditLog(engine), reference(engine)
        for label, entries in (("path only", batch(0)), ("search", batch(args.records))):
            ours: list[float] = []
            theirs: list[float] = []
            for round_ in range(args.rounds):  # each goes first every other round
                pair = [(theirs, before, batch(0)), (ours, log.append, entries)]
                for rates, append, given in pair if round_ % 2 else reversed(pair):
                    rates.append(rate(append, given))
            mine, ref = statistics.median(ours), statistics.median(theirs)
            print(
                f"audit append backend={args.backend} {label}: {mine:,.0f} entries/s, "
                f"reference {ref:,.0f} entries/s, ratio {mine / ref:.2f}"
            )


if __name__ == "__main__":
    main()
