"""Rules of the workspace (không gian làm việc) with no I/O: who may do what on which screen,
the sessions of people signed in, the Vietnamese labels of the archival rules, and the
geometry of the page viewer and the progress chart."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from shared.errors import SohoaError
from shared.geometry import Affine


class Action(StrEnum):
    """What a screen may offer; each needs one gateway role (services/gateway/domain.py)."""

    IMPORT = "import"  # nhập mục lục
    SELECT = "select"  # lựa chọn
    ARRANGE = "arrange"  # chỉnh lý hoàn chỉnh
    UPLOAD = "upload"  # tải ảnh trang
    DESCRIBE = "describe"  # biên mục
    APPROVE = "approve"  # phê duyệt danh mục
    VERIFY = "verify"  # kiểm tra, miễn trừ, quét lại
    ACCEPT = "accept"  # nghiệm thu
    DELIVERIES = "deliveries"  # theo dõi bàn giao: overdue deliveries name restricted hồ sơ


NEEDS: Mapping[Action, str] = {
    Action.IMPORT: "archivist",
    Action.SELECT: "archivist",
    Action.ARRANGE: "archivist",
    Action.UPLOAD: "archivist",
    Action.DESCRIBE: "archivist",
    Action.APPROVE: "approver",
    Action.VERIFY: "reviewer",
    Action.ACCEPT: "approver",
    Action.DELIVERIES: "approver",
}

# The states in which each step of a hồ sơ applies (the catalogue decides; this only keeps a
# screen from offering what would be refused).
WHEN: Mapping[Action, frozenset[str]] = {
    Action.SELECT: frozenset({"inventoried"}),
    Action.APPROVE: frozenset({"selected"}),
    Action.ARRANGE: frozenset({"inventoried", "selected", "approved"}),
    Action.UPLOAD: frozenset({"approved", "digitizing", "rescan_requested"}),
    Action.DESCRIBE: frozenset({"digitized", "described"}),
    Action.VERIFY: frozenset({"described"}),
    Action.ACCEPT: frozenset({"verified"}),
}


def offers(roles: Iterable[str], action: Action, state: str | None = None) -> bool:
    """Whether a screen offers ``action`` to someone with ``roles`` (for a hồ sơ in ``state``)."""
    if NEEDS[action] not in set(roles):
        return False
    return state is None or action not in WHEN or state in WHEN[action]


STATE_LABELS: Mapping[str, str] = {
    "inventoried": "Đã nhập mục lục",
    "selected": "Đã lựa chọn",
    "approved": "Đã phê duyệt",
    "digitizing": "Đang số hóa",
    "digitized": "Đã số hóa",
    "described": "Đã biên mục",
    "verified": "Đã kiểm tra",
    "accepted": "Đã nghiệm thu",
    "packaged": "Đã đóng gói",
    "handed_over": "Đã bàn giao",
    "rescan_requested": "Chờ quét lại",
}

ROLE_LABELS: Mapping[str, str] = {
    "partner_read": "đối tác (chỉ xem)",
    "archivist": "lưu trữ viên",
    "reviewer": "kiểm tra viên",
    "approver": "người phê duyệt",
    "national_archive": "lưu trữ quốc gia",
    "admin": "quản trị",
}

# TT 05/2025 hồ sơ elements (§4.1): name in the API → Vietnamese label; the editable ones.
FILE_FIELDS: Mapping[str, str] = {
    "title": "Tiêu đề hồ sơ",
    "maintenance": "Thời hạn lưu trữ",
    "mode": "Chế độ sử dụng",
    "language": "Ngôn ngữ",
    "startDate": "Thời gian bắt đầu",
    "endDate": "Thời gian kết thúc",
    "keyword": "Từ khóa",
    "totalDoc": "Tổng số tài liệu trong hồ sơ",
    "numberOfPaper": "Số lượng tờ",
    "numberOfPage": "Số lượng trang",
    "format": "Tình trạng vật lý",
    "inforSign": "Ký hiệu thông tin",
    "paperFileCode": "Mã hồ sơ gốc giấy",
    "description": "Ghi chú",
}
NUMBER_FIELDS = frozenset({"totalDoc", "numberOfPaper", "numberOfPage"})

# TT 05/2025 văn bản elements (§4.2) as biên mục tự động suggests them.
DOCUMENT_FIELDS: Mapping[str, str] = {
    "typeName": "Tên loại văn bản",
    "codeNumber": "Số của văn bản",
    "codeNotation": "Ký hiệu của văn bản",
    "issuedDate": "Ngày, tháng, năm văn bản",
    "issuedPlace": "Địa danh",
    "organName": "Tên cơ quan, tổ chức ban hành",
    "parentOrganName": "Cơ quan chủ quản",
    "subject": "Trích yếu nội dung",
    "signerName": "Người ký",
    "signerTitle": "Chức vụ người ký",
    "signingAuthority": "Thẩm quyền ký",
}

DELIVERY_LABELS: Mapping[str, str] = {
    "pending": "đã gửi, chưa tải",
    "received": "đã tải, chưa có biên nhận",
    "re-delivered": "đã gửi lại",
    "accepted": "đã nhận",
    "rejected": "bị từ chối",
}

MODE_LABELS: Mapping[str, str] = {"01": "Công khai", "02": "Sử dụng có điều kiện", "03": "Mật"}

LOW_CONFIDENCE = 70.0
"""A word read with less confidence (0–100) is marked for a person to look at (as the OCR's
``low-confidence`` page flag)."""


def label(labels: Mapping[str, str], key: str | None) -> str:
    return labels.get(key or "", key or "")


# --- sessions --------------------------------------------------------------------------------


class SignInRefused(SohoaError):
    code = "workspace.sign-in-refused"
    title = "Tên đăng nhập hoặc mật khẩu không đúng"
    http_status = 401


class CsrfRefused(SohoaError):
    code = "workspace.csrf-refused"
    title = "Biểu mẫu đã hết hạn, xin tải lại trang"
    http_status = 403


@dataclass(frozen=True)
class Person:
    """Who is signed in, as the gateway's ``/me`` names them."""

    username: str
    full_name: str
    roles: frozenset[str]


@dataclass
class Session:
    """A person signed in: the gateway's bearer token stays here, never in the browser."""

    session_id: str
    csrf: str
    token: str
    person: Person
    expires_at: float
    pending: dict[str, object] = field(default_factory=dict)  # e.g. an import awaiting its run

    def check_csrf(self, presented: str | None) -> None:
        if not presented or not hmac.compare_digest(presented.encode(), self.csrf.encode()):
            raise CsrfRefused("mã chống giả mạo (CSRF) không khớp")


class SessionStore:
    """Sessions in memory: a restart signs everyone out, which is safe (tokens die with it).
    The oldest session goes first when ``capacity`` is reached."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._sessions: dict[str, Session] = {}

    def open(self, token: str, person: Person, expires_at: float) -> Session:
        while len(self._sessions) >= self._capacity:
            self._sessions.pop(next(iter(self._sessions)))
        session = Session(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), token, person, expires_at
        )
        self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None, now: float) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if session.expires_at <= now:
            self.close(session.session_id)
            return None
        return session

    def close(self, session_id: str) -> Session | None:
        return self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)


# --- search hits, page viewer, chart ---------------------------------------------------------

_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def marked_segments(highlighted: str) -> list[tuple[str, bool]]:
    """A search hit's ``highlighted`` text as (text, is_hit) pieces, so the template escapes
    every piece itself and shows hits as ``<mark>``: no markup from upstream is trusted."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in _MARK.finditer(highlighted):
        if match.start() > at:
            pieces.append((highlighted[at : match.start()], False))
        pieces.append((match.group(1), True))
        at = match.end()
    if at < len(highlighted):
        pieces.append((highlighted[at:], False))
    return pieces


PAGE_PIXELS_AT_100 = 760  # screen pixels a page is wide at zoom 100 %
DEVICE_PIXELS = 2  # a high-density screen's device pixels to one CSS pixel
THUMBNAIL_WIDTH = 120  # pixels fetched for a 60 px wide thumbnail (kiểm tra findings)
WIDEST_PREVIEW = 4000  # the catalogue makes previews up to this wide; wider is the image


@dataclass(frozen=True)
class ViewBox:
    """How the scan is shown: ``zoom`` in percent, ``rotate`` a quarter turn in degrees."""

    zoom: int = 100
    rotate: int = 0

    ZOOMS = (50, 75, 100, 150, 200, 300)

    @classmethod
    def parse(cls, zoom: int | None, rotate: int | None) -> ViewBox:
        chosen = min(cls.ZOOMS, key=lambda z: abs(z - (zoom or 100)))
        return cls(chosen, ((rotate or 0) // 90 % 4) * 90)

    def zoomed(self, step: int) -> ViewBox:
        index = self.ZOOMS.index(self.zoom) + step
        return ViewBox(self.ZOOMS[max(0, min(index, len(self.ZOOMS) - 1))], self.rotate)

    def turned(self, quarter_turns: int) -> ViewBox:
        return ViewBox(self.zoom, (self.rotate + 90 * quarter_turns) % 360)

    def frame(self, width: int, height: int) -> tuple[int, int, str]:
        """The shown width and height (pixels of the screen) and the SVG transform that turns
        the page about its centre within them."""
        turned = self.rotate in (90, 270)
        shown_w, shown_h = (height, width) if turned else (width, height)
        transform = (
            f"translate({shown_w / 2:g} {shown_h / 2:g}) rotate({self.rotate}) "
            f"translate({-width / 2:g} {-height / 2:g})"
        )
        scale = self.zoom / 100 * PAGE_PIXELS_AT_100 / max(width, 1)
        return round(shown_w * scale), round(shown_h * scale), transform

    def image_width(self, width: int) -> int | None:
        """How wide an image of a ``width``-pixel page to fetch: what the screen shows at this
        zoom on a high-density display (two device pixels to one), or None for the whole
        image when that is no smaller. At 100 % a 300 dpi A4 page comes 1 520 px wide, not
        2 480: a slow connection gets the page in a third of the bytes."""
        wanted = round(self.zoom / 100 * PAGE_PIXELS_AT_100 * DEVICE_PIXELS)
        return wanted if wanted < min(width, WIDEST_PREVIEW) else None


@dataclass(frozen=True)
class ViewedWord:
    index: int
    text: str
    x: int
    y: int
    width: int
    height: int
    confidence: float | None
    starts_line: bool = False

    @property
    def low(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE


def viewed_words(words: Sequence[Mapping[str, object]]) -> list[ViewedWord]:
    """The page's words (``page-words``) as boxes to draw over the scan."""
    shown: list[ViewedWord] = []
    for index, word in enumerate(words):
        box = word.get("box")
        if not isinstance(box, list) or len(box) != 4:
            continue
        x0, y0, x1, y1 = (int(v) for v in box)
        confidence = word.get("confidence")
        before = shown[-1] if shown else None
        # a word left of the one before, or below it, starts a new line of the text
        new_line = before is not None and (x0 < before.x or y0 > before.y + before.height * 0.6)
        shown.append(
            ViewedWord(
                index,
                str(word.get("text", "")),
                x0,
                y0,
                max(x1 - x0, 1),
                max(y1 - y0, 1),
                float(confidence) if isinstance(confidence, int | float) else None,
                new_line,
            )
        )
    return shown


MIN_SKEW = 0.1  # degrees: OCR's clean-up levels a page from this much (imaging.clean_page)


@dataclass(frozen=True)
class Original:
    """The scan as stored beside the cleaned image OCR read (``page-words``' ``original``):
    the hOCR boxes are in the cleaned image's pixels. OCR records where each point of the
    scan landed on that image (``to_page_image``), so a box is brought back through it, turned
    and levelled pages too; a page read before OCR kept the map is scaled by the two images'
    natural sizes, and one turned or levelled to be read then gets no box laid over it."""

    width: int
    height: int
    rotation: int = 0
    skew: float = 0.0  # degrees clean-up levelled the page by
    to_page: Affine | None = None

    @classmethod
    def of(cls, page_words: Mapping[str, object]) -> Original:
        given = page_words.get("original")
        found: Mapping[str, object] = given if isinstance(given, Mapping) else {}

        def number(value: object, default: int) -> int:
            return int(value) if isinstance(value, int | float) and value > 0 else default

        rotation = found.get("rotation")
        skew = found.get("skew")
        mapped = found.get("to_page_image")
        to_page = (
            Affine(*(float(v) for v in mapped))
            if isinstance(mapped, list)
            and len(mapped) == 6
            and all(isinstance(v, int | float) for v in mapped)
            else None
        )
        return cls(
            number(found.get("width"), number(page_words.get("width"), 2480)),
            number(found.get("height"), number(page_words.get("height"), 3508)),
            rotation % 360 if isinstance(rotation, int) else 0,
            float(skew) if isinstance(skew, int | float) else 0.0,
            to_page,
        )

    @property
    def aligned(self) -> bool:
        """Whether the boxes can be laid over it: OCR kept the map, or the page was neither
        turned nor levelled to be read (deskewing rotates and enlarges the canvas: a box
        scaled by the sizes alone would miss by tens of px)."""
        return self.to_page is not None or (self.rotation == 0 and abs(self.skew) < MIN_SKEW)

    def boxes(self, words: Sequence[ViewedWord], width: int, height: int) -> list[ViewedWord]:
        """``words`` boxed in the cleaned image (``width`` × ``height``) moved onto this one."""
        back = (
            self.to_page.inverse()
            if self.to_page is not None
            else Affine.scaled(self.width / max(width, 1), self.height / max(height, 1))
        )
        moved = []
        for w in words:
            x0, y0, x1, y1 = (round(v) for v in back.box(w.x, w.y, w.x + w.width, w.y + w.height))
            moved.append(replace(w, x=x0, y=y0, width=max(x1 - x0, 1), height=max(y1 - y0, 1)))
        return moved


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(
    counts: Sequence[tuple[str, int]], *, width: float = 640, height: float = 220
) -> list[Bar]:
    """Bars for an inline SVG chart rendered on the server (no script, no CDN)."""
    if not counts:
        return []
    top = max(max(value for _, value in counts), 1)
    slot = min(width / len(counts), 80)  # a few bars stay bars, not slabs
    bars = []
    for n, (name, value) in enumerate(counts):
        bar_height = height * value / top
        bars.append(
            Bar(name, value, n * slot + slot * 0.15, height - bar_height, slot * 0.7, bar_height)
        )
    return bars


def crop(boxes: Sequence[Sequence[int]], *, margin: int = 40) -> tuple[int, int, int, int] | None:
    """The part of the page a suggested field was read from (x, y, width, height), with a
    margin, to show it beside the value: where it was read."""
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes) - margin
    y0 = min(b[1] for b in boxes) - margin
    x1 = max(b[2] for b in boxes) + margin
    y1 = max(b[3] for b in boxes) + margin
    return max(x0, 0), max(y0, 0), x1 - max(x0, 0), y1 - max(y0, 0)


# --- nghiệm thu of several hồ sơ, the national archive's receipt -----------------------------

MAX_BATCH = 200
"""Hồ sơ accepted from one form at most (one biên bản rarely covers more)."""


@dataclass(frozen=True)
class Outcome:
    """What the gateway answered for one hồ sơ of a batch nghiệm thu: accepted, or refused with
    its problem's ``code`` (each hồ sơ is accepted on its own, so one refusal stops no other)."""

    file_code: str
    accepted: bool
    code: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Receipt:
    """The national archive's biên nhận of a package, as the hồ sơ's history records it (every
    one, oldest first); the newest is also downloaded whole from the gateway's receipt route."""

    receipt_id: str
    accepted: bool
    by: str
    at: str
    reasons: str = ""


_RECEIPT = re.compile(r"^biên nhận (\S+?)(?:: từ chối — (.*))?$", re.DOTALL)


def receipts(history: Iterable[Mapping[str, object]]) -> list[Receipt]:
    """Every receipt in a hồ sơ's history, oldest first: ``packaged → handed_over`` when the
    archive accepted the package, ``packaged → described`` with the reasons when it refused."""
    found = []
    for step in history:
        if step.get("from_state") != "packaged":
            continue
        matched = _RECEIPT.match(str(step.get("reason") or ""))
        if matched is None:
            continue
        found.append(
            Receipt(
                receipt_id=matched.group(1),
                accepted=step.get("to_state") == "handed_over",
                by=str(step.get("actor") or step.get("client") or ""),
                at=str(step.get("at") or ""),
                reasons=matched.group(2) or "",
            )
        )
    return found
