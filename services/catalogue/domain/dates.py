"""Dates as archives write them: a day, a month or only a year (TT 05/2025 ``Date``).

TT 05 writes ``DD/MM/YYYY``, and AIP metadata also ``MM/YYYY`` or ``YYYY`` when the day or
month is unknown; a blank day stays unknown, never becomes the 1st. Stored as the sortable
``YYYY[-MM[-DD]]``, shown in the TT 05 form.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from shared.text import fold

_NUMERIC = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")  # 14/12/2023
_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")  # 2023-12-14, 2023-12
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4})")  # 12/2023
_YEAR = re.compile(r"(\d{4})")
_WORDS = re.compile(  # "ngày 14 tháng 12 năm 2023", folded: "ngay 14 thang 12 nam 2023"
    r"(?:ngay\s+(\d{1,2})\s+)?(?:thang\s+(\d{1,2})\s+)?nam\s+(\d{4})"
)
MIN_YEAR, MAX_YEAR = 1000, 2999  # Hán Nôm records go back centuries; nothing is from the future


class InvalidDate(ValueError):
    """Text that is not a date an archive writes, or not a day of the calendar."""


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidDate(f"năm {self.year} nằm ngoài {MIN_YEAR}–{MAX_YEAR}")
        if self.month is None:
            if self.day is not None:
                raise InvalidDate("có ngày thì phải có tháng")
            return
        if not 1 <= self.month <= 12:
            raise InvalidDate(f"tháng {self.month} không hợp lệ")
        last_day = calendar.monthrange(self.year, self.month)[1]
        if self.day is not None and not 1 <= self.day <= last_day:
            raise InvalidDate(f"ngày {self.day}/{self.month}/{self.year} không có trong lịch")

    @classmethod
    def of(cls, value: date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """``DD/MM/YYYY`` (also with ``-`` or ``.``), ``MM/YYYY``, ``YYYY``, ISO
        ``YYYY-MM-DD`` / ``YYYY-MM``, or the words of a văn bản: ``ngày 14 tháng 12 năm 2023``."""
        cleaned = " ".join(fold(text).split())
        if match := _NUMERIC.fullmatch(cleaned):
            day, month, year = (int(g) for g in match.groups())
            return cls(year, month, day)
        if match := _ISO.fullmatch(cleaned):
            year, month = int(match[1]), int(match[2])
            return cls(year, month, int(match[3]) if match[3] else None)
        if match := _MONTH_YEAR.fullmatch(cleaned):
            return cls(int(match[2]), int(match[1]))
        if match := _YEAR.fullmatch(cleaned):
            return cls(int(match[1]))
        if match := _WORDS.fullmatch(cleaned):
            day_text, month_text, year_text = match.groups()
            if day_text and not month_text:
                raise InvalidDate(f"{text!r}: có ngày mà thiếu tháng")
            return cls(
                int(year_text),
                int(month_text) if month_text else None,
                int(day_text) if day_text else None,
            )
        raise InvalidDate(f"{text!r} không phải ngày tháng (DD/MM/YYYY, MM/YYYY hoặc YYYY)")

    @classmethod
    def stored(cls, text: str) -> PartialDate:
        """Back from the stored ``YYYY[-MM[-DD]]`` form."""
        parts = [int(p) for p in text.split("-")]
        return cls(*parts)

    def iso(self) -> str:
        """The stored, sortable form."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def tt05(self) -> str:
        """The form TT 05/2025 writes: ``DD/MM/YYYY``, ``MM/YYYY`` or ``YYYY``."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.month:02d}/{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"

    def earliest(self) -> date:
        """The first day this date may mean."""
        return date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> date:
        """The last day this date may mean."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return self.tt05()


def within(inner: PartialDate, start: PartialDate | None, end: PartialDate | None) -> bool:
    """Whether ``inner`` may fall within ``start..end`` (each end open when unknown): a
    văn bản dated 2001 fits a hồ sơ of 05/2001–12/2001."""
    if start is not None and inner.latest() < start.earliest():
        return False
    return not (end is not None and inner.earliest() > end.latest())
