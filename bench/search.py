"""Search at scale: N pages of varied Vietnamese text loaded through the catalogue's own code
(hồ sơ registered through the unit of work, page texts through the search index), then a fixed
mix of queries — common and rare phrases, typed with and without diacritics, prefixes, two
phrases, filters, the second page of a cursor, facets — timed after a warm-up. Prints the
loading rate, the backend's plan of a common query, each query's slowest and median time
(slowest first), and as its last line
``search backend=… pages=N p50_ms=… p95_ms=…``.

    python -m bench.search --pages 100000 --backend sqlite
    python -m bench.search --pages 1000000 --backend postgresql   # SOHOA_TEST_POSTGRES_URL
    python -m bench.search --pages 1000000 --backend postgresql --reuse sohoa_bench_…  # kept
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.catalogue.adapters.repository import SqlUnitOfWork
from services.catalogue.adapters.search import SqlSearch, SqlSearchIndex
from services.catalogue.app import MIGRATIONS
from services.catalogue.domain.codes import AccessMode, Maintenance
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.description import FileDescription
from services.catalogue.domain.model import Actor, ArchivalFile
from services.catalogue.domain.queries import FileFilter, SearchQuery
from services.catalogue.domain.search import parse_query
from services.ops.samples import CORPUS
from shared.db import make_engine, migrate, normalise_url, utcnow

PAGES_PER_FILE = 20
BATCH = 2000
FONDS = ("64", "65", "66", "67", "68")
PLACES = ("Trà Vinh", "Vĩnh Long", "Bến Tre", "Sóc Trăng", "Đồng Tháp", "Cần Thơ", "Cà Mau")
NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Văn Hân", "Phạm Thị Chỉnh", "Huỳnh Văn Tám")
QUERIES: tuple[tuple[str, FileFilter], ...] = (
    ("tài liệu", FileFilter()),  # in most pages
    ("lưu trữ", FileFilter()),
    ("luu tru", FileFilter()),  # typed without diacritics
    ("chỉnh lý hoàn chỉnh", FileFilter()),
    ("chỉnh l*", FileFilter()),  # a prefix
    ('"số hóa" "cơ sở dữ liệu"', FileFilter()),  # two phrases
    ("hội đồng xác định giá trị", FileFilter()),
    ("phạm thị chỉnh", FileFilter()),  # a signer's name
    ("số 4711", FileFilter()),  # rare: one page in 5,000 and a hồ sơ title
    ("cà mau", FileFilter(fonds_code="66")),  # with a filter
    ("tài liệu", FileFilter(year_from=2010, year_to=2012)),
    ("xyzzy", FileFilter()),  # nothing
)


def pages(count: int, seed: int = 7) -> Iterator[tuple[str, int, str]]:
    """(file code, sequence, text): sentences of the corpus with a number, place, date and
    signer."""
    rng = random.Random(seed)  # noqa: S311  # reproducible bench data
    for index in range(count):
        file_number, sequence = divmod(index, PAGES_PER_FILE)
        sentences = rng.sample(CORPUS, rng.randint(4, 9))
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        number = rng.randint(1, 5000)  # a rare word: one page in 5,000 carries each number
        extra = (
            f"Số: {number}/QĐ-UBND. {rng.choice(PLACES)}, ngày {day} tháng {month}; "
            f"{rng.choice(NAMES)}"
        )
        yield _file_code(file_number), sequence + 1, " ".join([*sentences, extra])


def _file_code(number: int) -> str:
    return f"H49.64.33.{2000 + number % 25}.{number}"


@contextmanager
def _engine(backend: str, work: Path, keep: bool, reuse: str | None = None) -> Iterator[Engine]:
    """A fresh database: a file in ``work``, or a new PostgreSQL database dropped afterwards
    unless ``keep`` (to look at its plans by hand); or the kept PostgreSQL database ``reuse``."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{work / 'catalogue.db'}")
        yield engine
        engine.dispose()
        return
    admin_url = normalise_url(
        os.environ.get("SOHOA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    name = reuse or f"sohoa_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    if reuse is None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    keep = keep or reuse is not None
    url = sa.engine.make_url(admin_url).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        if keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def load(engine: Engine, count: int) -> float:
    """Register the hồ sơ and index their pages; returns pages per second."""
    actor = Actor("bench")
    files = -(-count // PAGES_PER_FILE)
    for start in range(0, files, 1000):
        with SqlUnitOfWork(engine) as uow:
            for number in range(start, min(files, start + 1000)):
                year = 2000 + number % 25
                description = FileDescription(
                    title=f"Hồ sơ số {number} về công tác văn thư, lưu trữ",
                    number_of_page=PAGES_PER_FILE,
                    maintenance=Maintenance.PERMANENT,
                    mode=AccessMode.PUBLIC,
                    start_date=PartialDate(year),
                    end_date=PartialDate(year),
                )
                uow.files.add(
                    ArchivalFile.register(
                        _file_code(number),
                        description,
                        by=actor,
                        at=utcnow(),
                        fonds_code=FONDS[number % len(FONDS)],
                    )
                )
            uow.commit()
    began = time.perf_counter()
    batch: list[tuple[uuid.UUID, str, int, str]] = []
    for file_code, sequence, text in pages(count):
        batch.append((uuid.uuid4(), file_code, sequence, text))
        if len(batch) == BATCH:
            _flush(engine, batch)
            batch = []
    if batch:
        _flush(engine, batch)
    seconds = time.perf_counter() - began
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"  # what autovacuum does in production, done now
            )
    return count / seconds


def _flush(engine: Engine, batch: list[tuple[uuid.UUID, str, int, str]]) -> None:
    with Session(engine) as session:
        SqlSearchIndex(session).put_many(batch)
        session.commit()


def _label(query: SearchQuery) -> str:
    words = " ".join(f'"{" ".join(p.exact)}{"*" if p.prefix else ""}"' for p in query.phrases)
    extras = [name for name, on in (("cursor", query.cursor), ("facets", query.facets)) if on]
    chosen = {k: v for k, v in asdict(query.where).items() if v not in (None, False)}
    extras += [f"{k}={v}" for k, v in chosen.items()]
    return " ".join([words, *extras])


def measure(engine: Engine, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each query of the mix, every round, by the query."""
    search = SqlSearch(engine)
    queries = [SearchQuery(parse_query(q), where) for q, where in QUERIES]
    first_page = search.search(SearchQuery(parse_query("tài liệu"), limit=20))
    queries.append(SearchQuery(parse_query("tài liệu"), cursor=first_page.next_cursor))
    queries.append(SearchQuery(parse_query("phạm thị chỉnh"), facets=True))
    for query in queries:  # warm the caches once
        search.search(query)
    timings: dict[str, list[float]] = {_label(q): [] for q in queries}
    for _ in range(rounds):
        for query in queries:
            began = time.perf_counter()
            search.search(query)
            timings[_label(query)].append((time.perf_counter() - began) * 1000)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse", metavar="NAME", help="query a database an earlier --keep run loaded, as it is"
    )
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench-search-") as work,
        _engine(args.backend, Path(work), args.keep, args.reuse) as engine,
    ):
        migrate(engine, MIGRATIONS)
        if args.reuse is None:
            rate = load(engine, args.pages)
            print(f"loaded {args.pages} pages at {rate:,.0f} pages/s")
        print(SqlSearch(engine).explain(SearchQuery(parse_query("tài liệu"))))
        by_query = measure(engine, args.rounds)
    for label, times in sorted(by_query.items(), key=lambda item: -max(item[1])):
        print(f"  {max(times):8.1f} ms max  {statistics.median(times):8.1f} ms median  {label}")
    timings = [t for times in by_query.values() for t in times]
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"search backend={args.backend} pages={args.pages} p50_ms={p50:.1f} p95_ms={p95:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
