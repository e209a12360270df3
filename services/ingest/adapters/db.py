"""Ingest's own tables (in its own database), and the SQL unit of work over them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select

from services.ingest.domain import Batch, Intake, PageSlot, PageVersion, SequenceTaken
from services.ingest.ports import UnitOfWork
from shared.db import Timestamp, utcnow
from shared.events import Event
from shared.outbox import add_to_outbox


class IngestedPage(SQLModel, table=True):
    """One stored original of a page scan (trang): a version of its page number."""

    __tablename__ = "ingest_page"
    __table_args__ = (
        UniqueConstraint("file_code", "sequence", "version", name="uq_ingest_page_version"),
    )

    page_id: str = Field(primary_key=True, max_length=36)
    file_code: str = Field(max_length=100, index=True)
    sequence: int
    version: int = 1
    current: bool = True
    object_key: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=50)
    width: int
    height: int
    dpi: int | None = None
    colour_mode: str = Field(default="RGB", max_length=10)
    warnings: list[str] = Field(default_factory=list, sa_type=JSON)
    station: str | None = Field(default=None, max_length=100)
    operator: str | None = Field(default=None, max_length=100)
    container_key: str | None = Field(default=None, max_length=300)
    replaces: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class IntakeFile(SQLModel, table=True):
    """Ingest's own view of a hồ sơ, from the catalogue's file-state-changed events: whether
    it may take page scans now. Never read from the catalogue's database."""

    __tablename__ = "ingest_file"

    file_code: str = Field(primary_key=True, max_length=100)
    state: str = Field(max_length=30)
    open_for_scanning: bool
    arranged: bool
    number_of_page: int | None = Field(default=None, sa_type=BigInteger)
    rescan_sequences: list[int] = Field(default_factory=list, sa_type=JSON)
    version: int
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class BatchRow(SQLModel, table=True):
    """A đợt quét and the page numbers it brought, in arrival order."""

    __tablename__ = "ingest_batch"

    batch_id: str = Field(primary_key=True, max_length=100)
    file_code: str = Field(max_length=100, index=True)
    sequences: list[int] = Field(default_factory=list, sa_type=JSON)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    closed_at: datetime | None = Field(default=None, sa_type=Timestamp)


class SqlBatches:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, batch_id: str) -> Batch | None:
        row = self._session.get(BatchRow, batch_id)
        if row is None:
            return None
        return Batch(row.batch_id, row.file_code, list(row.sequences), row.closed_at)

    def put(self, batch: Batch) -> None:
        row = self._session.get(BatchRow, batch.batch_id) or BatchRow(
            batch_id=batch.batch_id, file_code=batch.file_code
        )
        row.sequences, row.closed_at = list(batch.sequences), batch.closed_at
        self._session.add(row)


def _version(row: IngestedPage) -> PageVersion:
    return PageVersion(
        page_id=row.page_id,
        file_code=row.file_code,
        sequence=row.sequence,
        version=row.version,
        object_key=row.object_key,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        width=row.width,
        height=row.height,
        dpi=row.dpi,
        colour_mode=row.colour_mode,
        warnings=tuple(row.warnings),
        station=row.station,
        operator=row.operator,
        container_key=row.container_key,
        current=row.current,
        replaces=row.replaces,
        created_at=row.created_at,
    )


def _row(page: PageVersion) -> IngestedPage:
    fields = {k: v for k, v in vars(page).items() if k != "created_at" or v is not None}
    fields["warnings"] = list(page.warnings)
    return IngestedPage(**fields)


class SqlPages:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._loaded: dict[str, IngestedPage] = {}  # rows of the slots got in this session

    def slot(self, file_code: str, sequence: int) -> PageSlot:
        query = (
            select(IngestedPage)
            .where(IngestedPage.file_code == file_code, IngestedPage.sequence == sequence)
            .order_by(col(IngestedPage.version))
        )
        rows = list(self._session.exec(query))
        self._loaded.update((row.page_id, row) for row in rows)
        return PageSlot(file_code, sequence, [_version(r) for r in rows])

    def with_content(self, file_code: str, sha256: str) -> PageVersion | None:
        query = select(IngestedPage).where(
            IngestedPage.file_code == file_code, IngestedPage.sha256 == sha256
        )
        row = self._session.exec(query).first()
        return _version(row) if row else None

    def next_sequence(self, file_code: str) -> int:
        query = select(func.max(IngestedPage.sequence)).where(IngestedPage.file_code == file_code)
        return int(self._session.exec(query).one() or 0) + 1

    def save(self, slot: PageSlot) -> None:
        """A version not among the rows :meth:`slot` read is new: it is inserted without
        asking the database for it first (the unique version constraint still guards)."""
        for page in slot.versions:
            row = self._loaded.get(page.page_id)
            if row is None:
                self._session.add(_row(page))
            elif row.current != page.current:
                row.current = page.current
                self._session.add(row)

    def of_file(self, file_code: str, *, all_versions: bool = False) -> list[PageVersion]:
        query = select(IngestedPage).where(IngestedPage.file_code == file_code)
        if not all_versions:
            query = query.where(col(IngestedPage.current).is_(True))
        query = query.order_by(col(IngestedPage.sequence), col(IngestedPage.version))
        return [_version(row) for row in self._session.exec(query)]


class SqlIntakes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, file_code: str) -> tuple[Intake, int] | None:
        row = self._session.get(IntakeFile, file_code)
        if row is None:
            return None
        intake = Intake(
            row.file_code,
            row.state,
            row.open_for_scanning,
            row.arranged,
            tuple(row.rescan_sequences),
            row.number_of_page,
        )
        return intake, row.version

    def put(self, intake: Intake, version: int) -> None:
        row = self._session.get(IntakeFile, intake.file_code) or IntakeFile(
            file_code=intake.file_code,
            state=intake.state,
            open_for_scanning=intake.open_for_scanning,
            arranged=intake.arranged,
            version=version,
        )
        row.state, row.open_for_scanning = intake.state, intake.open_for_scanning
        row.arranged, row.version = intake.arranged, version
        row.number_of_page = intake.number_of_page
        row.rescan_sequences = list(intake.rescan_sequences)
        row.updated_at = utcnow()
        self._session.add(row)


class SqlUnitOfWork(UnitOfWork):
    """One transaction; events go to the outbox table in it."""

    def __init__(self, engine: Engine, correlation_id: str = "", *, source: str) -> None:
        self._session = Session(engine, expire_on_commit=False)
        self._source = source
        self._correlation_id = correlation_id
        self.pages = SqlPages(self._session)
        self.intakes = SqlIntakes(self._session)
        self.batches = SqlBatches(self._session)

    def publish(self, event: Event) -> None:
        add_to_outbox(
            self._session, event, source=self._source, correlation_id=self._correlation_id
        )

    def commit(self) -> None:
        try:
            self._session.commit()
        except IntegrityError as exc:  # a concurrent upload took the page version first
            self._session.rollback()
            raise SequenceTaken("số thứ tự trang vừa được một tệp khác chiếm") from exc

    def rollback(self) -> None:
        self._session.rollback()
        self._session.close()

    def now(self) -> datetime:
        return utcnow()
