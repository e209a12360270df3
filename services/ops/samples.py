"""Sample scans of Vietnamese administrative documents with known ground-truth text.

The demo and the tests need page images that look like what a provincial archive feeds the
pipeline (văn bản hành chính laid out per Nghị định 30/2020/NĐ-CP, Phụ lục I) *and* the exact
text printed on them, so OCR quality can be measured instead of eyeballed. Everything is
deterministic for a seed: same seed, same pixels, same text.

Page 1 carries the whole thể thức: the two-column header (cơ quan chủ quản / cơ quan ban hành /
số, ký hiệu on the left; Quốc hiệu, Tiêu ngữ, địa danh và ngày tháng on the right), tên loại and
trích yếu, the body, then nơi nhận on the left and quyền hạn, chức vụ, họ tên người ký on the
right. Later pages are body continuation with the page number centred in the top margin.
"""

from __future__ import annotations

import contextvars
import functools
import io
import itertools
import random
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

from shared.text import nfc

__all__ = [
    "CORPUS",
    "VIETNAMESE_LETTERS",
    "SampleDocument",
    "SampleFacts",
    "SampleFontError",
    "SamplePage",
    "degrade",
    "render_document",
    "save_page",
    "write_sample_file",
]

# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePage:
    """One rendered page and the text printed on it (NFC, one line per printed line)."""

    sequence: int
    text: str
    image: Image.Image


@dataclass(frozen=True)
class SampleDocument:
    """A rendered văn bản: its title (tên loại + trích yếu) and its pages in order."""

    title: str
    pages: tuple[SamplePage, ...]
    facts: SampleFacts


@dataclass(frozen=True)
class SampleFacts:
    """What the văn bản prints about itself, as biên mục would record it (TT 05/2025 §4.2)."""

    code_number: str  # số, e.g. "115"
    code_notation: str  # ký hiệu, e.g. "KH-UBND"
    type_label: str  # tên loại as printed, e.g. "Kế hoạch"
    issued_date: str  # DD/MM/YYYY
    issued_place: str
    organ_name: str  # cơ quan ban hành, normal case, one line
    subject: str  # trích yếu
    signer_name: str


class SampleFontError(RuntimeError):
    """No installed serif font covers Vietnamese; samples would print boxes instead of ơ, ư, ạ."""


def _all_vietnamese_letters() -> str:
    # 12 vowels x 6 thanh điệu (ngang, huyền, sắc, hỏi, ngã, nặng) plus đ, in NFC.
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    lower = [nfc(base + tone) for base in "aăâeêioôơuưy" for tone in tones] + ["đ"]
    return "".join(lower) + "".join(ch.upper() for ch in lower)


VIETNAMESE_LETTERS: str = _all_vietnamese_letters()
"""Every Vietnamese vowel with every tone mark, and đ, lower then upper case (NFC)."""

# --------------------------------------------------------------------------------------------
# Built-in corpus: administrative prose about văn thư, lưu trữ, số hóa
# --------------------------------------------------------------------------------------------

CORPUS: tuple[str, ...] = (
    "Công tác lưu trữ có vai trò quan trọng trong việc bảo vệ, quản lý và phát huy giá trị "
    "tài liệu phục vụ hoạt động của cơ quan, tổ chức.",
    "Tài liệu lưu trữ phải được thu thập đầy đủ, chỉnh lý hoàn chỉnh và bảo quản an toàn "
    "theo đúng quy định của pháp luật.",
    "Việc số hóa tài liệu nhằm tạo lập cơ sở dữ liệu tài liệu lưu trữ, phục vụ khai thác, "
    "sử dụng nhanh chóng và thuận tiện.",
    "Các đơn vị có trách nhiệm lập hồ sơ công việc và nộp lưu hồ sơ, tài liệu vào Lưu trữ "
    "cơ quan đúng thời hạn.",
    "Hồ sơ, tài liệu trước khi số hóa phải được kiểm tra tình trạng vật lý, tháo bỏ ghim, "
    "kẹp và làm phẳng từng tờ.",
    "Đối với tài liệu bị rách, ố vàng hoặc chữ bị mờ, cán bộ lưu trữ lập danh sách riêng để "
    "tu bổ trước khi quét.",
    "Bản số hóa được lưu ở định dạng PDF, độ phân giải tối thiểu 200 dpi, chế độ màu và "
    "giữ nguyên tỷ lệ so với bản gốc.",
    "Mỗi tệp tin được gắn mã hồ sơ và mã định danh văn bản để bảo đảm tính thống nhất giữa "
    "bản giấy và bản số.",
    "Sở Nội vụ chủ trì, phối hợp với các sở, ban, ngành hướng dẫn nghiệp vụ và kiểm tra "
    "việc thực hiện.",
    "Trung tâm Lưu trữ lịch sử tỉnh tiếp nhận hồ sơ, tài liệu thuộc diện nộp lưu theo danh "
    "mục đã được phê duyệt.",
    "Quá trình chỉnh lý bao gồm phân loại, lập hồ sơ, xác định giá trị, hệ thống hóa và "
    "biên mục tài liệu.",
    "Tài liệu hết giá trị phải được thống kê thành danh mục, trình Hội đồng xác định giá trị "
    "tài liệu xem xét trước khi tiêu hủy.",
    "Kho lưu trữ phải được trang bị giá, hộp, cặp đạt tiêu chuẩn và hệ thống phòng cháy, "
    "chữa cháy hoạt động thường xuyên.",
    "Nhiệt độ và độ ẩm trong kho được theo dõi hằng ngày, ghi sổ đầy đủ và điều chỉnh kịp "
    "thời khi vượt ngưỡng cho phép.",
    "Việc nghiệm thu sản phẩm được tiến hành theo từng đợt, có biên bản xác nhận số lượng và "
    "chất lượng của từng khối tài liệu.",
    "Sau khi nghiệm thu, đơn vị thực hiện bàn giao đầy đủ tài liệu giấy, dữ liệu số và mục "
    "lục hồ sơ cho cơ quan quản lý.",
    "Cơ sở dữ liệu phải được sao lưu định kỳ ra thiết bị lưu trữ độc lập và cất giữ ở địa "
    "điểm khác với máy chủ chính.",
    "Dữ liệu số hóa chỉ được cung cấp cho tổ chức, cá nhân khi có văn bản đề nghị và được "
    "người có thẩm quyền cho phép.",
    "Công chức, viên chức làm công tác lưu trữ phải giữ gìn bí mật thông tin trong tài liệu "
    "theo quy định của Nhà nước.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách tỉnh và các nguồn hợp pháp khác theo "
    "phân cấp hiện hành.",
    "Đơn vị tư vấn có trách nhiệm xây dựng dự toán chi tiết, thuyết minh khối lượng và đơn "
    "giá áp dụng cho từng hạng mục.",
    "Trong năm, toàn tỉnh đã chỉnh lý hoàn chỉnh hơn hai nghìn mét giá tài liệu tồn đọng, "
    "tích đống.",
    "Nhiều cơ quan, đơn vị chưa bố trí đủ diện tích kho, tài liệu còn để ở hành lang hoặc "
    "phòng làm việc nên dễ bị hư hỏng.",
    "Một số cán bộ còn có tư tưởng ỷ lại, chưa quan tâm đúng mức đến việc lập hồ sơ và nộp "
    "lưu tài liệu.",
    "Đề nghị Ủy ban nhân dân tỉnh quan tâm bố trí kinh phí để đầu tư trang thiết bị chuyên "
    "dụng cho kho lưu trữ.",
    "Các phòng chuyên môn khẩn trương rà soát, tháo gỡ những vướng mắc phát sinh trong quá "
    "trình triển khai.",
    "Người đứng đầu cơ quan, tổ chức chịu trách nhiệm trước pháp luật về việc quản lý tài "
    "liệu lưu trữ của đơn vị mình.",
    "Mục lục hồ sơ nộp lưu được lập thành ba bản, cơ quan nộp lưu giữ một bản và Lưu trữ "
    "lịch sử giữ hai bản.",
    "Việc khai thác tài liệu tại phòng đọc phải tuân thủ nội quy, không được mang tài liệu "
    "gốc ra khỏi khu vực quy định.",
    "Định kỳ sáu tháng, các đơn vị báo cáo kết quả thực hiện về Sở Nội vụ để tổng hợp, báo "
    "cáo Ủy ban nhân dân tỉnh.",
    "Ứng dụng công nghệ thông tin trong công tác lưu trữ là nhiệm vụ trọng tâm, góp phần xây "
    "dựng chính quyền số.",
    "Sau mỗi ngày làm việc, tài liệu phải được đưa trở lại kho, sắp xếp đúng vị trí và khóa "
    "cửa cẩn thận.",
    "Hội đồng đã xem xét, thống nhất danh mục hồ sơ có thời hạn bảo quản vĩnh viễn và có thời hạn.",
    "Cán bộ kỹ thuật kiểm tra ngẫu nhiên ít nhất năm phần trăm số trang đã số hóa để đánh giá "
    "chất lượng hình ảnh.",
    "Những trang bị lệch, mất chữ hoặc thiếu trang phải được quét lại trước khi chuyển sang "
    "bước nhập dữ liệu.",
    "Thông tin đầu vào của hồ sơ gồm mã hồ sơ, tiêu đề, thời gian bắt đầu, thời gian kết "
    "thúc, số lượng tờ và thời hạn bảo quản.",
    "Các đơn vị cần chủ động sắp xếp nhân lực, sẵn sàng phối hợp với đơn vị thi công trong "
    "suốt thời gian thực hiện.",
    "Kết quả kiểm tra cho thấy phần lớn hồ sơ được lập tương đối đầy đủ, sắp xếp khoa học và "
    "dễ tra tìm.",
    "Tuy nhiên, chất lượng chỉnh lý ở một số huyện còn thấp, tiêu đề hồ sơ chưa phản ánh "
    "chính xác nội dung bên trong.",
    "Tài liệu của các cơ quan đã giải thể, sáp nhập phải được thu về kho lưu trữ tập trung "
    "để quản lý thống nhất.",
    "Bản đồ, bản vẽ khổ lớn được số hóa bằng máy quét chuyên dụng và cất trong hộp riêng, "
    "tránh gấp nếp.",
    "Khi phát hiện tài liệu có dấu hiệu nấm mốc hoặc côn trùng gây hại, cần cách ly ngay và "
    "báo cáo lãnh đạo xử lý.",
    "Phòng Nội vụ các huyện, thị xã, thành phố hướng dẫn Ủy ban nhân dân cấp xã thực hiện "
    "chế độ báo cáo thống kê.",
    "Việc chuyển giao dữ liệu giữa các hệ thống phải bảo đảm tính toàn vẹn, có mã kiểm tra "
    "và nhật ký ghi nhận đầy đủ.",
    "Tờ lẻ, bản nháp và tài liệu trùng thừa được loại ra, thống kê riêng và không đưa vào hồ "
    "sơ chính thức.",
    "Chương trình bồi dưỡng nghiệp vụ được tổ chức hằng năm nhằm nâng cao kỹ năng cho đội "
    "ngũ làm công tác văn thư.",
    "Kho lưu trữ chuyên dụng của tỉnh được xây dựng gần trung tâm tỉnh lỵ, thuận tiện cho "
    "việc giao nhận tài liệu.",
    "Những khó khăn về trang thiết bị sẽ từng bước được khắc phục để hoàn thành mục tiêu đề "
    "ra đúng tiến độ.",
    "Các hộp tài liệu được đánh số liên tục, dán nhãn rõ ràng và xếp lên giá theo trật tự từ "
    "trái sang phải, từ trên xuống dưới.",
    "Văn bản điện tử sau khi ký số được lưu trong hệ thống quản lý văn bản và điều hành, có "
    "giá trị pháp lý như bản giấy.",
    "Kết quả đó khẳng định sự quan tâm, chỉ đạo sát sao của lãnh đạo các cấp đối với công "
    "tác lưu trữ.",
    "Sở Thông tin và Truyền thông hỗ trợ kỹ thuật, bảo đảm an toàn thông tin cho hệ thống "
    "quản lý tài liệu lưu trữ điện tử.",
    "Các bước trong quy trình phải được kiểm soát chặt chẽ, có phiếu theo dõi kèm theo từng hồ sơ.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị kịp thời phản ánh về "
    "Sở Nội vụ để được hướng dẫn.",
)
"""Distinct sentences of administrative prose; bodies are drawn from these."""

# --------------------------------------------------------------------------------------------
# What a document is made of: cơ quan ban hành, loại văn bản, người ký
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Province:
    name: str  # tên tỉnh, also the địa danh on provincial documents
    district: str  # a huyện of that tỉnh, for district-level issuers


_PROVINCES = (
    _Province("Trà Vinh", "Càng Long"),
    _Province("Vĩnh Long", "Long Hồ"),
    _Province("Sóc Trăng", "Mỹ Xuyên"),
    _Province("Bến Tre", "Mỏ Cày Nam"),
    _Province("Đồng Tháp", "Cao Lãnh"),
    _Province("An Giang", "Chợ Mới"),
    _Province("Quảng Ngãi", "Sơn Tịnh"),
    _Province("Nghệ An", "Diễn Châu"),
    _Province("Hà Tĩnh", "Hương Sơn"),
    _Province("Lào Cai", "Bảo Thắng"),
    _Province("Đắk Lắk", "Krông Pắc"),
    _Province("Kon Tum", "Đắk Hà"),
)


@dataclass(frozen=True)
class _Issuer:
    """A cơ quan ban hành; ``{P}``/``{D}`` stand for tỉnh/huyện names (caps where caps)."""

    governing: str | None  # cơ quan chủ quản (line 1, caps, not bold)
    name: str  # tên cơ quan ban hành, "\n" where the official layout breaks it
    abbr: str  # chữ viết tắt in số, ký hiệu
    short: str  # how the body names it
    head: str  # chức vụ người đứng đầu
    deputy: str  # chức vụ cấp phó
    collective: str | None  # tập thể lãnh đạo, signs "TM." (thay mặt)
    superior: str  # who a tờ trình goes to
    proposer: str  # "Theo đề nghị của ..." in a quyết định
    recipients: tuple[str, ...]
    district_level: bool = False


_ISSUERS = (
    _Issuer(
        governing=None,
        name="ỦY BAN NHÂN DÂN\nTỈNH {P}",
        abbr="UBND",
        short="Ủy ban nhân dân tỉnh",
        head="CHỦ TỊCH",
        deputy="PHÓ CHỦ TỊCH",
        collective="ỦY BAN NHÂN DÂN",
        superior="Hội đồng nhân dân tỉnh {P}",
        proposer="Giám đốc Sở Nội vụ",
        recipients=(
            "Bộ Nội vụ (b/c);",
            "Cục Văn thư và Lưu trữ nhà nước;",
            "TT. Tỉnh ủy, TT. HĐND tỉnh;",
            "CT, các PCT UBND tỉnh;",
            "Các sở, ban, ngành tỉnh;",
            "UBND các huyện, thị xã, thành phố;",
        ),
    ),
    _Issuer(
        governing="UBND TỈNH {P}",
        name="SỞ NỘI VỤ",
        abbr="SNV",
        short="Sở Nội vụ",
        head="GIÁM ĐỐC",
        deputy="PHÓ GIÁM ĐỐC",
        collective=None,
        superior="Ủy ban nhân dân tỉnh {P}",
        proposer="Chi cục trưởng Chi cục Văn thư - Lưu trữ",
        recipients=(
            "UBND tỉnh (b/c);",
            "Giám đốc, các PGĐ Sở;",
            "Các sở, ban, ngành tỉnh;",
            "Trung tâm Lưu trữ lịch sử;",
            "Phòng Nội vụ các huyện, thị xã;",
        ),
    ),
    _Issuer(
        governing="UBND TỈNH {P}",
        name="SỞ TÀI NGUYÊN\nVÀ MÔI TRƯỜNG",
        abbr="STNMT",
        short="Sở Tài nguyên và Môi trường",
        head="GIÁM ĐỐC",
        deputy="PHÓ GIÁM ĐỐC",
        collective=None,
        superior="Ủy ban nhân dân tỉnh {P}",
        proposer="Chánh Văn phòng Sở",
        recipients=(
            "UBND tỉnh (b/c);",
            "Sở Nội vụ;",
            "Giám đốc, các PGĐ Sở;",
            "Các phòng, đơn vị thuộc Sở;",
        ),
    ),
    _Issuer(
        governing="UBND TỈNH {P}",
        name="SỞ THÔNG TIN\nVÀ TRUYỀN THÔNG",
        abbr="STTTT",
        short="Sở Thông tin và Truyền thông",
        head="GIÁM ĐỐC",
        deputy="PHÓ GIÁM ĐỐC",
        collective=None,
        superior="Ủy ban nhân dân tỉnh {P}",
        proposer="Chánh Văn phòng Sở",
        recipients=(
            "UBND tỉnh (b/c);",
            "Sở Nội vụ;",
            "Giám đốc, các PGĐ Sở;",
            "Trung tâm Công nghệ thông tin;",
        ),
    ),
    _Issuer(
        governing="SỞ NỘI VỤ TỈNH {P}",
        name="TRUNG TÂM\nLƯU TRỮ LỊCH SỬ",
        abbr="TTLTLS",
        short="Trung tâm Lưu trữ lịch sử",
        head="GIÁM ĐỐC",
        deputy="PHÓ GIÁM ĐỐC",
        collective=None,
        superior="Sở Nội vụ tỉnh {P}",
        proposer="Trưởng phòng Hành chính - Tổng hợp",
        recipients=(
            "Sở Nội vụ (b/c);",
            "Ban Giám đốc Trung tâm;",
            "Phòng Thu thập, bổ sung;",
            "Phòng Bảo quản, tu bổ;",
        ),
    ),
    _Issuer(
        governing=None,
        name="ỦY BAN NHÂN DÂN\nHUYỆN {D}",
        abbr="UBND",
        short="Ủy ban nhân dân huyện",
        head="CHỦ TỊCH",
        deputy="PHÓ CHỦ TỊCH",
        collective="ỦY BAN NHÂN DÂN",
        superior="Ủy ban nhân dân tỉnh {P}",
        proposer="Trưởng phòng Nội vụ huyện",
        recipients=(
            "UBND tỉnh (b/c);",
            "Sở Nội vụ;",
            "TT. Huyện ủy, TT. HĐND huyện;",
            "Các cơ quan chuyên môn thuộc UBND huyện;",
            "UBND các xã, thị trấn;",
        ),
        district_level=True,
    ),
)

_Kind = Literal["plan", "report", "notice", "submission", "decision"]


@dataclass(frozen=True)
class _DocType:
    name: str  # tên loại văn bản, caps
    abbr: str  # chữ viết tắt tên loại (Phụ lục III NĐ 30)
    kind: _Kind
    subjects: tuple[str, ...]  # trích yếu; {year} = năm ban hành, {next} = năm sau
    sections: tuple[str, ...]  # đề mục of the body


_DOC_TYPES = (
    _DocType(
        "KẾ HOẠCH",
        "KH",
        "plan",
        (
            "Số hóa tài liệu lưu trữ năm {next}",
            "Chỉnh lý tài liệu tồn đọng, tích đống năm {next}",
            "Thu thập hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh năm {next}",
            "Kiểm tra công tác văn thư, lưu trữ năm {next}",
        ),
        (
            "Mục đích",
            "Yêu cầu",
            "Nội dung thực hiện",
            "Thời gian thực hiện",
            "Kinh phí thực hiện",
            "Tổ chức thực hiện",
        ),
    ),
    _DocType(
        "BÁO CÁO",
        "BC",
        "report",
        (
            "Kết quả công tác văn thư, lưu trữ năm {year}",
            "Tình hình số hóa tài liệu lưu trữ 6 tháng đầu năm {year}",
            "Kết quả chỉnh lý tài liệu tồn đọng năm {year}",
        ),
        (
            "Tình hình chung",
            "Kết quả thực hiện",
            "Tồn tại, hạn chế và nguyên nhân",
            "Phương hướng, nhiệm vụ năm {next}",
            "Đề xuất, kiến nghị",
        ),
    ),
    _DocType(
        "TỜ TRÌNH",
        "TTr",
        "submission",
        (
            "Về việc phê duyệt Đề án số hóa tài liệu lưu trữ giai đoạn {next} - {after}",
            "Về việc bố trí kinh phí bảo quản, tu bổ tài liệu lưu trữ năm {next}",
        ),
        (
            "Sự cần thiết",
            "Mục tiêu",
            "Nội dung chủ yếu",
            "Kinh phí và nguồn kinh phí",
            "Kiến nghị",
        ),
    ),
    _DocType(
        "THÔNG BÁO",
        "TB",
        "notice",
        (
            "Kết quả nghiệm thu sản phẩm số hóa tài liệu lưu trữ năm {year}",
            "Kết luận kiểm tra công tác văn thư, lưu trữ năm {year}",
            "Lịch giao nhận hồ sơ, tài liệu nộp lưu năm {year}",
        ),
        (
            "Thời gian, thành phần",
            "Nội dung kiểm tra",
            "Kết quả đạt được",
            "Những tồn tại cần khắc phục",
            "Tổ chức thực hiện",
        ),
    ),
    _DocType(
        "QUYẾT ĐỊNH",
        "QĐ",
        "decision",
        (
            "Về việc thành lập Hội đồng xác định giá trị tài liệu",
            "Về việc ban hành Danh mục hồ sơ năm {next}",
            "Về việc phê duyệt Danh mục tài liệu hết giá trị",
        ),
        (),
    ),
    _DocType(
        "HƯỚNG DẪN",
        "HD",
        "plan",
        (
            "Lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ quan",
            "Quy trình số hóa và quản lý dữ liệu tài liệu lưu trữ",
        ),
        (
            "Phạm vi, đối tượng áp dụng",
            "Yêu cầu chung",
            "Trình tự thực hiện",
            "Bảo quản và khai thác",
            "Tổ chức thực hiện",
        ),
    ),
)

# Đề mục used once a type's own list runs out (long documents).
_EXTRA_SECTIONS = (
    "Công tác kiểm tra, giám sát",
    "Chế độ thông tin, báo cáo",
    "Bảo đảm an toàn tài liệu",
    "Đào tạo, bồi dưỡng nghiệp vụ",
    "Ứng dụng công nghệ thông tin",
    "Khen thưởng và xử lý vi phạm",
)

_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Dương",
    "Lâm",
    "Thạch",
)
# (tên đệm, tên) by gender, so "Thị" never precedes a man's name.
_NAMES = (
    (
        ("Văn", "Minh", "Quốc", "Hữu", "Đức", "Thanh"),
        ("Hùng", "Tuấn", "Sơn", "Khánh", "Thắng", "Dũng", "Trường", "Lợi", "Quý", "Phước"),
    ),
    (
        ("Thị", "Thị Thu", "Ngọc", "Thị Hồng", "Thanh"),
        ("Hà", "Nhung", "Ánh", "Phượng", "Hiền", "Yến", "Lan", "Thảo", "Trinh"),
    ),
)

# --------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------

_Style = Literal["regular", "bold", "italic", "bold_italic"]


@dataclass(frozen=True)
class _Family:
    name: str  # fontconfig family name
    files: tuple[tuple[_Style, str], ...]


# Serif families known to cover Vietnamese, best first. Liberation is deliberately absent:
# its older releases lack ơ/ư/ạ and would silently fall back to boxes.
_FAMILIES = (
    _Family(
        "Noto Serif",
        (
            ("regular", "NotoSerif-Regular.ttf"),
            ("bold", "NotoSerif-Bold.ttf"),
            ("italic", "NotoSerif-Italic.ttf"),
            ("bold_italic", "NotoSerif-BoldItalic.ttf"),
        ),
    ),
    _Family(
        "DejaVu Serif",
        (
            ("regular", "DejaVuSerif.ttf"),
            ("bold", "DejaVuSerif-Bold.ttf"),
            ("italic", "DejaVuSerif-Italic.ttf"),
            ("bold_italic", "DejaVuSerif-BoldItalic.ttf"),
        ),
    ),
)
# Times New Roman's metrics, which most administrative texts are typed in (fonts-liberation2;
# its 2.x releases cover Vietnamese): chosen by name only, the glyph check still applies.
_TIMES_METRICS = _Family(
    "Liberation Serif",
    (
        ("regular", "LiberationSerif-Regular.ttf"),
        ("bold", "LiberationSerif-Bold.ttf"),
        ("italic", "LiberationSerif-Italic.ttf"),
        ("bold_italic", "LiberationSerif-BoldItalic.ttf"),
    ),
)
_FONT_FAMILY: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "font_family", default=None
)
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto"),
    Path("/usr/share/fonts/google-noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
)
_FC_STYLES: dict[_Style, str] = {
    "regular": "Regular",
    "bold": "Bold",
    "italic": "Italic",
    "bold_italic": "Bold Italic",
}


def _fc_match(family: str, style: _Style, filename: str) -> Path | None:
    """Ask fontconfig, but only accept the exact file: fc-match always answers *something*."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        found = subprocess.run(  # noqa: S603 - fixed argv, fc-match from PATH
            [exe, "-f", "%{file}", f"{family}:style={_FC_STYLES[style]}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found) if found else None
    return path if path is not None and path.name == filename and path.is_file() else None


def _locate(family: _Family, style: _Style, filename: str) -> Path | None:
    for directory in _FONT_DIRS:
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    return _fc_match(family.name, style, filename)


def _glyph_pixels(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    canvas = Image.new("L", (128, 128), 0)
    ImageDraw.Draw(canvas).text((16, 16), char, font=font, fill=255)
    return canvas.tobytes()


def _missing_glyphs(path: Path, chars: str) -> str:
    """Characters the font would draw as .notdef (compared against a surely-absent code point).

    The basic layout engine is used on purpose: HarfBuzz would quietly compose ơ from o + horn
    and hide a gap that other renderers (and readers) would see.
    """
    font = ImageFont.truetype(str(path), 40, layout_engine=ImageFont.Layout.BASIC)
    notdef = _glyph_pixels(font, "\U0010fffd")
    return "".join(ch for ch in chars if _glyph_pixels(font, ch) == notdef)


@functools.cache
def _font_files(name: str | None = None) -> dict[_Style, Path]:
    """The first family (or the one named) with regular, bold and italic files covering every
    Vietnamese letter."""
    rejected: list[str] = []
    families = [f for f in (*_FAMILIES, _TIMES_METRICS) if f.name == name] if name else _FAMILIES
    for family in families:
        files: dict[_Style, Path] = {}
        for style, filename in family.files:
            path = _locate(family, style, filename)
            if path is not None:
                files[style] = path
        if not {"regular", "bold", "italic"} <= files.keys():
            continue
        gaps = {s: _missing_glyphs(p, VIETNAMESE_LETTERS) for s, p in files.items()}
        if any(gaps[s] for s in ("regular", "bold", "italic")):
            rejected.append(f"{family.name} (lacks {''.join(sorted(set(''.join(gaps.values()))))})")
            continue
        if "bold_italic" not in files or gaps["bold_italic"]:
            files["bold_italic"] = files["bold"]  # only "Nơi nhận:" uses it
        return files
    dirs = ", ".join(str(d) for d in _FONT_DIRS)
    detail = f"; rejected: {', '.join(rejected)}" if rejected else ""
    raise SampleFontError(
        "no serif font with full Vietnamese coverage found (looked for Noto Serif and DejaVu "
        f"Serif in {dirs} and via fc-match{detail}). Install the Debian package "
        "fonts-noto-core (Noto Serif) or fonts-dejavu-core (DejaVu Serif)."
    )


# Word processors do not kern by default, and kerned "T," or "V." pairs touch and confuse OCR.
# Feature switches need libraqm; the basic engine draws unkerned anyway.
_FEATURES: list[str] | None = ["-kern"] if features.check_feature("raqm") else None


def _font(style: _Style, size_px: int) -> ImageFont.FreeTypeFont:
    return _family_font(_FONT_FAMILY.get(), style, size_px)


@functools.lru_cache(maxsize=128)
def _family_font(family: str | None, style: _Style, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_files(family)[style]), size_px)


# --------------------------------------------------------------------------------------------
# Geometry (NĐ 30/2020, Phụ lục I: khổ A4, lề trên/dưới 20-25 mm, trái 30-35 mm, phải 15-20 mm)
# --------------------------------------------------------------------------------------------

_A4_MM = (210.0, 297.0)
_MARGIN_TOP_MM = 20.0
_MARGIN_BOTTOM_MM = 20.0
_MARGIN_LEFT_MM = 30.0
_MARGIN_RIGHT_MM = 15.0
_LEFT_COLUMN = 0.39  # share of the text width taken by the left header/footer column
_INDENT_MM = 12.7  # lùi đầu dòng 1-1,27 cm
_PARAGRAPH_AFTER_PT = 6.0  # khoảng cách giữa các đoạn tối thiểu 6 pt
_MIN_DPI, _MAX_DPI = 72, 1200


def _mm(value: float, dpi: int) -> int:
    return round(value * dpi / 25.4)


def _pt(value: float, dpi: int) -> int:
    return round(value * dpi / 72.0)


# --------------------------------------------------------------------------------------------
# Text layout
# --------------------------------------------------------------------------------------------

_Align = Literal["left", "center", "right", "justify"]


@dataclass(frozen=True)
class _Para:
    """A paragraph before line breaking: styled runs of text and how to set them."""

    runs: tuple[tuple[str, _Style], ...]
    size_pt: float
    align: _Align = "justify"
    indent: bool = False  # first-line indent
    before_pt: float = 0.0
    after_pt: float = 0.0
    leading: float = 1.3  # line pitch in em
    keep_with_next: bool = False  # an đề mục never ends a page


@dataclass(frozen=True)
class _Line:
    words: tuple[tuple[str, ImageFont.FreeTypeFont], ...]
    width: float  # natural width with single spaces
    space: float
    indent: int
    align: _Align
    last: bool  # last line of its paragraph: never stretched
    pitch: int
    baseline: int  # from the top of the line box

    @property
    def text(self) -> str:
        return " ".join(word for word, _ in self.words)


@dataclass(frozen=True)
class _Block:
    lines: tuple[_Line, ...]
    before: int
    after: int
    keep_with_next: bool = False

    @property
    def height(self) -> int:
        return sum(line.pitch for line in self.lines)

    @property
    def width(self) -> float:
        return max((line.width for line in self.lines), default=0.0)


def _layout(para: _Para, width: int, dpi: int) -> _Block:
    """Greedy line breaking on spaces (Vietnamese is written syllable by syllable: no hyphens)."""
    size = _pt(para.size_pt, dpi)
    regular = _font("regular", size)
    space = regular.getlength(" ", features=_FEATURES)
    ascent, descent = regular.getmetrics()
    pitch = round(size * para.leading)
    first_indent = _mm(_INDENT_MM, dpi) if para.indent else 0

    rows: list[list[tuple[str, ImageFont.FreeTypeFont]]] = [[]]
    widths = [0.0]
    for text, style in para.runs:
        font = _font(style, size)
        for word in nfc(text).split():
            word_width = font.getlength(word, features=_FEATURES)
            room = width - (first_indent if len(rows) == 1 else 0)
            grown = widths[-1] + (space if rows[-1] else 0.0) + word_width
            if rows[-1] and grown > room:
                rows.append([])
                widths.append(0.0)
                grown = word_width
            rows[-1].append((word, font))
            widths[-1] = grown
    lines = tuple(
        _Line(
            words=tuple(row),
            width=row_width,
            space=space,
            indent=first_indent if index == 0 else 0,
            align=para.align,
            last=index == len(rows) - 1,
            pitch=pitch,
            baseline=(pitch + ascent - descent) // 2,
        )
        for index, (row, row_width) in enumerate(zip(rows, widths, strict=True))
        if row
    )
    return _Block(lines, _pt(para.before_pt, dpi), _pt(para.after_pt, dpi), para.keep_with_next)


def _fitting_size(
    text: str, style: _Style, size_pt: float, min_pt: float, width: int, dpi: int
) -> float:
    """The largest size in [min_pt, size_pt] (half-point steps) at which one line fits.

    Wider fallback fonts (DejaVu) shrink the Quốc hiệu a little rather than wrap it; if even
    the minimum does not fit, the line simply wraps.
    """
    size = size_pt
    while (
        size > min_pt
        and _font(style, _pt(size, dpi)).getlength(nfc(text), features=_FEATURES) > width
    ):
        size -= 0.5
    return size


class _Canvas:
    """One page being drawn: an ink mask (255 = ink) plus the ground-truth lines."""

    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        self.width, self.height = _mm(_A4_MM[0], dpi), _mm(_A4_MM[1], dpi)
        self.left = _mm(_MARGIN_LEFT_MM, dpi)
        self.right = self.width - _mm(_MARGIN_RIGHT_MM, dpi)
        self.top = _mm(_MARGIN_TOP_MM, dpi)
        self.bottom = self.height - _mm(_MARGIN_BOTTOM_MM, dpi)
        # x where the left header/footer column ends and the right one begins
        self.split = self.left + round((self.right - self.left) * _LEFT_COLUMN)
        self.ink = Image.new("L", (self.width, self.height), 0)
        self.draw = ImageDraw.Draw(self.ink)
        self.lines: list[str] = []

    def line(self, line: _Line, x0: int, x1: int, top: int, into: list[str]) -> None:
        gap = line.space
        free = x1 - x0 - line.indent - line.width
        if line.align == "justify" and not line.last and len(line.words) > 1 and free > 0:
            gap += free / (len(line.words) - 1)
        if line.align == "center":
            x = x0 + (x1 - x0 - line.width) / 2
        elif line.align == "right":
            x = x1 - line.width
        else:
            x = float(x0 + line.indent)
        for word, font in line.words:
            position = (round(x), top + line.baseline)
            self.draw.text(position, word, font=font, fill=255, anchor="ls", features=_FEATURES)
            x += font.getlength(word, features=_FEATURES) + gap
        into.append(line.text)

    def block(
        self,
        block: _Block,
        x0: int,
        x1: int,
        top: int,
        *,
        at_top: bool = False,
        into: list[str] | None = None,
    ) -> int:
        """Draw a block from ``top`` (no space before at the top of a page); return the y after
        it, its space after included. Text goes to ``into`` (default: the page, in order)."""
        y = top + (0 if at_top else block.before)
        for line in block.lines:
            self.line(line, x0, x1, y, self.lines if into is None else into)
            y += line.pitch
        return y + block.after

    def rule(self, centre: float, length: float, y: int) -> None:
        """Đường kẻ ngang, nét liền: under the issuer, the Tiêu ngữ and the trích yếu."""
        thickness = max(1, _pt(0.6, self.dpi))
        x0 = round(centre - length / 2)
        self.draw.rectangle((x0, y, x0 + round(length), y + thickness - 1), fill=255)


# --------------------------------------------------------------------------------------------
# The document plan: every random choice is made here, from one seeded generator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Date:
    day: int
    month: int
    year: int

    def __str__(self) -> str:
        # NĐ 30: ngày dưới 10 và tháng 1, 2 ghi thêm số 0 phía trước.
        month = f"{self.month:02d}" if self.month <= 2 else str(self.month)
        return f"ngày {self.day:02d} tháng {month} năm {self.year}"

    def earlier(self, rng: random.Random) -> _Date:
        """A date some months before this one (for cited documents)."""
        if self.month > 1 and rng.random() < 0.7:
            return _Date(rng.randint(1, 28), rng.randint(1, self.month - 1), self.year)
        return _Date(rng.randint(1, 28), rng.randint(1, 12), self.year - 1)


@dataclass(frozen=True)
class _Plan:
    issuer: _Issuer
    doc_type: _DocType
    province: _Province
    number: int
    date: _Date
    subject: str
    signer: str
    signature: tuple[str, ...]  # quyền hạn, chức vụ của người ký
    recipients: tuple[str, ...]  # nơi nhận
    cited: tuple[int, _Date]  # số and ngày of the document cited in the opening line
    body_pt: float
    leading: float
    align: _Align

    def fill(self, template: str) -> str:
        """Expand {P}/{D}: caps inside caps templates, as written elsewhere."""
        province, district = self.province.name, self.province.district
        if template.isupper():
            province, district = province.upper(), district.upper()
        return template.replace("{P}", province).replace("{D}", district)

    @property
    def place(self) -> str:
        """Địa danh: the tỉnh, or the huyện for district-level issuers."""
        return self.province.district if self.issuer.district_level else self.province.name

    @property
    def reference(self) -> str:
        """Ký hiệu: number / type abbreviation - issuer abbreviation (Phụ lục III NĐ 30)."""
        return f"{self.number}/{self.doc_type.abbr}-{self.issuer.abbr}"

    @property
    def title(self) -> str:
        return f"{self.doc_type.name.capitalize()} {_lower_first(self.subject)}"

    @property
    def organ_name(self) -> str:
        """The issuer's name in normal case on one line, place names capitalised as written."""
        words = " ".join(self.issuer.name.split()).capitalize()
        return words.replace("{p}", self.province.name).replace("{d}", self.province.district)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _plan(rng: random.Random) -> _Plan:
    issuer = rng.choice(_ISSUERS)
    doc_type = rng.choice(_DOC_TYPES)
    province = rng.choice(_PROVINCES)
    # From 2021 on: laid out per NĐ 30/2020 (in force 05/3/2020).
    # Báo cáo and thông báo about a year's work come out in its second half.
    first_month = 6 if doc_type.kind in ("report", "notice") else 1
    date = _Date(rng.randint(1, 28), rng.randint(first_month, 12), rng.randint(2021, 2024))
    subject = rng.choice(doc_type.subjects).format(
        year=date.year, next=date.year + 1, after=date.year + 3
    )
    middles, givens = rng.choice(_NAMES)
    signer = f"{rng.choice(_FAMILY)} {rng.choice(middles)} {rng.choice(givens)}"
    deputy = rng.random() < 0.5  # ký thay (KT.) by a cấp phó, or the head signs himself
    signature: tuple[str, ...]
    if doc_type.kind == "decision" or issuer.collective is None:
        signature = (f"KT. {issuer.head}", issuer.deputy) if deputy else (issuer.head,)
    elif deputy:
        signature = (f"TM. {issuer.collective}", f"KT. {issuer.head}", issuer.deputy)
    else:
        signature = (f"TM. {issuer.collective}", issuer.head)
    count = rng.randint(2, min(4, len(issuer.recipients)))
    recipients = tuple(rng.sample(issuer.recipients, count))
    if doc_type.kind == "submission":
        recipients = ("Như trên;", *recipients)
    return _Plan(
        issuer=issuer,
        doc_type=doc_type,
        province=province,
        number=rng.randint(3, 2500 if doc_type.kind == "decision" else 400),
        date=date,
        subject=subject,
        signer=signer,
        signature=signature,
        recipients=(*recipients, "Lưu: VT, VP."),
        cited=(rng.randint(100, 4999), date.earlier(rng)),
        body_pt=rng.choice((13.0, 14.0)),
        leading=rng.choice((1.4, 1.5)),
        align="justify" if rng.random() < 0.75 else "left",
    )


class _Deck:
    """Corpus sentences dealt without repetition until the deck runs out, then reshuffled."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._cards: list[str] = []

    def deal(self, count: int) -> str:
        taken: list[str] = []
        for _ in range(count):
            if not self._cards:
                self._cards = list(CORPUS)
                self._rng.shuffle(self._cards)
            taken.append(self._cards.pop())
        return " ".join(taken)


def _body(rng: random.Random, plan: _Plan) -> Iterator[_Para]:
    """An endless stream of body paragraphs; the pages take what they need."""
    deck = _Deck(rng)

    def paragraph(*runs: tuple[str, _Style]) -> _Para:
        return _Para(
            runs,
            plan.body_pt,
            plan.align,
            indent=True,
            after_pt=_PARAGRAPH_AFTER_PT,
            leading=plan.leading,
        )

    if plan.doc_type.kind == "decision":  # Điều 1., Điều 2., ... each of one to three đoạn
        for article in itertools.count(1):
            yield paragraph((f"Điều {article}.", "bold"), (deck.deal(rng.randint(1, 3)), "regular"))
            for _ in range(rng.randint(0, 2)):
                yield paragraph((deck.deal(rng.randint(1, 3)), "regular"))

    issuer, subject = plan.issuer.short, _lower_first(plan.subject)
    number, cited = plan.cited
    lead = (
        f"Thực hiện Công văn số {number}/BNV-VTLTNN {cited} của Bộ Nội vụ về hướng dẫn công "
        f"tác văn thư, lưu trữ năm {plan.date.year}"
    )
    intro = {
        "plan": f"{lead}, {issuer} ban hành {plan.doc_type.name.lower()} {subject} như sau:",
        "report": f"{lead}, {issuer} báo cáo {subject} như sau:",
        "notice": f"{lead}, {issuer} thông báo {subject} như sau:",
        "submission": f"{issuer} kính trình {plan.fill(plan.issuer.superior)} xem xét, "
        "quyết định các nội dung sau:",
        "decision": "",
    }[plan.doc_type.kind]
    yield paragraph((intro, "regular"))

    extras = list(_EXTRA_SECTIONS)
    rng.shuffle(extras)
    headings = [h.format(next=plan.date.year + 1) for h in plan.doc_type.sections] + extras
    for number, heading in enumerate(itertools.cycle(headings), start=1):
        yield _Para(
            ((f"{number}. {heading}", "bold"),),
            plan.body_pt,
            "left",
            indent=True,
            after_pt=_PARAGRAPH_AFTER_PT / 2,
            leading=plan.leading,
            keep_with_next=True,
        )
        for _ in range(rng.randint(1, 3)):
            yield paragraph((deck.deal(rng.randint(2, 4)), "regular"))


def _preamble(plan: _Plan) -> list[_Para]:
    """Between trích yếu and body: kính gửi (tờ trình); người ban hành and căn cứ (quyết định)."""
    size, issuer = plan.body_pt, plan.issuer
    if plan.doc_type.kind == "submission":
        recipient = plan.fill(issuer.superior)
        return [_Para(((f"Kính gửi: {recipient}.", "regular"),), size, "center", after_pt=8)]
    if plan.doc_type.kind != "decision":
        return []
    if issuer.collective is not None:
        level = "HUYỆN {D}" if issuer.district_level else "TỈNH {P}"
        decider = plan.fill(f"{issuer.head} {issuer.collective} {level}")
        grounds = ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;"]
    else:
        decider = f"{issuer.head} {issuer.name.replace(chr(10), ' ')}"
        number, cited = plan.cited
        grounds = [
            f"Căn cứ Quyết định số {number}/QĐ-UBND {cited} của Ủy ban nhân dân tỉnh "
            f"{plan.province.name} quy định chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức "
            f"của {issuer.short};"
        ]
    grounds += [
        "Căn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011;",
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác "
        "văn thư;",
        f"Theo đề nghị của {issuer.proposer}.",
    ]
    italic = [  # căn cứ ban hành: in thường, nghiêng
        _Para(((g, "italic"),), size, plan.align, indent=True, after_pt=3, leading=plan.leading)
        for g in grounds
    ]
    return [
        _Para(((decider, "bold"),), size, "center", after_pt=8),
        *italic,
        _Para((("QUYẾT ĐỊNH:", "bold"),), size, "center", before_pt=6, after_pt=8),
    ]


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


class _Queue:
    """Body blocks laid out on demand; a block cut by a page break goes back to the front."""

    def __init__(self, paras: Iterator[_Para], width: int, dpi: int) -> None:
        self._paras, self._width, self._dpi = paras, width, dpi
        self._blocks: list[_Block] = []

    def peek(self, index: int = 0) -> _Block:
        while len(self._blocks) <= index:
            self._blocks.append(_layout(next(self._paras), self._width, self._dpi))
        return self._blocks[index]

    def pop(self) -> _Block:
        self.peek()
        return self._blocks.pop(0)

    def push_front(self, block: _Block) -> None:
        self._blocks.insert(0, block)


def _fill(
    canvas: _Canvas, queue: _Queue, top: int, limit: int, *, split: bool, target: int | None = None
) -> int:
    """Flow body blocks into [top, limit); return where the text ended.

    ``split`` lets a paragraph run on to the next page (at least 2 lines each side); without it
    only whole paragraphs are placed. ``target`` ends the page at the first paragraph boundary
    past it, so the last page is not always full.
    """
    y, empty, heading_pending = top, True, False
    while True:
        if target is not None and y >= target and not empty and not heading_pending:
            return y
        block = queue.peek()
        before = 0 if empty else block.before
        need = before + block.height
        if block.keep_with_next:  # the đề mục travels with (the start of) its paragraph
            follower = queue.peek(1)
            rows = min(2, len(follower.lines)) if split else len(follower.lines)
            if y + need + follower.before + rows * follower.lines[0].pitch > limit:
                return y
        if y + need <= limit:
            y = canvas.block(queue.pop(), canvas.left, canvas.right, y, at_top=empty)
            empty, heading_pending = False, block.keep_with_next
            continue
        if not (split or empty) or block.keep_with_next:
            return y
        fits = (limit - y - before) // block.lines[0].pitch
        fits = min(fits, len(block.lines) - 2)  # no widow line on the next page
        if fits < (1 if empty else 2):
            return y
        queue.pop()
        head = replace(block, lines=block.lines[:fits], after=0)
        queue.push_front(replace(block, lines=block.lines[fits:], before=0))
        return canvas.block(head, canvas.left, canvas.right, y, at_top=empty)


def _header(canvas: _Canvas, plan: _Plan) -> int:
    """Draw the two-column header (ô 1-4 of Phụ lục I); return the y below it.

    Ground truth reads the left column (cơ quan, số) before the right one (Quốc hiệu, ngày).
    """
    dpi = canvas.dpi
    gutter = _mm(3, dpi)
    l0, l1, r0, r1 = canvas.left, canvas.split - gutter, canvas.split + gutter, canvas.right

    def centred(text: str, style: _Style, size: float, min_size: float, width: int) -> _Block:
        fitted = _fitting_size(text, style, size, min_size, width, dpi)
        return _layout(_Para(((text, style),), fitted, "center"), width, dpi)

    # Left: cơ quan chủ quản (in hoa), cơ quan ban hành (in hoa, đậm), a rule 1/3-1/2 as long.
    y = canvas.top
    if plan.issuer.governing is not None:
        governing = centred(plan.fill(plan.issuer.governing), "regular", 13, 12, l1 - l0)
        y = canvas.block(governing, l0, l1, y)
    issuer_width = 0.0
    for part in plan.fill(plan.issuer.name).split("\n"):
        issuer = centred(part, "bold", 13, 12, l1 - l0)
        issuer_width = max(issuer_width, issuer.width)
        y = canvas.block(issuer, l0, l1, y)
    canvas.rule((l0 + l1) / 2, issuer_width * 0.45, y + _pt(3, dpi))
    left_y = y + _pt(10, dpi)

    # Right: Quốc hiệu (in hoa, đậm), Tiêu ngữ (đậm) with a rule as long as itself.
    right: list[str] = []
    nation = centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold", 12.5, 10.5, r1 - r0)
    y = canvas.block(nation, r0, r1, canvas.top, into=right)
    motto = centred("Độc lập - Tự do - Hạnh phúc", "bold", 13, 11, r1 - r0)
    y = canvas.block(motto, r0, r1, y, into=right)
    canvas.rule((r0 + r1) / 2, motto.width, y + _pt(3, dpi))
    right_y = y + _pt(10, dpi)

    # Số, ký hiệu (left) and địa danh, ngày tháng (in nghiêng, right) share one row.
    row = max(left_y, right_y)
    number = centred(f"Số: {plan.reference}", "regular", 13, 11, l1 - l0)
    dated = centred(f"{plan.place}, {plan.date}", "italic", 13, 11, r1 - r0)
    bottom = max(
        canvas.block(number, l0, l1, row),
        canvas.block(dated, r0, r1, row, into=right),
    )
    canvas.lines.extend(right)
    return bottom


def _title(canvas: _Canvas, plan: _Plan, top: int) -> int:
    """Tên loại (in hoa, đậm) and trích yếu (đậm), centred, a short rule; then the preamble."""
    dpi, width = canvas.dpi, canvas.right - canvas.left
    size = max(plan.body_pt, 13.0)
    kind = _layout(_Para(((plan.doc_type.name, "bold"),), size, "center"), width, dpi)
    y = canvas.block(kind, canvas.left, canvas.right, top + _pt(16, dpi))
    inset = _mm(15, dpi)  # trích yếu is set narrower than the body
    summary = _layout(_Para(((plan.subject, "bold"),), size, "center"), width - 2 * inset, dpi)
    y = canvas.block(summary, canvas.left + inset, canvas.right - inset, y)
    canvas.rule((canvas.left + canvas.right) / 2, summary.width * 0.4, y + _pt(3, dpi))
    y += _pt(14, dpi)
    for para in _preamble(plan):
        y = canvas.block(_layout(para, width, dpi), canvas.left, canvas.right, y)
    return y


def _first_page(canvas: _Canvas, plan: _Plan, queue: _Queue) -> None:
    """Header, title, as much body as fits, then nơi nhận and chữ ký at the foot."""
    dpi = canvas.dpi
    y = _title(canvas, plan, _header(canvas, plan))

    width_l, width_r = canvas.split - canvas.left, canvas.right - canvas.split
    # Nơi nhận: in nghiêng, đậm, cỡ 12; the list in thường, cỡ 11.
    left = [_layout(_Para((("Nơi nhận:", "bold_italic"),), 12, "left"), width_l, dpi)] + [
        _layout(_Para(((f"- {r}", "regular"),), 11, "left", leading=1.25), width_l, dpi)
        for r in plan.recipients
    ]
    # Quyền hạn, chức vụ: in hoa, đậm; họ tên: đậm; room for chữ ký and con dấu between.
    right = [_layout(_Para(((s, "bold"),), 13, "center"), width_r, dpi) for s in plan.signature]
    name = _layout(_Para(((plan.signer, "bold"),), 13, "center"), width_r, dpi)
    signature_gap = _mm(24, dpi)
    footer = max(
        sum(b.height for b in left),
        sum(b.height for b in right) + signature_gap + name.height,
    )

    gap = _pt(plan.body_pt, dpi)
    y = _fill(canvas, queue, y, canvas.bottom - footer - gap, split=False) + gap
    top = y
    for block in left:
        top = canvas.block(block, canvas.left, canvas.split, top)
    top = y
    for block in right:
        top = canvas.block(block, canvas.split, canvas.right, top)
    canvas.block(name, canvas.split, canvas.right, top + signature_gap)


def _next_page(
    canvas: _Canvas, plan: _Plan, queue: _Queue, sequence: int, *, last_fraction: float | None
) -> None:
    """Body continuation; the last page stops at a paragraph end past ``last_fraction``."""
    # NĐ 30: số trang canh giữa trong phần lề trên, không hiển thị ở trang thứ nhất.
    number = _layout(
        _Para(((str(sequence), "regular"),), 13, "center"), canvas.right - canvas.left, canvas.dpi
    )
    canvas.block(number, canvas.left, canvas.right, round(canvas.top * 0.3))
    if last_fraction is None:
        _fill(canvas, queue, canvas.top, canvas.bottom, split=True)
    else:
        target = canvas.top + round(last_fraction * (canvas.bottom - canvas.top))
        _fill(canvas, queue, canvas.top, canvas.bottom, split=False, target=target)


def _scan_look(ink: Image.Image, seed: int, sequence: int, dpi: int) -> Image.Image:
    """Composite the ink on slightly uneven off-white paper with mild grain (greyscale "L")."""
    rng = np.random.default_rng([abs(seed), int(seed < 0), sequence])
    alpha = np.asarray(ink, dtype=np.float32) / np.float32(255.0)
    paper = np.float32(rng.uniform(232.0, 242.0))
    ink_level = np.float32(rng.uniform(18.0, 40.0))
    coarse = Image.fromarray(rng.normal(0.0, 2.0, (11, 8)).astype(np.float32))
    shading = np.asarray(coarse.resize(ink.size, Image.Resampling.BILINEAR), dtype=np.float32)
    page = (paper + shading) * (1.0 - alpha) + ink_level * alpha
    page += rng.standard_normal(page.shape, dtype=np.float32) * np.float32(2.0)
    image = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    image.info["dpi"] = (dpi, dpi)
    return image


def render_document(
    seed: int, *, pages: int = 3, dpi: int = 300, family: str | None = None
) -> SampleDocument:
    """Render a văn bản of ``pages`` A4 pages at ``dpi``; the same seed gives the same pixels.

    ``family`` names a font family (e.g. "Liberation Serif"); default: the first one found.
    """
    token = _FONT_FAMILY.set(family)
    try:
        return _render_document(seed, pages=pages, dpi=dpi)
    finally:
        _FONT_FAMILY.reset(token)


def _render_document(seed: int, *, pages: int, dpi: int) -> SampleDocument:
    if pages < 1:
        raise ValueError(f"pages must be at least 1, not {pages}")
    if not _MIN_DPI <= dpi <= _MAX_DPI:
        raise ValueError(f"dpi must be within {_MIN_DPI}-{_MAX_DPI}, not {dpi}")
    rng = random.Random(seed)  # noqa: S311 - reproducible sample content, not secrets
    plan = _plan(rng)
    last_fraction = rng.uniform(0.5, 0.9)
    # the same rounding as _Canvas: body lines are broken for exactly the width they get
    text_width = _mm(_A4_MM[0], dpi) - _mm(_MARGIN_RIGHT_MM, dpi) - _mm(_MARGIN_LEFT_MM, dpi)
    queue = _Queue(_body(rng, plan), text_width, dpi)
    rendered: list[SamplePage] = []
    for sequence in range(1, pages + 1):
        canvas = _Canvas(dpi)
        if sequence == 1:
            _first_page(canvas, plan, queue)
        else:
            fraction = last_fraction if sequence == pages else None
            _next_page(canvas, plan, queue, sequence, last_fraction=fraction)
        image = _scan_look(canvas.ink, seed, sequence, dpi)
        rendered.append(SamplePage(sequence, nfc("\n".join(canvas.lines)), image))
    facts = SampleFacts(
        code_number=str(plan.number),
        code_notation=nfc(f"{plan.doc_type.abbr}-{plan.issuer.abbr}"),
        type_label=nfc(plan.doc_type.name.capitalize()),
        issued_date=f"{plan.date.day:02d}/{plan.date.month:02d}/{plan.date.year}",
        issued_place=nfc(plan.place),
        organ_name=nfc(plan.organ_name),
        subject=nfc(plan.subject),
        signer_name=nfc(plan.signer),
    )
    return SampleDocument(title=nfc(plan.title), pages=tuple(rendered), facts=facts)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

_FORMATS = {
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    "png": "PNG",
    "tif": "TIFF",
    "tiff": "TIFF",
    "jpg": "JPEG",
    "jpeg": "JPEG",
}


def _dpi_of(image: Image.Image) -> tuple[float, float]:
    dpi = image.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2:
        return float(dpi[0]), float(dpi[1])
    raise ValueError("image has no dpi in info['dpi']; render it with render_document")


def save_page(page: SamplePage, path: Path, *, format: str | None = None) -> Path:
    """Write the page as PNG, TIFF (lossless deflate) or JPEG (quality 90), keeping its dpi."""
    key = (format or path.suffix).lower()
    kind = _FORMATS.get(key)
    if kind is None:
        raise ValueError(f"unsupported image format {key!r}; use .png, .tif/.tiff or .jpg/.jpeg")
    dpi = _dpi_of(page.image)
    if kind == "PNG":
        page.image.save(path, "PNG", dpi=dpi)
    elif kind == "TIFF":
        page.image.save(path, "TIFF", dpi=dpi, compression="tiff_adobe_deflate")
    else:
        page.image.save(path, "JPEG", dpi=dpi, quality=90)
    return path


def write_sample_file(
    directory: Path, seed: int, *, pages: int = 3, dpi: int = 300, suffix: str = ".png"
) -> tuple[SampleDocument, list[Path]]:
    """Write page-0001.<suffix>, ... with page-0001.txt ground truth beside each; return images."""
    if suffix.lower() not in (".png", ".tif", ".tiff", ".jpg", ".jpeg"):
        raise ValueError(f"unsupported suffix {suffix!r}; use .png, .tif/.tiff or .jpg/.jpeg")
    document = render_document(seed, pages=pages, dpi=dpi)
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for page in document.pages:
        stem = f"page-{page.sequence:04d}"
        paths.append(save_page(page, directory / f"{stem}{suffix}"))
        (directory / f"{stem}.txt").write_text(page.text + "\n", encoding="utf-8")
    return document, paths


# --------------------------------------------------------------------------------------------
# Degradation: the simple knobs; the OCR work extends this
# --------------------------------------------------------------------------------------------


def degrade(
    image: Image.Image,
    *,
    seed: int,
    skew_degrees: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """A worse scan of ``image``: skewed (degrees, counter-clockwise), Gaussian grain (std dev
    in grey levels), blurred (radius in px) and/or JPEG-recompressed. Size and dpi are kept."""
    dpi = image.info.get("dpi")
    out = image.copy()
    if skew_degrees:
        grey = np.asarray(out.convert("L"))
        paper = int(np.percentile(grey, 90))
        fill: int | tuple[int, ...] = paper if out.mode == "L" else (paper,) * len(out.getbands())
        out = out.rotate(
            skew_degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill
        )
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise > 0:
        rng = np.random.default_rng([abs(seed), int(seed < 0)])
        pixels = np.asarray(out, dtype=np.float32)
        pixels = pixels + rng.standard_normal(pixels.shape, dtype=np.float32) * noise
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode=out.mode)
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        out.save(buffer, "JPEG", quality=jpeg_quality)
        buffer.seek(0)
        with Image.open(buffer) as reopened:
            out = reopened.copy()
    out.info = {"dpi": dpi} if dpi is not None else {}
    return out
