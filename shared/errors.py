"""The few error classes sohoa raises, split by what the caller should do.

    SohoaError               code, title, http_status as class attributes; code is stable English
    ├── PermanentError       retrying cannot help: dead-letter now, 4xx over HTTP
    │   ├── BadMessage       an event that does not parse (consumer side)
    │   ├── InvalidFileCode  a mã hồ sơ that is not well formed
    │   └── NotFound         the thing asked for does not exist
    └── TransientError       broker, storage or database may heal: retry with backoff, then DLQ; 503
        └── ConcurrentUpdate another transaction changed the same rows first: run it again

Services add their own subclasses in their ``domain.py``; adapters translate library errors
into these with ``raise ... from exc``.
"""

from __future__ import annotations

import struct
from typing import ClassVar


class SohoaError(Exception):
    """``detail`` is for people; ``extra`` holds machine-readable facts (JSON values) that the
    problem response carries beside ``code``, e.g. the current state and the allowed ones."""

    code: ClassVar[str] = "sohoa.error"
    title: ClassVar[str] = "Lỗi hệ thống"
    http_status: ClassVar[int] = 500

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail)
        self.extra = extra


class PermanentError(SohoaError):
    code = "sohoa.permanent"
    title = "Yêu cầu không thể xử lý"
    http_status = 400


class TransientError(SohoaError):
    code = "sohoa.unavailable"
    title = "Dịch vụ tạm thời không sẵn sàng"
    http_status = 503


class BadMessage(PermanentError):
    code = "event.bad-message"
    title = "Sự kiện không đúng định dạng"


class InvalidFileCode(PermanentError):
    code = "file-code.invalid"
    title = "Mã hồ sơ không hợp lệ"
    http_status = 422


class NotFound(PermanentError):
    code = "not-found"
    title = "Không tìm thấy"
    http_status = 404


class Conflict(PermanentError):
    code = "conflict"
    title = "Xung đột dữ liệu"
    http_status = 409


class ConcurrentUpdate(TransientError):
    """Two transactions raced for the same row (a unique key taken meanwhile, a serialization
    failure): the unit of work is run again from the start, when it will see the other's result."""

    code = "database.concurrent-update"
    title = "Dữ liệu vừa được thay đổi đồng thời"


DECODER_FAILURES: tuple[type[Exception], ...] = (
    OSError,  # Pillow's UnidentifiedImageError and truncated-data errors among them
    SyntaxError,
    ValueError,
    EOFError,
    TypeError,  # a TIFF whose headers lack its dimensions ("Missing dimensions")
    KeyError,
    IndexError,
    ZeroDivisionError,
    struct.error,
)
"""What image decoders (Pillow's plugins above all) raise on hostile or broken bytes: each
means "not an image we can take", a clear refusal, never a 500 or a retried bug. Found by
fuzzing uploads (tests/e2e/test_upload_fuzz.py)."""
