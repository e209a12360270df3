"""The read side: hồ sơ lists, history, search and the counts behind the reports, queried
directly (no aggregates are built to be thrown away). Lists and exports stream."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalogue.adapters.orm import (
    CorrectionRow,
    DocumentRow,
    FileRow,
    PageRow,
    TransitionRow,
)
from services.catalogue.adapters.search import SqlSearch
from services.catalogue.domain.codes import AccessMode
from services.catalogue.domain.dates import PartialDate
from services.catalogue.domain.model import Actor, FileState, Transition
from services.catalogue.domain.queries import (
    FileFilter,
    FileSummary,
    FondsYear,
    OcrQueue,
    PlanCounts,
    ProgressCounts,
    SearchPage,
    SearchQuery,
    SelectionRow,
)
from services.catalogue.ports import CatalogueViews
from shared.db import as_utc

VIETNAM = timezone(timedelta(hours=7))  # years and days of the programme are Vietnam's
NO_FONDS = ""
PAGES_PER_DAY_WINDOW = 90
_SELECTED_OR_LATER = [s.value for s in FileState if s not in (FileState.INVENTORIED,)]
_APPROVED_OR_LATER = [
    s.value for s in FileState if s not in (FileState.INVENTORIED, FileState.SELECTED)
]


def _year_of_file() -> sa.ColumnElement[Any]:
    """Năm hình thành: the stored year, else the start date's."""
    start_year = sa.cast(func.substr(FileRow.start_date, 1, 4), sa.Integer)
    return func.coalesce(FileRow.file_year, start_year)


def _seen(public_only: bool) -> sa.ColumnElement[bool]:
    """The hồ sơ a report counts: every one, or those open to partner systems (chế độ sử
    dụng 01) when the caller may see only those; a restricted one is not even a number."""
    return col(FileRow.mode) == AccessMode.PUBLIC.value if public_only else sa.true()


def _current_pages() -> sa.ColumnElement[bool]:
    return sa.and_(col(PageRow.object_key).is_not(None), col(PageRow.replaced_by).is_(None))


def _tt05(stored: str | None) -> str | None:
    return PartialDate.stored(stored).tt05() if stored else None


def _vietnam_day(value: datetime) -> date:
    return as_utc(value).astimezone(VIETNAM).date()


class SqlCatalogueViews(CatalogueViews):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._search = SqlSearch(engine)

    def _session(self) -> Session:
        return Session(self._engine)

    def history(self, file_code: str) -> list[Transition]:
        query = (
            select(TransitionRow)
            .where(TransitionRow.file_code == file_code)
            .order_by(col(TransitionRow.id))
        )
        with self._session() as session:
            return [
                Transition(
                    FileState(row.from_state) if row.from_state else None,
                    FileState(row.to_state),
                    Actor(row.client, row.person),
                    row.reason,
                    as_utc(row.at),
                )
                for row in session.exec(query)
            ]

    # --- lists --------------------------------------------------------------------------

    def _file_query(self, where: FileFilter) -> Any:
        stored = (
            select(PageRow.file_code, func.count().label("n"))
            .where(_current_pages())
            .group_by(col(PageRow.file_code))
            .subquery()
        )
        read = (
            select(PageRow.file_code, func.count().label("n"))
            .where(_current_pages(), col(PageRow.text_key).is_not(None))
            .group_by(col(PageRow.file_code))
            .subquery()
        )
        documents = (
            select(DocumentRow.file_code, func.count().label("n"))
            .group_by(col(DocumentRow.file_code))
            .subquery()
        )
        query = (
            select(
                FileRow,
                func.coalesce(stored.c.n, 0),
                func.coalesce(read.c.n, 0),
                func.coalesce(documents.c.n, 0),
            )
            .outerjoin(stored, stored.c.file_code == FileRow.file_code)
            .outerjoin(read, read.c.file_code == FileRow.file_code)
            .outerjoin(documents, documents.c.file_code == FileRow.file_code)
        )
        if where.fonds_code is not None:
            query = query.where(FileRow.fonds_code == where.fonds_code)
        if where.state is not None:
            query = query.where(FileRow.state == where.state)
        if where.mode is not None:
            query = query.where(FileRow.mode == where.mode)
        if where.public_only:
            query = query.where(FileRow.mode == AccessMode.PUBLIC.value)
        if where.group is not None:
            query = query.where(FileRow.group_name == where.group)
        if where.year_from is not None:
            query = query.where(_year_of_file() >= where.year_from)
        if where.year_to is not None:
            query = query.where(_year_of_file() <= where.year_to)
        if where.type_name is not None:
            of_type = select(DocumentRow.file_code).where(
                DocumentRow.file_code == FileRow.file_code,
                DocumentRow.type_name == where.type_name,
            )
            query = query.where(of_type.exists())
        return query.order_by(col(FileRow.file_code))

    @staticmethod
    def _summary(row: FileRow, stored: int, read: int, documents: int) -> FileSummary:
        return FileSummary(
            file_code=row.file_code,
            title=row.title,
            state=row.state,
            fonds_code=row.fonds_code,
            group=row.group_name,
            maintenance=row.maintenance,
            mode=row.mode,
            language=row.language,
            start_date=_tt05(row.start_date),
            end_date=_tt05(row.end_date),
            total_doc=row.total_doc,
            number_of_paper=row.number_of_paper,
            number_of_page=row.number_of_page,
            pages_stored=int(stored),
            pages_read=int(read),
            documents=int(documents),
            criteria=tuple(int(c["code"]) for c in row.criteria),
            decision=row.approval["number"] if row.approval else None,
        )

    def files(self, where: FileFilter, *, after: str | None, limit: int) -> list[FileSummary]:
        query = self._file_query(where)
        if after is not None:
            query = query.where(FileRow.file_code > after)
        with self._session() as session:
            return [self._summary(*row) for row in session.exec(query.limit(limit))]

    def all_files(self, where: FileFilter) -> Iterator[FileSummary]:
        """Every matching hồ sơ, fetched in batches (an export of a whole province stays flat)."""
        with self._session() as session:
            rows = session.exec(self._file_query(where).execution_options(yield_per=500))
            for row in rows:
                yield self._summary(*row)

    # --- search -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        return self._search.search(query)

    # --- reports ------------------------------------------------------------------------

    def progress(self, today: date, *, public_only: bool = False) -> ProgressCounts:
        since = datetime.combine(today - timedelta(days=PAGES_PER_DAY_WINDOW), time(), VIETNAM)
        seen = _seen(public_only)
        with self._session() as session:
            by_state = dict(
                session.exec(
                    select(FileRow.state, func.count()).where(seen).group_by(FileRow.state)
                ).all()
            )
            pages_query = (
                select(FileRow.state, func.count())
                .join(PageRow, col(PageRow.file_code) == col(FileRow.file_code))
                .where(_current_pages(), seen)
                .group_by(col(FileRow.state))
            )
            pages_by_state = dict(session.exec(pages_query).all())
            by_fonds: dict[str, dict[str, int]] = defaultdict(dict)
            fonds_query = (
                select(FileRow.fonds_code, FileRow.state, func.count())
                .where(seen)
                .group_by(col(FileRow.fonds_code), col(FileRow.state))
            )
            for fonds, state, count in session.exec(fonds_query):
                by_fonds[fonds or NO_FONDS][state] = int(count)
            by_year: dict[int, dict[str, int]] = defaultdict(dict)
            year = _year_of_file().label("year")
            for value, state, count in session.exec(
                select(year, FileRow.state, func.count())
                .where(seen)
                .group_by(year, col(FileRow.state))
            ):
                if value is not None:
                    by_year[int(value)][state] = int(count)
            per_day: dict[date, int] = defaultdict(int)
            received = (
                select(PageRow.received_at)
                .join(FileRow, col(FileRow.file_code) == col(PageRow.file_code))
                .where(_current_pages(), col(PageRow.received_at) >= since, seen)
            )
            for moment in session.exec(received.execution_options(yield_per=5000)):
                if moment is not None:
                    per_day[_vietnam_day(moment)] += 1
            ocr = self._ocr_queue(session, seen)
        return ProgressCounts(
            files_by_state={k: int(v) for k, v in by_state.items()},
            pages_by_state={k: int(v) for k, v in pages_by_state.items()},
            files_by_fonds=dict(by_fonds),
            files_by_year=dict(by_year),
            pages_per_day=sorted(per_day.items()),
            ocr=ocr,
        )

    @staticmethod
    def _ocr_queue(session: Session, seen: sa.ColumnElement[bool]) -> OcrQueue:
        """The same pages the unread-page sweep asks for again, counted, and the failed ones."""
        unread = sa.and_(
            _current_pages(),
            col(PageRow.text_key).is_(None),
            col(PageRow.failure_code).is_(None),
            seen,
        )
        of_file = col(FileRow.file_code) == col(PageRow.file_code)
        waiting, oldest = session.exec(
            select(func.count(), func.min(PageRow.received_at)).join(FileRow, of_file).where(unread)
        ).one()
        failed = session.exec(
            select(PageRow.failure_code, func.count())
            .join(FileRow, of_file)
            .where(_current_pages(), col(PageRow.failure_code).is_not(None), seen)
            .group_by(col(PageRow.failure_code))
        ).all()
        return OcrQueue(
            waiting=int(waiting),
            oldest_waiting_since=as_utc(oldest) if oldest is not None else None,
            failed_by_code={str(code): int(n) for code, n in failed},
        )

    def plan_counts(self, year: int, *, public_only: bool = False) -> PlanCounts:
        start = datetime(year, 1, 1, tzinfo=VIETNAM)
        end = datetime(year + 1, 1, 1, tzinfo=VIETNAM)
        entered: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        reached: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        pages_in_year: dict[str, int] = defaultdict(int)
        pages_to_date: dict[str, int] = defaultdict(int)
        per_month: dict[int, int] = dict.fromkeys(range(1, 13), 0)
        with self._session() as session:
            first_reached = (
                select(
                    FileRow.fonds_code,
                    TransitionRow.file_code,
                    TransitionRow.to_state,
                    func.min(TransitionRow.at),
                )
                .join(FileRow, col(FileRow.file_code) == col(TransitionRow.file_code))
                .where(col(TransitionRow.at) < end, _seen(public_only))
                .group_by(
                    col(FileRow.fonds_code),
                    col(TransitionRow.file_code),
                    col(TransitionRow.to_state),
                )
            )
            for fonds, _code, state, first in session.exec(first_reached):
                key = fonds or NO_FONDS
                reached[key][state] += 1
                if as_utc(first) >= start:
                    entered[key][state] += 1
            pages = (
                select(FileRow.fonds_code, PageRow.received_at)
                .join(FileRow, col(FileRow.file_code) == col(PageRow.file_code))
                .where(_current_pages(), col(PageRow.received_at) < end, _seen(public_only))
            )
            for fonds, received in session.exec(pages.execution_options(yield_per=5000)):
                if received is None:
                    continue
                key = fonds or NO_FONDS
                pages_to_date[key] += 1
                day = _vietnam_day(received)
                if day.year == year:
                    pages_in_year[key] += 1
                    per_month[day.month] += 1
        codes = sorted(set(reached) | set(pages_to_date))
        return PlanCounts(
            year=year,
            fonds=[
                FondsYear(
                    fonds_code=code,
                    entered=dict(entered.get(code, {})),
                    reached=dict(reached.get(code, {})),
                    pages_in_year=pages_in_year.get(code, 0),
                    pages_to_date=pages_to_date.get(code, 0),
                )
                for code in codes
            ],
            pages_per_month=per_month,
        )

    def selection(self) -> list[SelectionRow]:
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        query = (
            sa.select(
                col(FileRow.fonds_code),
                col(FileRow.group_name),
                col(FileRow.state),
                col(FileRow.criteria),
                col(FileRow.number_of_page),
                col(FileRow.number_of_paper),
            )
            .where(col(FileRow.state).in_(_SELECTED_OR_LATER))
            .order_by(col(FileRow.fonds_code), col(FileRow.group_name))
        )
        with self._session() as session:
            for fonds, group, state, criteria, pages, papers in session.execute(
                query.execution_options(yield_per=2000)
            ):
                key = (fonds or NO_FONDS, group or "")
                row = groups.setdefault(
                    key,
                    {"selected": 0, "approved": 0, "pages": 0, "papers": 0, "criteria": {}},
                )
                row["selected"] += 1
                row["approved"] += state in _APPROVED_OR_LATER
                row["pages"] += pages or 0
                row["papers"] += papers or 0
                for criterion in criteria:
                    code = int(criterion["code"])
                    row["criteria"][code] = row["criteria"].get(code, 0) + 1
        return [
            SelectionRow(
                fonds_code=fonds,
                group=group,
                selected=row["selected"],
                approved=row["approved"],
                number_of_page=row["pages"],
                number_of_paper=row["papers"],
                by_criterion=dict(sorted(row["criteria"].items())),
            )
            for (fonds, group), row in sorted(groups.items())
        ]

    def suggestion_accuracy(self) -> dict[str, tuple[int, int]]:
        """Per field: how many suggestions people confirmed, and how many of them unchanged."""
        same = sa.or_(
            col(CorrectionRow.suggested) == col(CorrectionRow.confirmed),
            sa.and_(col(CorrectionRow.suggested).is_(None), col(CorrectionRow.confirmed).is_(None)),
        )
        query = sa.select(
            col(CorrectionRow.field),
            func.count(),
            func.sum(sa.case((same, 1), else_=0)),
        ).group_by(col(CorrectionRow.field))
        with self._session() as session:
            return {name: (int(n), int(k or 0)) for name, n, k in session.execute(query)}
