"""The agency's digital signature (chữ ký số của cơ quan) on each validated PDF/A, with pyHanko:
PAdES baseline, added as an incremental update so the validated PDF/A bytes stay as they were.
Visible text per domain notes §5.1: the agency's name and the signing time (ISO 8601, Vietnam
time), Times New Roman 10 (Liberation Serif, its metric twin, embedded), black, top right of
page 1, no seal image."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pyhanko import stamp
from pyhanko.pdf_utils import text
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from services.handover.domain import package_time

FIELD_NAME = "ChuKySoCoQuan"
BOX_WIDTH, BOX_HEIGHT, MARGIN = 230, 34, 12  # points
DEFAULT_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


class SigningKeyUnusable(RuntimeError):
    """The PKCS#12 file or its passphrase from settings does not open: fail at start-up."""


class AgencySigner:
    """Signs PDF/A files in place with the archive's key from a PKCS#12 file."""

    def __init__(
        self, pkcs12: Path, passphrase: str | None, agency: str, font: str = DEFAULT_FONT
    ) -> None:
        signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]  # pyHanko: unannotated
            str(pkcs12), passphrase=passphrase.encode() if passphrase is not None else None
        )
        if signer is None:
            raise SigningKeyUnusable(f"{pkcs12}: cannot open the signing key")
        self._signer = signer
        self.agency = agency
        self._font = font
        self.certificate = signer.signing_cert
        self.certificate_subject = self.certificate.subject.human_friendly

    def sign(self, path: Path, at: datetime) -> None:
        """Add the signature to ``path`` (written beside it, then moved over it)."""
        signed = path.with_name(path.name + ".signing")
        with path.open("rb") as source:
            writer = IncrementalPdfFileWriter(source, strict=False)
            media_box = writer.root["/Pages"]["/Kids"][0].get_object()["/MediaBox"]
            right, top = int(media_box[2]), int(media_box[3])
            box = (
                right - MARGIN - BOX_WIDTH,
                top - MARGIN - BOX_HEIGHT,
                right - MARGIN,
                top - MARGIN,
            )
            fields.append_signature_field(
                writer, fields.SigFieldSpec(FIELD_NAME, on_page=0, box=box)
            )
            style = stamp.TextStampStyle(
                stamp_text="%(agency)s\n%(at)s",
                text_box_style=text.TextBoxStyle(
                    font=GlyphAccumulatorFactory(self._font), font_size=10
                ),
                border_width=0,
                background=None,
            )
            meta = signers.PdfSignatureMetadata(
                field_name=FIELD_NAME,
                subfilter=fields.SigSeedSubFilter.PADES,
                md_algorithm="sha256",
                reason="Chữ ký số của cơ quan lưu trữ",
                name=self.agency,
            )
            with signed.open("wb") as sink:
                signers.PdfSigner(meta, signer=self._signer, stamp_style=style).sign_pdf(
                    writer,
                    output=sink,
                    appearance_text_params={"agency": self.agency, "at": package_time(at)},
                )
        os.replace(signed, path)
