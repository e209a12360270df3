"""What the national archive checks in a received package, each failure naming the file:
the SHA-256 announced, the BagIt bag (RFC 8493), every METS against the package's own
``schemas/``, the E-ARK CSIP rules, and the PAdES signature of every PDF/A copy."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import bagit
from asn1crypto import x509
from lxml import etree

from shared.csip_schemas import validate_package
from shared.eark import PREVIOUS_PACKAGE_ID_TYPE, REPLACEMENT_EVENT, eark_errors
from shared.events import RejectedItem
from shared.objectstore import sha256_of
from shared.pades import signature_problems


def _unzip(archive: Path, target: Path) -> Path:
    """Extract safely (no absolute paths, no ``..``) and return the one bag folder."""
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts:
                raise ValueError(f"unsafe path in zip: {name}")
        z.extractall(target)
    (bag,) = [p for p in target.iterdir() if p.is_dir()]
    return bag


def _in_package(path: str, bag: Path) -> str:
    """A bag path (``data/<package folder>/…``) as the path inside the package."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if parts and parts[0] == "data":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    return "/".join(parts)


def _bag_problems(bag: Path) -> list[RejectedItem]:
    try:
        bagit.Bag(str(bag)).validate(processes=1)
    except bagit.BagValidationError as error:
        items = []
        for detail in getattr(error, "details", []) or []:
            path = str(getattr(detail, "path", "") or "")
            items.append(RejectedItem(path=_in_package(path, bag), reason=str(detail)))
        return items or [RejectedItem(path="", reason=f"BagIt: {error}")]
    except bagit.BagError as error:
        return [RejectedItem(path="", reason=f"BagIt: {error}")]
    return []


@dataclass(frozen=True)
class SignaturePolicy:
    """Whose signatures the archive trusts (none given: integrity only), and whether an
    unsigned PDF/A is refused."""

    roots: Sequence[x509.Certificate] = ()
    required: bool = False


METS = "{http://www.loc.gov/METS/}"
PREMIS_NS = {"p": "http://www.loc.gov/premis/v3"}
RECORD_STATUSES = frozenset({"NEW", "REPLACEMENT"})


def record_status_problems(package: Path) -> list[RejectedItem]:
    """A package is NEW, or a REPLACEMENT that names the package it replaces (altRecordID)
    and records the replacement in its PREMIS; anything else is refused."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    header = etree.parse(str(package / "METS.xml"), parser).find(f"{METS}metsHdr")
    status = header.get("RECORDSTATUS", "NEW") if header is not None else "NEW"
    if status not in RECORD_STATUSES:
        return [RejectedItem(path="METS.xml", reason=f"RECORDSTATUS {status} is not accepted")]
    if status == "NEW":
        return []
    previous = [
        e.text
        for e in header.iter(f"{METS}altRecordID")
        if e.get("TYPE") == PREVIOUS_PACKAGE_ID_TYPE
    ]
    if not previous or not previous[0]:
        return [RejectedItem(path="METS.xml", reason="REPLACEMENT names no earlier package")]
    premis = etree.parse(str(package / "metadata/preservation/PREMIS.xml"), parser)
    linked = premis.xpath(
        "//p:event[p:eventType=$kind]/p:linkingObjectIdentifier/p:linkingObjectIdentifierValue/text()",
        namespaces=PREMIS_NS,
        kind=REPLACEMENT_EVENT,
    )
    if previous[0] not in linked:
        return [
            RejectedItem(
                path="metadata/preservation/PREMIS.xml",
                reason=f"no replacement event for {previous[0]}",
            )
        ]
    return []


def _signature_problems(package: Path, policy: SignaturePolicy) -> list[RejectedItem]:
    items = []
    for pdf in sorted(package.glob("representations/*/data/**/*.pdf")):
        for found in signature_problems(pdf, policy.roots, required=policy.required):
            _, _, reason = found.partition(": ")
            items.append(RejectedItem(path=pdf.relative_to(package).as_posix(), reason=reason))
    return items


def inspect_package(
    archive: Path,
    announced_sha256: str,
    work: Path,
    signatures: SignaturePolicy | None = None,
) -> list[RejectedItem]:
    """Every reason to refuse ``archive``; empty when it is accepted."""
    actual = sha256_of(archive)
    if actual.lower() != announced_sha256.lower():
        return [RejectedItem(path="", reason=f"SHA-256 {actual} ≠ announced {announced_sha256}")]
    try:
        bag = _unzip(archive, work)
    except (zipfile.BadZipFile, ValueError) as error:
        return [RejectedItem(path="", reason=f"ZIP: {error}")]
    problems = _bag_problems(bag)
    if problems:
        return problems
    folders = [p for p in (bag / "data").iterdir() if p.is_dir()]
    if len(folders) != 1 or not (folders[0] / "METS.xml").is_file():
        return [RejectedItem(path="", reason="the bag holds no single package with METS.xml")]
    package = folders[0]
    for found in validate_package(package):
        name, _, reason = found.partition(": ")
        problems.append(RejectedItem(path=name, reason=f"XSD: {reason}"))
    for found in eark_errors(package):
        problems.append(RejectedItem(path="METS.xml", reason=f"E-ARK {found}"))
    problems += record_status_problems(package)
    return problems + _signature_problems(package, signatures or SignaturePolicy())
