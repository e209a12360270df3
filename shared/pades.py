"""PAdES signatures of the PDF/A copies (chữ ký số của cơ quan, domain notes §5.1), checked with
pyHanko: what handover checks after signing and the national archive checks on receipt. Also
the self-signed test certificate the local stack and the tests sign with (never committed)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


def trust_roots(paths: Sequence[str | Path]) -> list[asn1_x509.Certificate]:
    """The certificates (PEM or DER files) whose signatures are trusted."""
    return [
        load_cert_from_pemder(str(p))  # type: ignore[no-untyped-call]  # pyHanko: unannotated
        for p in paths
    ]


def signature_problems(
    path: Path, roots: Sequence[asn1_x509.Certificate], *, required: bool
) -> list[str]:
    """Every reason ``path``'s signatures cannot be relied on, each naming the file: a
    signature that does not cover the whole file (bytes added or changed after signing), a
    broken digest, a certificate not chained to ``roots`` (any, when ``roots`` is empty)."""
    context = ValidationContext(trust_roots=list(roots)) if roots else None
    problems = []
    try:
        with path.open("rb") as source:
            signatures = PdfFileReader(source, strict=False).embedded_signatures
            if not signatures:
                return [f"{path.name}: không có chữ ký số"] if required else []
            for signature in signatures:
                status = validate_pdf_signature(signature, context)
                name = signature.field_name
                if not (status.intact and status.valid):
                    problems.append(f"{path.name}: chữ ký {name} không khớp nội dung tệp")
                elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
                    problems.append(f"{path.name}: tệp bị thay đổi sau chữ ký {name}")
                elif roots and not status.trusted:
                    problems.append(f"{path.name}: chứng thư của chữ ký {name} không tin cậy")
    except (PdfReadError, ValueError) as error:  # pyHanko's validation errors are ValueErrors
        problems.append(f"{path.name}: không đọc được chữ ký ({error})")
    return problems


@dataclass(frozen=True)
class SelfSignedKey:
    """A self-signed signing certificate: its PKCS#12 (key and certificate) and its PEM."""

    pkcs12: Path
    passphrase: str
    certificate: Path


def make_test_certificate(
    folder: Path, organization: str, *, days: int = 365, passphrase: str | None = None
) -> SelfSignedKey:
    """A new self-signed RSA certificate for ``organization`` in ``folder`` (files 0600):
    for the local stack and the tests only; production signs with the archive's own key."""
    folder.mkdir(parents=True, exist_ok=True)
    passphrase = passphrase or secrets.token_urlsafe(24)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, organization[:64]),  # X.509 upper bound
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_cert_sign=True,
                crl_sign=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        b"sohoa-test",
        key,
        certificate,
        None,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    made = SelfSignedKey(folder / "signing.p12", passphrase, folder / "signing.pem")
    for target, body in (
        (made.pkcs12, bundle),
        (made.certificate, certificate.public_bytes(serialization.Encoding.PEM)),
    ):
        target.touch(mode=0o600)
        target.write_bytes(body)
    return made
