"""What the catalogue refuses, and the code each refusal carries (HTTP status, or the reason of
a dead letter when an event breaks a rule)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound, PermanentError


class FileNotFound(NotFound):
    code = "catalogue.file-not-found"
    title = "Không tìm thấy hồ sơ"


class FondsNotFound(NotFound):
    code = "catalogue.fonds-not-found"
    title = "Không tìm thấy phông"


class DocumentNotFound(NotFound):
    code = "catalogue.document-not-found"
    title = "Không tìm thấy văn bản trong hồ sơ"


class PageNotFound(NotFound):
    """No current page of that number, or its derivative is not stored (not read yet)."""

    code = "catalogue.page-not-found"
    title = "Không tìm thấy trang đã nhận dạng"


class FileExists(Conflict):
    code = "catalogue.file-exists"
    title = "Hồ sơ đã được đăng ký với nội dung khác"


class IllegalTransition(Conflict):
    """A step the hồ sơ's state does not allow; the body names the state and the allowed steps."""

    code = "catalogue.illegal-transition"
    title = "Chuyển trạng thái hồ sơ không hợp lệ"


class NotArranged(Conflict):
    """Digitizing may start only once chỉnh lý hoàn chỉnh is confirmed."""

    code = "catalogue.not-arranged"
    title = "Hồ sơ chưa được xác nhận chỉnh lý hoàn chỉnh"


class CountsMissing(Conflict):
    """Chỉnh lý must declare số tờ and số trang: kiểm tra counts pages against them."""

    code = "catalogue.counts-missing"
    title = "Chưa khai báo số tờ, số trang của hồ sơ"


class DescriptionIncomplete(Conflict):
    code = "catalogue.description-incomplete"
    title = "Biên mục chưa đủ các trường bắt buộc"


class DescriptionLocked(Conflict):
    """After kiểm tra signed off, the record is evidence: it no longer changes."""

    code = "catalogue.description-locked"
    title = "Hồ sơ đã kiểm tra xong, không sửa biên mục được nữa"


class VerificationFailed(Conflict):
    code = "catalogue.verification-failed"
    title = "Kiểm tra chưa đạt: còn lỗi chưa được miễn trừ"


class SelectionRefused(Conflict):
    """A selection decision or acceptance batch that names hồ sơ not ready for it."""

    code = "catalogue.batch-refused"
    title = "Danh sách có hồ sơ không đủ điều kiện"


class DecisionConflict(Conflict):
    code = "catalogue.decision-conflict"
    title = "Quyết định này đã được ghi với danh sách khác"


class InvalidField(PermanentError):
    """A value outside its TT 05 type, length or code list."""

    code = "catalogue.invalid-field"
    title = "Giá trị không hợp lệ theo Thông tư 05/2025/TT-BNV"
    http_status = 422


class InvalidSelection(PermanentError):
    code = "catalogue.invalid-selection"
    title = "Tiêu chí lựa chọn không hợp lệ"
    http_status = 422


class UnexpectedPage(PermanentError):
    """A page event the hồ sơ cannot take (not open for scanning, or a second image at a page
    number that was not sent back for re-scan): dead-lettered with this reason."""

    code = "catalogue.unexpected-page"
    title = "Hồ sơ không nhận trang này"
    http_status = 409


class InvalidCursor(InvalidField):
    code = "catalogue.invalid-cursor"
    title = "Con trỏ trang kết quả không hợp lệ"
