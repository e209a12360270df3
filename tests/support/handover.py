"""A small accepted hồ sơ for handover tests: its FileAccepted and its page files on disk."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from services.handover.app import MIGRATIONS
from services.handover.domain import rep_data_paths
from services.handover.handlers import HandoverDeps
from shared.db import make_engine, migrate
from shared.events import (
    AcceptanceRecord,
    AcceptedPage,
    DescribedDocument,
    DescribedFile,
    FileAccepted,
)
from shared.objectstore import LocalStore

FILE_CODE = "H49.64.33.2001.160"
TEXTS = ("Quyết định về việc số hóa tài liệu", "Báo cáo kết quả số hóa năm 2024")


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
WIDTH, HEIGHT, DPI = 1240, 400, 150


def _page(n: int, text: str) -> tuple[bytes, bytes]:
    """A colour scan with ``text`` on one line, and the hOCR of its words (pixel boxes)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (250 - n * 20, 240, 225))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 36)
    x, words = 60, []
    for w, word in enumerate(text.split(), start=1):
        left, top, right, bottom = draw.textbbox((x, 150), word, font=font)
        draw.text((x, 150), word, font=font, fill=(20, 20, 90))
        words.append(
            f"<span class='ocrx_word' id='word_1_{w}' "
            f"title='bbox {left} {top} {right} {bottom}; x_wconf 95'>{escape(word)}</span>"
        )
        x = int(right) + 18
    hocr = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<html xmlns='http://www.w3.org/1999/xhtml'>"
        "<head><meta name='ocr-system' content='test'/></head><body>"
        f"<div class='ocr_page' id='page_1' title='bbox 0 0 {WIDTH} {HEIGHT}'>"
        f"<div class='ocr_carea' id='block_1_1' title='bbox 60 140 {x} 200'>"
        f"<p class='ocr_par' id='par_1_1' lang='vie' title='bbox 60 140 {x} 200'>"
        f"<span class='ocr_line' id='line_1_1' title='bbox 60 140 {x} 200; baseline 0 -10'>"
        f"{' '.join(words)}</span></p></div></div></body></html>"
    )
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue(), hocr.encode()


def accepted_file(pages: int = 2) -> tuple[FileAccepted, dict[str, bytes]]:
    """The event and, by object key, the bytes the stores hold for it."""
    blobs: dict[str, bytes] = {}
    accepted = []
    for seq in range(1, pages + 1):
        text = TEXTS[(seq - 1) % len(TEXTS)]
        image, hocr = _page(seq, text)
        keys = (
            f"{FILE_CODE}/{seq:04d}.png",
            f"{FILE_CODE}/{seq:04d}.txt",
            f"{FILE_CODE}/{seq:04d}.hocr",
        )
        blobs.update(zip(keys, (image, text.encode(), hocr), strict=True))
        accepted.append(
            AcceptedPage(
                page_id=uuid.uuid5(uuid.NAMESPACE_URL, keys[0]),
                sequence=seq,
                object_key=keys[0],
                sha256=hashlib.sha256(image).hexdigest(),
                media_type="image/png",
                text_key=keys[1],
                hocr_key=keys[2],
                document=seq,
            )
        )
    documents = tuple(
        DescribedDocument(
            ordinal=seq,
            doc_id=f"{FILE_CODE}.{seq}",
            doc_code=f"{FILE_CODE}.{seq:07d}",
            first_page=seq,
            last_page=seq,
            type_name="02" if seq == 1 else "14",
            issued_date="05/03/2001",
            organ_name="Ủy ban nhân dân tỉnh Hà Tĩnh",
            subject=TEXTS[(seq - 1) % len(TEXTS)],
            language="01",
            number_of_page=1,
            mode="01",
            extension={"signer": "Nguyễn Văn A"},
        )
        for seq in range(1, pages + 1)
    )
    at = datetime.fromisoformat("2026-11-23T10:00:00+07:00")
    event = FileAccepted(
        file_code=FILE_CODE,
        title="Hồ sơ về công tác số hóa tài liệu năm 2001",
        accepted_by="Trần Thị Lưu",
        accepted_at=at,
        pages=tuple(accepted),
        file=DescribedFile(
            file_code=FILE_CODE,
            fonds_code="64",
            title="Hồ sơ về công tác số hóa tài liệu năm 2001",
            maintenance="01",
            mode="01",
            language="01",
            start_date="05/03/2001",
            end_date="20/12/2001",
            total_doc=pages,
            number_of_paper=pages,
            number_of_page=pages,
            format="01",
            confidence_level="02",
            risk_recovery=True,
            risk_recovery_status="02",
        ),
        documents=documents,
        acceptance=AcceptanceRecord(
            acceptance_id=uuid.uuid4(),
            minutes_number="12/BB-NT",
            person="Trần Thị Lưu",
            client="test",
            at=at,
            file_codes=(FILE_CODE,),
        ),
        verified_by="Lê Văn Kiểm",
        verified_at=at,
    )
    return event, blobs


def lay_out_pages(event: FileAccepted, blobs: dict[str, bytes], data: Path) -> None:
    """Put the page files where handover fetches them to (representations/rep1/data)."""
    for page in event.pages:
        paths = rep_data_paths(page)
        for part, key in (
            ("original", page.object_key),
            ("text", page.text_key),
            ("hocr", page.hocr_key),
        ):
            target = data / paths[part]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blobs[key])


def local_handover(tmp_path: Path) -> tuple[HandoverDeps, dict[str, LocalStore]]:
    """Handover's dependencies on a migrated SQLite database and local stores in ``tmp_path``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'handover.db'}")
    migrate(engine, MIGRATIONS)
    stores = {a: LocalStore(tmp_path / a) for a in ("originals", "derivatives", "handover")}
    deps = HandoverDeps(
        engine=engine,
        originals=stores["originals"],
        derivatives=stores["derivatives"],
        packages=stores["handover"],
        wake_outbox=lambda: None,
        organization="Trung tâm Lưu trữ",
        public_url="http://handover",
        download_secret="k" * 32,
        download_ttl_seconds=60,
    )
    return deps, stores


async def put_blobs(stores: dict[str, LocalStore], blobs: dict[str, bytes]) -> None:
    """Store what :func:`accepted_file` made where handover fetches it from: the scans in the
    originals area, their text and hOCR in the derivatives area."""
    for key, body in blobs.items():
        area = "originals" if key.endswith(".png") else "derivatives"
        await stores[area].put(key, io.BytesIO(body), content_type="application/octet-stream")
