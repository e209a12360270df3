"""Page texts the project writes itself for the biên mục extractor: first pages of every common
type (NĐ 30/2020 layout), công văn, normative acts, Party and pre-1975 headers, continuation
and signature pages, each with what it prints written out literally; and the damage real OCR
does to them (lost or wrong diacritics, ``ngảy``, spaces in the ký hiệu, a seal over the title,
lines read in another order), applied by simple rules that know nothing of the extractor."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

NONE: dict[str, str] = {}


@dataclass(frozen=True)
class PageCase:
    name: str
    text: str
    expected: dict[str, str | None]  # field → value printed on this page (absent: null)
    starts_document: bool = True
    tags: tuple[str, ...] = field(default=())


_MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"


def _first(
    name: str,
    issuer: str,
    number: str,
    dated: str,
    body: str,
    expected: dict[str, str | None],
    *,
    motto: str = _MOTTO,
    tags: tuple[str, ...] = (),
) -> PageCase:
    text = f"{issuer}\n{number}\n{motto}\n{dated}\n{body}"
    return PageCase(name, text, expected, True, tags)


CASES: tuple[PageCase, ...] = (
    _first(
        "ke-hoach-ubnd-tinh",
        "ỦY BAN NHÂN DÂN\nTỈNH TRÀ VINH",
        "Số: 115/KH-UBND",
        "Trà Vinh, ngày 14 tháng 12 năm 2023",
        "KẾ HOẠCH\nTriển khai thực hiện Quyết định số 71/QĐ-TTg ngày 10/02/2023\ncủa Thủ tướng "
        "Chính phủ về bảo hiểm tài liệu lưu trữ\nCăn cứ Luật Lưu trữ ngày 11 tháng 11 năm 2011;",
        {
            "codeNumber": "115",
            "codeNotation": "KH-UBND",
            "issuedDate": "14/12/2023",
            "issuedPlace": "Trà Vinh",
            "typeName": "10",
            "organName": "Ủy ban nhân dân tỉnh Trà Vinh",
            "subject": "Triển khai thực hiện Quyết định số 71/QĐ-TTg ngày 10/02/2023 của Thủ tướng "
            "Chính phủ về bảo hiểm tài liệu lưu trữ",
        },
    ),
    _first(
        "quyet-dinh-so-noi-vu",
        "UBND TỈNH VĨNH LONG\nSỞ NỘI VỤ",
        "Số: 103/QĐ-SNV",
        "Vĩnh Long, ngày 05 tháng 3 năm 2026",
        "QUYẾT ĐỊNH\nVề việc phê duyệt danh mục hồ sơ lập lưu trữ dự phòng\nGIÁM ĐỐC SỞ NỘI VỤ\n"
        "Căn cứ Luật Lưu trữ số 33/2024/QH15;",
        {
            "codeNumber": "103",
            "codeNotation": "QĐ-SNV",
            "issuedDate": "05/03/2026",
            "issuedPlace": "Vĩnh Long",
            "typeName": "02",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Vĩnh Long",
            "subject": "Về việc phê duyệt danh mục hồ sơ lập lưu trữ dự phòng",
        },
    ),
    _first(
        "cong-van-cuc",
        "BỘ NỘI VỤ\nCỤC VĂN THƯ VÀ LƯU TRỮ\nNHÀ NƯỚC",
        "Số: 446/VTLTNN-QLI\nV/v hướng dẫn thực hiện bảo hiểm\ntài liệu lưu trữ quốc gia",
        "Hà Nội, ngày 11 tháng 5 năm 2023",
        "Kính gửi: Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương\n"
        "Thực hiện Quyết định số 71/QĐ-TTg ngày 10 tháng 02 năm 2023 của Thủ tướng Chính phủ,",
        {
            "codeNumber": "446",
            "codeNotation": "VTLTNN-QLI",
            "issuedDate": "11/05/2023",
            "issuedPlace": "Hà Nội",
            "typeName": "22",
            "organName": "Cục Văn thư và Lưu trữ nhà nước",
            "parentOrganName": "Bộ Nội vụ",
            "subject": "V/v hướng dẫn thực hiện bảo hiểm tài liệu lưu trữ quốc gia",
        },
    ),
    _first(
        "bao-cao-so-tttt",
        "UBND TỈNH KON TUM\nSỞ THÔNG TIN\nVÀ TRUYỀN THÔNG",
        "Số: 161/BC-STTTT",
        "Kon Tum, ngày 19 tháng 8 năm 2022",
        "BÁO CÁO\nKết quả chỉnh lý tài liệu tồn đọng năm 2022\nThực hiện Kế hoạch số 12/KH-STTTT,",
        {
            "codeNumber": "161",
            "codeNotation": "BC-STTTT",
            "issuedDate": "19/08/2022",
            "issuedPlace": "Kon Tum",
            "typeName": "14",
            "organName": "Sở Thông tin và Truyền thông",
            "parentOrganName": "UBND tỉnh Kon Tum",
            "subject": "Kết quả chỉnh lý tài liệu tồn đọng năm 2022",
        },
    ),
    _first(
        "to-trinh",
        "UBND TỈNH BẾN TRE\nSỞ NỘI VỤ",
        "Số: 277/TTr-SNV",
        "Bến Tre, ngày 24 tháng 7 năm 2024",
        "TỜ TRÌNH\nVề việc phê duyệt Đề án số hóa tài liệu lưu trữ\ngiai đoạn 2025 - 2027\n"
        "Kính gửi: Ủy ban nhân dân tỉnh Bến Tre.",
        {
            "codeNumber": "277",
            "codeNotation": "TTr-SNV",
            "issuedDate": "24/07/2024",
            "issuedPlace": "Bến Tre",
            "typeName": "15",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Bến Tre",
            "subject": "Về việc phê duyệt Đề án số hóa tài liệu lưu trữ giai đoạn 2025 - 2027",
        },
    ),
    _first(
        "thong-bao",
        "ỦY BAN NHÂN DÂN\nHUYỆN CẦU KÈ",
        "Số: 38/TB-UBND",
        "Cầu Kè, ngày 02 tháng 02 năm 2021",
        "THÔNG BÁO\nKết luận của Chủ tịch Ủy ban nhân dân huyện tại buổi làm việc\n"
        "Ngày 28 tháng 01 năm 2021, Chủ tịch Ủy ban nhân dân huyện đã chủ trì",
        {
            "codeNumber": "38",
            "codeNotation": "TB-UBND",
            "issuedDate": "02/02/2021",
            "issuedPlace": "Cầu Kè",
            "typeName": "07",
            "organName": "Ủy ban nhân dân huyện Cầu Kè",
            "subject": "Kết luận của Chủ tịch Ủy ban nhân dân huyện tại buổi làm việc",
        },
    ),
    _first(
        "bien-ban",
        "SỞ NỘI VỤ TỈNH TRÀ VINH\nTRUNG TÂM LƯU TRỮ LỊCH SỬ",
        "Số: 09/BB-TTLTLS",
        "Trà Vinh, ngày 30 tháng 6 năm 2025",
        "BIÊN BẢN\nGiao nhận tài liệu lưu trữ\nHôm nay, vào lúc 8 giờ 30 phút,",
        {
            "codeNumber": "09",
            "codeNotation": "BB-TTLTLS",
            "issuedDate": "30/06/2025",
            "issuedPlace": "Trà Vinh",
            "typeName": "20",
            "organName": "Trung tâm Lưu trữ lịch sử",
            "parentOrganName": "Sở Nội vụ tỉnh Trà Vinh",
            "subject": "Giao nhận tài liệu lưu trữ",
        },
    ),
    _first(
        "huong-dan",
        "UBND TỈNH ĐỒNG THÁP\nSỞ NỘI VỤ",
        "Số: 12/HD-SNV",
        "Đồng Tháp, ngày 18 tháng 4 năm 2024",
        "HƯỚNG DẪN\nLập danh mục hồ sơ, tài liệu có giá trị đặc biệt\nI. MỤC ĐÍCH, YÊU CẦU",
        {
            "codeNumber": "12",
            "codeNotation": "HD-SNV",
            "issuedDate": "18/04/2024",
            "issuedPlace": "Đồng Tháp",
            "typeName": "08",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Đồng Tháp",
            "subject": "Lập danh mục hồ sơ, tài liệu có giá trị đặc biệt",
        },
    ),
    _first(
        "chi-thi",
        "ỦY BAN NHÂN DÂN\nTỈNH SÓC TRĂNG",
        "Số: 03/CT-UBND",
        "Sóc Trăng, ngày 09 tháng 01 năm 2025",
        "CHỈ THỊ\nVề tăng cường công tác văn thư, lưu trữ trên địa bàn tỉnh\n"
        "Trong những năm qua, công tác văn thư, lưu trữ",
        {
            "codeNumber": "03",
            "codeNotation": "CT-UBND",
            "issuedDate": "09/01/2025",
            "issuedPlace": "Sóc Trăng",
            "typeName": "03",
            "organName": "Ủy ban nhân dân tỉnh Sóc Trăng",
            "subject": "Về tăng cường công tác văn thư, lưu trữ trên địa bàn tỉnh",
        },
    ),
    _first(
        "nghi-quyet-hdnd",
        "HỘI ĐỒNG NHÂN DÂN\nTỈNH AN GIANG",
        "Số: 27/NQ-HĐND",
        "An Giang, ngày 08 tháng 12 năm 2023",
        "NGHỊ QUYẾT\nVề kế hoạch đầu tư công năm 2024\nHỘI ĐỒNG NHÂN DÂN TỈNH AN GIANG\n"
        "KHÓA X, KỲ HỌP THỨ 15",
        {
            "codeNumber": "27",
            "codeNotation": "NQ-HĐND",
            "issuedDate": "08/12/2023",
            "issuedPlace": "An Giang",
            "typeName": "01",
            "organName": "Hội đồng nhân dân tỉnh An Giang",
            "subject": "Về kế hoạch đầu tư công năm 2024",
        },
    ),
    _first(
        "quyet-dinh-qppl-co-nam",
        "ỦY BAN NHÂN DÂN\nTỈNH TRÀ VINH",
        "Số: 05/2010/QĐ-UBND",
        "Trà Vinh, ngày 21 tháng 5 năm 2010",
        "QUYẾT ĐỊNH\nBan hành Quy chế công tác văn thư, lưu trữ\nỦY BAN NHÂN DÂN TỈNH TRÀ VINH\n"
        "Căn cứ Luật Tổ chức Hội đồng nhân dân và Ủy ban nhân dân ngày 26/11/2003;",
        {
            "codeNumber": "05",
            "codeNotation": "2010/QĐ-UBND",
            "issuedDate": "21/05/2010",
            "issuedPlace": "Trà Vinh",
            "typeName": "02",
            "organName": "Ủy ban nhân dân tỉnh Trà Vinh",
            "subject": "Ban hành Quy chế công tác văn thư, lưu trữ",
        },
    ),
    _first(
        "nghi-dinh",
        "CHÍNH PHỦ",
        "Số: 113/2025/NĐ-CP",
        "Hà Nội, ngày 03 tháng 6 năm 2025",
        "NGHỊ ĐỊNH\nQuy định chi tiết một số điều của Luật Lưu trữ\nCăn cứ Luật Tổ chức Chính phủ;",
        {
            "codeNumber": "113",
            "codeNotation": "2025/NĐ-CP",
            "issuedDate": "03/06/2025",
            "issuedPlace": "Hà Nội",
            "typeName": "32",
            "organName": "Chính phủ",
            "subject": "Quy định chi tiết một số điều của Luật Lưu trữ",
        },
        tags=("normative",),
    ),
    _first(
        "thong-tu",
        "BỘ NỘI VỤ",
        "Số: 05/2025/TT-BNV",
        "Hà Nội, ngày 14 tháng 5 năm 2025",
        "THÔNG TƯ\nQuy định nghiệp vụ lưu trữ tài liệu lưu trữ số\n"
        "Căn cứ Luật Lưu trữ ngày 21/6/2024;",
        {
            "codeNumber": "05",
            "codeNotation": "2025/TT-BNV",
            "issuedDate": "14/05/2025",
            "issuedPlace": "Hà Nội",
            "typeName": "32",
            "organName": "Bộ Nội vụ",
            "subject": "Quy định nghiệp vụ lưu trữ tài liệu lưu trữ số",
        },
        tags=("normative",),
    ),
    _first(
        "giay-moi",
        "UBND HUYỆN CHÂU THÀNH\nVĂN PHÒNG HĐND VÀ UBND",
        "Số: 52/GM-VP",
        "Châu Thành, ngày 15 tháng 11 năm 2024",
        "GIẤY MỜI\nDự họp triển khai công tác chỉnh lý tài liệu\n"
        "Văn phòng HĐND và UBND huyện trân trọng",
        {
            "codeNumber": "52",
            "codeNotation": "GM-VP",
            "issuedDate": "15/11/2024",
            "issuedPlace": "Châu Thành",
            "typeName": "26",
            "organName": "Văn phòng HĐND và UBND",
            "parentOrganName": "UBND huyện Châu Thành",
            "subject": "Dự họp triển khai công tác chỉnh lý tài liệu",
        },
    ),
    _first(
        "cong-dien",
        "ỦY BAN NHÂN DÂN\nTỈNH CÀ MAU",
        "Số: 07/CĐ-UBND",
        "Cà Mau, ngày 20 tháng 9 năm 2024",
        "CÔNG ĐIỆN\nVề việc chủ động bảo vệ kho lưu trữ trước bão số 4\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH điện:",
        {
            "codeNumber": "07",
            "codeNotation": "CĐ-UBND",
            "issuedDate": "20/09/2024",
            "issuedPlace": "Cà Mau",
            "typeName": "23",
            "organName": "Ủy ban nhân dân tỉnh Cà Mau",
            "subject": "Về việc chủ động bảo vệ kho lưu trữ trước bão số 4",
        },
    ),
    _first(
        "hop-dong",
        "SỞ NỘI VỤ TỈNH HẬU GIANG\nTRUNG TÂM LƯU TRỮ LỊCH SỬ",
        "Số: 14/HĐ-TTLT",
        "Hậu Giang, ngày 02 tháng 4 năm 2025",
        "HỢP ĐỒNG\nDịch vụ chỉnh lý và số hóa tài liệu lưu trữ\nCăn cứ Bộ luật Dân sự năm 2015;",
        {
            "codeNumber": "14",
            "codeNotation": "HĐ-TTLT",
            "issuedDate": "02/04/2025",
            "issuedPlace": "Hậu Giang",
            "typeName": "21",
            "organName": "Trung tâm Lưu trữ lịch sử",
            "parentOrganName": "Sở Nội vụ tỉnh Hậu Giang",
            "subject": "Dịch vụ chỉnh lý và số hóa tài liệu lưu trữ",
        },
    ),
    _first(
        "phuong-an",
        "UBND TỈNH BẠC LIÊU\nSỞ NỘI VỤ",
        "Số: 04/PA-SNV",
        "Bạc Liêu, ngày 12 tháng 3 năm 2024",
        "PHƯƠNG ÁN\nChỉnh lý tài liệu tồn đọng của các cơ quan, tổ chức\n"
        "I. CĂN CỨ XÂY DỰNG PHƯƠNG ÁN",
        {
            "codeNumber": "04",
            "codeNotation": "PA-SNV",
            "issuedDate": "12/03/2024",
            "issuedPlace": "Bạc Liêu",
            "typeName": "11",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Bạc Liêu",
            "subject": "Chỉnh lý tài liệu tồn đọng của các cơ quan, tổ chức",
        },
    ),
    _first(
        "de-an",
        "ỦY BAN NHÂN DÂN\nTỈNH KIÊN GIANG",
        "Số: 01/ĐA-UBND",
        "Kiên Giang, ngày 27 tháng 6 năm 2023",
        "ĐỀ ÁN\nSố hóa tài liệu lưu trữ lịch sử của tỉnh giai đoạn 2023 - 2030\nPhần thứ nhất",
        {
            "codeNumber": "01",
            "codeNotation": "ĐA-UBND",
            "issuedDate": "27/06/2023",
            "issuedPlace": "Kiên Giang",
            "typeName": "12",
            "organName": "Ủy ban nhân dân tỉnh Kiên Giang",
            "subject": "Số hóa tài liệu lưu trữ lịch sử của tỉnh giai đoạn 2023 - 2030",
        },
    ),
    _first(
        "chuong-trinh",
        "UBND TỈNH LONG AN\nSỞ NỘI VỤ",
        "Số: 02/CTr-SNV",
        "Long An, ngày 10 tháng 01 năm 2024",
        "CHƯƠNG TRÌNH\nCông tác văn thư, lưu trữ năm 2024\nI. MỤC TIÊU",
        {
            "codeNumber": "02",
            "codeNotation": "CTr-SNV",
            "issuedDate": "10/01/2024",
            "issuedPlace": "Long An",
            "typeName": "09",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Long An",
            "subject": "Công tác văn thư, lưu trữ năm 2024",
        },
    ),
    _first(
        "giay-gioi-thieu",
        "UBND TỈNH TIỀN GIANG\nSỞ NỘI VỤ",
        "Số: 31/GGT-SNV",
        "Tiền Giang, ngày 06 tháng 8 năm 2024",
        "GIẤY GIỚI THIỆU\nSở Nội vụ tỉnh Tiền Giang trân trọng giới thiệu:",
        {
            "codeNumber": "31",
            "codeNotation": "GGT-SNV",
            "issuedDate": "06/08/2024",
            "issuedPlace": "Tiền Giang",
            "typeName": "27",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Tiền Giang",
        },
    ),
    _first(
        "cong-van-ubnd",
        "ỦY BAN NHÂN DÂN\nTỈNH TRÀ VINH",
        "Số: 2381/UBND-NC\nV/v triển khai lập danh mục tài liệu\ncó giá trị đặc biệt",
        "Trà Vinh, ngày 16 tháng 10 năm 2024",
        "Kính gửi:\n- Sở Nội vụ;\n- Các sở, ban, ngành tỉnh.",
        {
            "codeNumber": "2381",
            "codeNotation": "UBND-NC",
            "issuedDate": "16/10/2024",
            "issuedPlace": "Trà Vinh",
            "typeName": "22",
            "organName": "Ủy ban nhân dân tỉnh Trà Vinh",
            "subject": "V/v triển khai lập danh mục tài liệu có giá trị đặc biệt",
        },
    ),
    _first(
        "dang-cong-van",
        "TỈNH ỦY TRÀ VINH",
        "Số 1451-CV/TU",
        "Trà Vinh, ngày 25 tháng 3 năm 2022",
        "Kính gửi: Các huyện ủy, thị ủy, thành ủy",
        {
            "codeNumber": "1451",
            "codeNotation": "CV/TU",
            "issuedDate": "25/03/2022",
            "issuedPlace": "Trà Vinh",
            "typeName": "22",
            "organName": "Tỉnh ủy Trà Vinh",
        },
        motto="ĐẢNG CỘNG SẢN VIỆT NAM",
        tags=("party",),
    ),
    _first(
        "vnch-nghi-dinh",
        "BỘ NỘI-VỤ",
        "Số 123-BNV/NC",
        "Saigon, ngày 5 tháng 3 năm 1965",
        "NGHỊ-ĐỊNH\nẤn định thể thức lưu trữ công văn\nTỔNG-TRƯỞNG NỘI-VỤ",
        {
            "codeNumber": "123",
            "codeNotation": "BNV/NC",
            "issuedDate": "05/03/1965",
            "issuedPlace": "Saigon",
            "typeName": "32",
            "organName": "Bộ Nội-vụ",
            "subject": "Ấn định thể thức lưu trữ công văn",
        },
        motto="VIỆT-NAM CỘNG-HÒA",
        tags=("pre-1975",),
    ),
    _first(
        "vndchc-quyet-dinh",
        "ỦY BAN HÀNH CHÍNH\nTỈNH TRÀ VINH",
        "Số: 45/QĐ",
        "Trà Vinh, ngày 12 tháng 7 năm 1960",
        "QUYẾT ĐỊNH\nVề việc thành lập kho lưu trữ của tỉnh\nỦY BAN HÀNH CHÍNH TỈNH TRÀ VINH",
        {
            "codeNumber": "45",
            "codeNotation": "QĐ",
            "issuedDate": "12/07/1960",
            "issuedPlace": "Trà Vinh",
            "typeName": "02",
            "organName": "Ủy ban hành chính tỉnh Trà Vinh",
            "subject": "Về việc thành lập kho lưu trữ của tỉnh",
        },
        motto="VIỆT NAM DÂN CHỦ CỘNG HÒA\nĐộc lập – Tự do – Hạnh phúc",
        tags=("pre-1975",),
    ),
    _first(
        "quyet-dinh-pre-2020-uq",
        "UBND TỈNH TRÀ VINH\nSỞ NỘI VỤ",
        "Số: 17/UQ-SNV",
        "Trà Vinh, ngày 04 tháng 9 năm 2015",
        "GIẤY ỦY QUYỀN\nVề việc ký hợp đồng chỉnh lý tài liệu\nGiám đốc Sở Nội vụ ủy quyền cho:",
        {
            "codeNumber": "17",
            "codeNotation": "UQ-SNV",
            "issuedDate": "04/09/2015",
            "issuedPlace": "Trà Vinh",
            "typeName": "16",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Trà Vinh",
            "subject": "Về việc ký hợp đồng chỉnh lý tài liệu",
        },
        tags=("pre-2020",),
    ),
    _first(
        "bao-cao-thang-khong-ngay",
        "UBND HUYỆN TIỂU CẦN\nPHÒNG NỘI VỤ",
        "Số: 19/BC-PNV",
        "Tiểu Cần, ngày      tháng 11 năm 2025",
        "BÁO CÁO\nTình hình lưu trữ tài liệu năm 2025\nThực hiện Công văn số 2381/UBND-NC,",
        {
            "codeNumber": "19",
            "codeNotation": "BC-PNV",
            "issuedDate": "11/2025",
            "issuedPlace": "Tiểu Cần",
            "typeName": "14",
            "organName": "Phòng Nội vụ",
            "parentOrganName": "UBND huyện Tiểu Cần",
            "subject": "Tình hình lưu trữ tài liệu năm 2025",
        },
        tags=("blank-day",),
    ),
    _first(
        "thong-cao-ubnd",
        "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG",
        "Số: 02/TC-UBND",
        "An Giang, ngày 08 tháng 01 năm 2025",
        "THÔNG CÁO\nKết quả phiên họp thường kỳ tháng 12 năm 2024\n"
        "Ngày 30 tháng 12 năm 2024, Ủy ban nhân dân tỉnh họp phiên thường kỳ",
        {
            "codeNumber": "02",
            "codeNotation": "TC-UBND",
            "issuedDate": "08/01/2025",
            "issuedPlace": "An Giang",
            "typeName": "06",
            "organName": "Ủy ban nhân dân tỉnh An Giang",
            "subject": "Kết quả phiên họp thường kỳ tháng 12 năm 2024",
        },
    ),
    _first(
        "du-an-so-khcn",
        "UBND TỈNH BẠC LIÊU\nSỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: 04/DA-SKHCN",
        "Bạc Liêu, ngày 22 tháng 7 năm 2024",
        "DỰ ÁN\nSố hóa tài liệu lưu trữ lịch sử tỉnh giai đoạn 2024 - 2026\nI. SỰ CẦN THIẾT ĐẦU TƯ",
        {
            "codeNumber": "04",
            "codeNotation": "DA-SKHCN",
            "issuedDate": "22/07/2024",
            "issuedPlace": "Bạc Liêu",
            "typeName": "13",
            "organName": "Sở Khoa học và Công nghệ",
            "parentOrganName": "UBND tỉnh Bạc Liêu",
            "subject": "Số hóa tài liệu lưu trữ lịch sử tỉnh giai đoạn 2024 - 2026",
        },
    ),
    _first(
        "giay-uy-quyen",
        "UBND TỈNH SÓC TRĂNG\nTRUNG TÂM LƯU TRỮ LỊCH SỬ",
        "Số: 09/GUQ-TTLT",
        "Sóc Trăng, ngày 03 tháng 6 năm 2025",
        "GIẤY ỦY QUYỀN\nKý biên bản giao nhận tài liệu số hóa\n"
        "Căn cứ Quy chế làm việc của Trung tâm Lưu trữ lịch sử;",
        {
            "codeNumber": "09",
            "codeNotation": "GUQ-TTLT",
            "issuedDate": "03/06/2025",
            "issuedPlace": "Sóc Trăng",
            "typeName": "16",
            "organName": "Trung tâm Lưu trữ lịch sử",
            "parentOrganName": "UBND tỉnh Sóc Trăng",
            "subject": "Ký biên bản giao nhận tài liệu số hóa",
        },
    ),
    _first(
        "phieu-gui",
        "BỘ NỘI VỤ\nVĂN PHÒNG BỘ",
        "Số: 315/PG-VP",
        "Hà Nội, ngày 27 tháng 02 năm 2024",
        "PHIẾU GỬI\nTài liệu hội nghị tập huấn nghiệp vụ lưu trữ\n"
        "Văn phòng Bộ trân trọng gửi kèm theo Phiếu này:",
        {
            "codeNumber": "315",
            "codeNotation": "PG-VP",
            "issuedDate": "27/02/2024",
            "issuedPlace": "Hà Nội",
            "typeName": "17",
            "organName": "Văn phòng Bộ",
            "parentOrganName": "Bộ Nội vụ",
            "subject": "Tài liệu hội nghị tập huấn nghiệp vụ lưu trữ",
        },
    ),
    _first(
        "phieu-chuyen",
        "UBND TỈNH HẬU GIANG\nVĂN PHÒNG",
        "Số: 87/PC-VP",
        "Hậu Giang, ngày 16 tháng 4 năm 2025",
        "PHIẾU CHUYỂN\nĐơn đề nghị cấp bản sao tài liệu lưu trữ của bà Trần Thị Nga\n"
        "Văn phòng UBND tỉnh chuyển đến Sở Nội vụ",
        {
            "codeNumber": "87",
            "codeNotation": "PC-VP",
            "issuedDate": "16/04/2025",
            "issuedPlace": "Hậu Giang",
            "typeName": "18",
            "organName": "Văn phòng",
            "parentOrganName": "UBND tỉnh Hậu Giang",
            "subject": "Đơn đề nghị cấp bản sao tài liệu lưu trữ của bà Trần Thị Nga",
        },
    ),
    _first(
        "ban-ghi-nho",
        "ỦY BAN NHÂN DÂN\nTỈNH BẾN TRE",
        "Số: 01/GN-UBND",
        "Bến Tre, ngày 09 tháng 10 năm 2023",
        "BẢN GHI NHỚ\nHợp tác bảo quản và số hóa tài liệu lưu trữ\n"
        "Hôm nay, tại Trung tâm Lưu trữ lịch sử tỉnh Bến Tre,",
        {
            "codeNumber": "01",
            "codeNotation": "GN-UBND",
            "issuedDate": "09/10/2023",
            "issuedPlace": "Bến Tre",
            "typeName": "24",
            "organName": "Ủy ban nhân dân tỉnh Bến Tre",
            "subject": "Hợp tác bảo quản và số hóa tài liệu lưu trữ",
        },
    ),
    _first(
        "ban-thoa-thuan",
        "UBND THÀNH PHỐ CẦN THƠ\nSỞ NỘI VỤ",
        "Số: 03/TTh-SNV",
        "Cần Thơ, ngày 12 tháng 8 năm 2025",
        "BẢN THỎA THUẬN\nPhối hợp giao nộp hồ sơ vào Lưu trữ lịch sử thành phố\n"
        "Căn cứ Luật Lưu trữ ngày 21 tháng 6 năm 2024;",
        {
            "codeNumber": "03",
            "codeNotation": "TTh-SNV",
            "issuedDate": "12/08/2025",
            "issuedPlace": "Cần Thơ",
            "typeName": "25",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND thành phố Cần Thơ",
            "subject": "Phối hợp giao nộp hồ sơ vào Lưu trữ lịch sử thành phố",
        },
    ),
    _first(
        "giay-nghi-phep",
        "UBND TỈNH LONG AN\nSỞ NỘI VỤ",
        "Số: 25/GNP-SNV",
        "Long An, ngày 02 tháng 12 năm 2024",
        "GIẤY NGHỈ PHÉP\nCấp cho ông Võ Minh Tâm, chuyên viên Phòng Văn thư - Lưu trữ\n"
        "Được nghỉ phép năm 2024 từ ngày 09/12/2024 đến hết ngày 13/12/2024.",
        {
            "codeNumber": "25",
            "codeNotation": "GNP-SNV",
            "issuedDate": "02/12/2024",
            "issuedPlace": "Long An",
            "typeName": "28",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Long An",
            "subject": "Cấp cho ông Võ Minh Tâm, chuyên viên Phòng Văn thư - Lưu trữ",
        },
    ),
    _first(
        "phieu-bao",
        "UBND TỈNH TIỀN GIANG\nTRUNG TÂM LƯU TRỮ LỊCH SỬ",
        "Số: 14/PB-TTLT",
        "Mỹ Tho, ngày 30 tháng 9 năm 2025",
        "PHIẾU BÁO\nLịch khai thác tài liệu lưu trữ quý IV năm 2025\n"
        "Trung tâm Lưu trữ lịch sử tỉnh báo để các cơ quan, tổ chức biết:",
        {
            "codeNumber": "14",
            "codeNotation": "PB-TTLT",
            "issuedDate": "30/09/2025",
            "issuedPlace": "Mỹ Tho",
            "typeName": "19",
            "organName": "Trung tâm Lưu trữ lịch sử",
            "parentOrganName": "UBND tỉnh Tiền Giang",
            "subject": "Lịch khai thác tài liệu lưu trữ quý IV năm 2025",
        },
    ),
    _first(
        "cong-van-so-ngay-viet-tat",
        "UBND TỈNH ĐỒNG THÁP\nSỞ NỘI VỤ",
        "Số: 1024/SNV-VTLT\nV/v đôn đốc lập danh mục hồ sơ\ncó giá trị đặc biệt",
        "Đồng Tháp, ngày 6 tháng 5 năm 2024",
        "Kính gửi: Các sở, ban, ngành tỉnh\n"
        "Thực hiện Kế hoạch số 115/KH-UBND ngày 14/12/2023 của Ủy ban nhân dân tỉnh,",
        {
            "codeNumber": "1024",
            "codeNotation": "SNV-VTLT",
            "issuedDate": "06/05/2024",
            "issuedPlace": "Đồng Tháp",
            "typeName": "22",
            "organName": "Sở Nội vụ",
            "parentOrganName": "UBND tỉnh Đồng Tháp",
            "subject": "V/v đôn đốc lập danh mục hồ sơ có giá trị đặc biệt",
        },
    ),
    PageCase(
        "tiep-theo-than-van-ban",
        "2\nb) Tổ chức chỉnh lý hoàn chỉnh tài liệu trước khi số hóa, bảo đảm 100% hồ sơ\n"
        "được lập đầy đủ, sắp xếp khoa học theo phương án phân loại.\n"
        "c) Căn cứ Quyết định số 71/QĐ-TTg ngày 10 tháng 02 năm 2023, các cơ quan\n"
        "lập danh mục hồ sơ có giá trị đặc biệt gửi Sở Nội vụ trước ngày 30/6.",
        {},
        starts_document=False,
        tags=("continuation",),
    ),
    PageCase(
        "trang-ky-kt-chu-tich",
        "3. Sở Tài chính bố trí kinh phí thực hiện theo quy định./.\n"
        "Nơi nhận:\n- Bộ Nội vụ;\n- TT. TU, TT. HĐND tỉnh;\n- CT, các PCT UBND tỉnh;\n"
        "- Lưu: VT, NC.\n"
        "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nLê Văn Hân",
        {
            "signingAuthority": "KT. Chủ tịch",
            "signerTitle": "Phó Chủ tịch",
            "signerName": "Lê Văn Hân",
        },
        starts_document=False,
        tags=("signature",),
    ),
    PageCase(
        "trang-ky-tm-ubnd",
        "Quyết định này có hiệu lực kể từ ngày ký./.\nNơi nhận:\n- Như Điều 3;\n- Lưu: VT.\n"
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Thanh Bình",
        {
            "signingAuthority": "TM. Ủy ban nhân dân",
            "signerTitle": "Chủ tịch",
            "signerName": "Nguyễn Thanh Bình",
        },
        starts_document=False,
        tags=("signature",),
    ),
    PageCase(
        "trang-ky-giam-doc",
        "Trân trọng./.\nNơi nhận:\n- Như trên;\n- Lưu: VT, VP.\nGIÁM ĐỐC\nTrần Thị Mỹ Lệ",
        {"signerTitle": "Giám đốc", "signerName": "Trần Thị Mỹ Lệ"},
        starts_document=False,
        tags=("signature",),
    ),
    PageCase(
        "trang-ky-tl-chanh-van-phong",
        "Nơi nhận:\n- Như trên;\n- Lưu: VT, TH.\nTL. CHỦ TỊCH\nKT. CHÁNH VĂN PHÒNG\n"
        "PHÓ CHÁNH VĂN PHÒNG\nHuỳnh Văn Tám",
        {
            "signingAuthority": "KT. Chánh Văn phòng",
            "signerTitle": "Phó Chánh Văn phòng",
            "signerName": "Huỳnh Văn Tám",
        },
        starts_document=False,
        tags=("signature",),
    ),
)
"""Pages as printed (NFC), with what each prints; first pages start a văn bản."""


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept.replace("đ", "d").replace("Đ", "D"))


def _damage_line(line: str, rng: random.Random) -> str:
    """What OCR does to a line of a real scan, one of a few common mistakes at random."""
    choice = rng.random()
    if choice < 0.25:
        return _strip_marks(line)  # faded or low-resolution marks lost
    if choice < 0.4:
        return line.replace("ngày", "ngảy").replace("tháng", "thảng").replace("năm", "nărn")
    if choice < 0.47 and "/" in line:
        return line.replace("/", " / ").replace("-", " - ")  # spaces read into the ký hiệu
    if choice < 0.55 and "/" in line:
        return re.sub(r"(\d)/", r"\1J", line, count=1)  # the slash read as a letter (200 dpi)
    if choice < 0.65:
        return line.replace("Số:", "S6:").replace("ố", "ô")
    if choice < 0.75:
        return line.replace("ư", "u").replace("ơ", "o")
    return line


def damaged(case: PageCase, seed: int = 1) -> PageCase:
    """The same page as a damaged scan reads: every line damaged with some probability, and a
    red seal's noise over the signer's title."""
    rng = random.Random(f"{case.name}:{seed}")  # noqa: S311  # reproducible test damage
    lines = []
    for line in case.text.splitlines():
        damaged_line = _damage_line(line, rng) if rng.random() < 0.6 else line
        if line.isupper() and "CHỦ TỊCH" in line and rng.random() < 0.5:
            damaged_line = damaged_line.replace("CHỦ", "CHỦ•").replace("TỊCH", "TỊ CH")
        lines.append(damaged_line)
    return PageCase(
        f"{case.name}~{seed}",
        "\n".join(lines),
        case.expected,
        case.starts_document,
        (*case.tags, "damaged"),
    )


DAMAGED: tuple[PageCase, ...] = tuple(damaged(case, seed) for case in CASES for seed in (1, 2))
"""Two damaged readings of every page."""
