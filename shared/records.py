"""The hồ sơ a call touched, told by the internal service that answered it: only the service
knows which hồ sơ a search, a list, an export or a body naming mã hồ sơ reached, and the
gateway's nhật ký truy cập must record them (issue 14; a restricted one read through a search
is an access like any other).

A route names them with :func:`touched`; :class:`RecordsMiddleware` writes them into the
answer's headers, in one place for every route; the gateway reads them there (headers arrive
before a streamed body), records them and takes them off. At most :data:`MAX_REPORTED` are
named, with :data:`RECORDS_COUNT_HEADER` saying how many there were when that cut them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.types import Scope

from shared.asgi import AnswerHeadersMiddleware, Headers
from shared.errors import InvalidFileCode
from shared.text import validate_file_code

RECORDS_HEADER = "x-sohoa-records"  # mã hồ sơ, percent-encoded UTF-8, comma separated
RECORDS_COUNT_HEADER = "x-sohoa-records-count"  # how many, when more than were named
MAX_REPORTED = 200  # ~5 kB of header for codes of 25 characters
MAX_HEADER_BYTES = 8000  # and never more: within what proxies and HTTP clients read
_STATE_KEY = "sohoa_records"


@dataclass
class Touched:
    """The distinct mã hồ sơ of one call, the first ``limit`` of them kept, all counted. Past
    the limit only a count grows, so an export of the whole catalogue stays flat in memory
    (a code repeated past the limit is counted again)."""

    limit: int = MAX_REPORTED
    codes: list[str] = field(default_factory=list)
    count: int = 0
    _kept: set[str] = field(default_factory=set, repr=False)

    def add(self, codes: Iterable[str]) -> None:
        for code in codes:
            if code in self._kept:
                continue
            self.count += 1
            if len(self.codes) < self.limit:
                self.codes.append(code)
                self._kept.add(code)

    @property
    def capped(self) -> bool:
        return self.count > len(self.codes)


def touched(request: Request, codes: Iterable[str]) -> Touched:
    """Name hồ sơ this call returned, changed or was asked about by its body; the answer's
    headers will carry them. Call it as often as the route finds more."""
    state = request.scope.setdefault("state", {})
    found: Touched = state.setdefault(_STATE_KEY, Touched())
    found.add(codes)
    return found


def record_headers(found: Touched) -> list[tuple[bytes, bytes]]:
    """The headers that carry ``found``: none when the call touched nothing. Long codes
    (100 characters of Vietnamese percent-encode to 900) are named only as far as
    :data:`MAX_HEADER_BYTES` goes; the count says how many there were."""
    named: list[str] = []
    size = 0
    for code in found.codes:
        encoded = quote(code, safe="")
        size += len(encoded) + (1 if named else 0)
        if size > MAX_HEADER_BYTES:
            break
        named.append(encoded)
    if not named:
        return []
    headers = [(RECORDS_HEADER.encode(), ",".join(named).encode("ascii"))]
    if found.count > len(named):
        headers.append((RECORDS_COUNT_HEADER.encode(), str(found.count).encode()))
    return headers


def read_records(headers: Mapping[str, str]) -> Touched:
    """What :func:`record_headers` wrote, read back; a part that is not a mã hồ sơ is left
    out, never trusted into the log (the service is ours, but the header is text)."""
    found = Touched()
    found.add(_codes(headers.get(RECORDS_HEADER, "")))
    declared = headers.get(RECORDS_COUNT_HEADER, "")
    if declared.isdigit():
        found.count = max(found.count, int(declared))
    return found


def _codes(value: str) -> Iterator[str]:
    for part in value.split(",")[:MAX_REPORTED]:
        try:
            yield validate_file_code(unquote(part.strip(), errors="strict"))
        except (InvalidFileCode, UnicodeDecodeError):
            continue


class RecordsMiddleware(AnswerHeadersMiddleware):
    """Puts what routes named with :func:`touched` into the answer's headers, whatever kind of
    answer the route gave (JSON, a file, a problem)."""

    def added(self, scope: Scope, present: Headers) -> Headers:
        found: Touched | None = scope.get("state", {}).get(_STATE_KEY)
        return list(record_headers(found)) if found is not None else []
