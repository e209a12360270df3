"""TT 05/2025 ``AIP_hoso`` metadata in the E-ARK CSIP shape: METS (root and representation),
EAD (hồ sơ and văn bản, TT 05's ``simpledc`` elements) and PREMIS 3.0, written with lxml."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from services.handover.domain import VIETNAM, camel, package_time
from shared.eark import PREVIOUS_PACKAGE_ID_TYPE
from shared.events import DescribedDocument, DescribedFile

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
SCHEMA_LOCATION = {
    METS: "mets.xsd",
    XLINK: "xlink.xsd",
    CSIP: "DILCISExtensionMETS.xsd",
}
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One file a METS document lists: where it is (relative to the METS), its fixity."""

    path: str
    size: int
    sha256: str
    created: datetime
    mimetype: str

    @property
    def ident(self) -> str:
        return "ID-" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.path))


def entry(root: Path, path: Path, mimetype: str, created: datetime) -> Entry:
    """Hash a written file (streamed) and describe it relative to ``root``."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    rel = path.relative_to(root).as_posix()
    return Entry(rel, path.stat().st_size, digest.hexdigest(), created, mimetype)


def _write(tree: etree._Element, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    etree.ElementTree(tree).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None
) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


# --- EAD (TT 05 Phụ lục I §4.1, §4.2) --------------------------------------------------------

FILE_FIELDS = [
    "title",
    "maintenance",
    "mode",
    "language",
    "start_date",
    "end_date",
    "keyword",
    "total_doc",
    "number_of_paper",
    "number_of_page",
    "format",
    "infor_sign",
    "confidence_level",
    "paper_file_code",
    "risk_recovery",
    "risk_recovery_status",
    "description",
]
DOC_FIELDS = [
    "type_name",
    "code_number",
    "code_notation",
    "issued_date",
    "organ_name",
    "subject",
    "language",
    "number_of_page",
    "infor_sign",
    "keyword",
    "mode",
    "confidence_level",
    "autograph",
    "format",
    "description",
]


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def write_ead(described: DescribedFile, arc_file_code: str, path: Path) -> None:
    """``EAD.xml``: the 18 hồ sơ elements (``fileCode`` is ``arcFileCode`` in an AIP)."""
    root = etree.Element("simpledc")
    _sub(root, "arcFileCode", arc_file_code)
    for name in FILE_FIELDS:
        value = getattr(described, name)
        if value is not None:
            _sub(root, camel(name), _value(value))
    _write(root, path)


def write_ead_doc(document: DescribedDocument, arc_file_code: str, path: Path) -> None:
    """``EAD_doc_<docId>.xml``: one văn bản; the AIP form keeps ``docCode``, adds
    ``arcFileCode`` and ``docOrdinal``; the OCR-read signer goes to ``description``."""
    root = etree.Element("simpledc")
    _sub(root, "arcFileCode", arc_file_code)
    _sub(root, "docCode", document.doc_code)
    _sub(root, "docOrdinal", str(document.ordinal))
    for name in DOC_FIELDS:
        value = getattr(document, name)
        if name == "description":
            value = _with_extension(value, document.extension)
        if value is not None:
            _sub(root, camel(name), _value(value))
    _write(root, path)


DOC_DESCRIPTION_MAX = 500  # characters of a văn bản's ghi chú (TT 05 §4.2, EAD_doc.xsd)


def _with_extension(description: str | None, extension: dict[str, str]) -> str | None:
    """The ghi chú with the project's extension (signer, place) after it, each item only while
    the whole stays within what the schema allows: the catalogue holds the extension in full."""
    text = description
    for key, value in sorted(extension.items()):
        item = f"{key}: {value}"
        longer = f"{text}; {item}" if text else item
        if len(longer) <= DOC_DESCRIPTION_MAX:
            text = longer
    return text


# --- PREMIS 3.0 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PremisEvent:
    kind: str  # Library of Congress event type, e.g. "message digest calculation"
    at: datetime
    detail: str
    agent: str  # the agent's identifier value
    role: str  # "executing program", "implementer", "authorizer", "validator"
    objects: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()  # OBJIDs of packages this event's package replaces


@dataclass(frozen=True)
class PremisAgent:
    ident: str
    name: str
    kind: str  # "software" | "person" | "organization"
    version: str | None = None


PRONOM = {
    "image/png": "fmt/13",
    "image/jpeg": "fmt/43",
    "image/tiff": "fmt/353",
    "application/pdf": "fmt/477",
    "text/plain": "x-fmt/111",
    "text/html": "fmt/471",
    "text/xml": "fmt/101",
}


def write_premis(
    path: Path,
    objects: Iterable[Entry],
    events: Sequence[PremisEvent],
    agents: Sequence[PremisAgent],
) -> None:
    """PREMIS 3.0: each file with its SHA-256 and format registry id, then events, agents."""
    p = f"{{{PREMIS}}}"
    root = etree.Element(p + "premis", nsmap={"premis": PREMIS, "xsi": XSI}, version="3.0")
    for item in objects:
        obj = _sub(root, p + "object", **{f"{{{XSI}}}type": "premis:file"})
        ident = _sub(obj, p + "objectIdentifier")
        _sub(ident, p + "objectIdentifierType", "local")
        _sub(ident, p + "objectIdentifierValue", item.path)
        chars = _sub(obj, p + "objectCharacteristics")
        fixity = _sub(chars, p + "fixity")
        _sub(fixity, p + "messageDigestAlgorithm", "SHA-256")
        _sub(fixity, p + "messageDigest", item.sha256)
        _sub(fixity, p + "messageDigestOriginator", "sohoa")
        _sub(chars, p + "size", str(item.size))
        fmt = _sub(chars, p + "format")
        _sub(_sub(fmt, p + "formatDesignation"), p + "formatName", item.mimetype)
        registry = _sub(fmt, p + "formatRegistry")
        _sub(registry, p + "formatRegistryName", "PRONOM")
        _sub(registry, p + "formatRegistryKey", PRONOM.get(item.mimetype, "UNKNOWN"))
    for n, event in enumerate(events, start=1):
        element = _sub(root, p + "event")
        ident = _sub(element, p + "eventIdentifier")
        _sub(ident, p + "eventIdentifierType", "local")
        _sub(ident, p + "eventIdentifierValue", f"event-{n:04d}")
        _sub(element, p + "eventType", event.kind)
        _sub(element, p + "eventDateTime", event.at.astimezone(VIETNAM).isoformat())
        _sub(_sub(element, p + "eventDetailInformation"), p + "eventDetail", event.detail)
        link = _sub(element, p + "linkingAgentIdentifier")
        _sub(link, p + "linkingAgentIdentifierType", "local")
        _sub(link, p + "linkingAgentIdentifierValue", event.agent)
        _sub(link, p + "linkingAgentRole", event.role)
        for target in event.objects:
            obj = _sub(element, p + "linkingObjectIdentifier")
            _sub(obj, p + "linkingObjectIdentifierType", "local")
            _sub(obj, p + "linkingObjectIdentifierValue", target)
            if event.replaced:
                _sub(obj, p + "linkingObjectRole", "outcome")
        for objid in event.replaced:
            obj = _sub(element, p + "linkingObjectIdentifier")
            _sub(obj, p + "linkingObjectIdentifierType", "OBJID")
            _sub(obj, p + "linkingObjectIdentifierValue", objid)
            _sub(obj, p + "linkingObjectRole", "source")
    for agent in agents:
        element = _sub(root, p + "agent")
        ident = _sub(element, p + "agentIdentifier")
        _sub(ident, p + "agentIdentifierType", "local")
        _sub(ident, p + "agentIdentifierValue", agent.ident)
        _sub(element, p + "agentName", agent.name)
        _sub(element, p + "agentType", agent.kind)
        if agent.version:
            _sub(element, p + "agentVersion", agent.version)
    _write(root, path)


# --- METS (CSIP) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetsHeader:
    objid: str
    label: str
    creator: str  # the archive's name
    creator_code: str | None  # fonds code: agent IDENTIFICATIONCODE
    software_version: str
    record_status: str = "NEW"
    replaces: str | None = None  # OBJID of the package this one replaces


def _mets_root(header: MetsHeader, created: datetime) -> etree._Element:
    m = f"{{{METS}}}"
    location = " ".join(f"{ns} schemas/{name}" for ns, name in SCHEMA_LOCATION.items())
    root = etree.Element(
        m + "mets",
        nsmap={"mets": METS, "xlink": XLINK, "csip": CSIP, "xsi": XSI},
        OBJID=header.objid,
        LABEL=header.label,
        TYPE="Mixed",
        PROFILE=CSIP_PROFILE,
        **{
            f"{{{CSIP}}}CONTENTINFORMATIONTYPE": "MIXED",
            f"{{{XSI}}}schemaLocation": location,
        },
    )
    hdr = _sub(
        root,
        m + "metsHdr",
        CREATEDATE=package_time(created),
        RECORDSTATUS=header.record_status,
        **{f"{{{CSIP}}}OAISPACKAGETYPE": "AIP"},
    )
    # CSIP lets only the software be ``CREATOR``; the archive is the ``ARCHIVIST``.
    archive = _sub(hdr, m + "agent", ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    _sub(archive, m + "name", header.creator)
    if header.creator_code:
        _sub(archive, m + "note", f"IDENTIFICATIONCODE {header.creator_code}")
    software = _sub(hdr, m + "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _sub(software, m + "name", "sohoa")
    _sub(
        software, m + "note", header.software_version, **{f"{{{CSIP}}}NOTETYPE": "SOFTWARE VERSION"}
    )
    if header.replaces:
        _sub(hdr, m + "altRecordID", header.replaces, TYPE=PREVIOUS_PACKAGE_ID_TYPE)
    return root


def _md_ref(parent: etree._Element, item: Entry, mdtype: str) -> None:
    _sub(
        parent,
        f"{{{METS}}}mdRef",
        LOCTYPE="URL",
        MDTYPE=mdtype,
        MIMETYPE=item.mimetype,
        SIZE=str(item.size),
        CREATED=package_time(item.created),
        CHECKSUM=item.sha256.upper(),
        CHECKSUMTYPE="SHA-256",
        **{f"{{{XLINK}}}type": "simple", f"{{{XLINK}}}href": item.path},
    )


def _file(parent: etree._Element, item: Entry) -> None:
    element = _sub(
        parent,
        f"{{{METS}}}file",
        ID=item.ident,
        MIMETYPE=item.mimetype,
        SIZE=str(item.size),
        CREATED=package_time(item.created),
        CHECKSUM=item.sha256.upper(),
        CHECKSUMTYPE="SHA-256",
    )
    _sub(
        element,
        f"{{{METS}}}FLocat",
        LOCTYPE="URL",
        **{f"{{{XLINK}}}type": "simple", f"{{{XLINK}}}href": item.path},
    )


@dataclass(frozen=True)
class MetsContent:
    """What one METS document describes, every path relative to that METS."""

    descriptive: Sequence[Entry]
    preservation: Sequence[Entry]
    groups: Sequence[tuple[str, Sequence[Entry]]]  # fileGrp USE → files
    representations: Sequence[tuple[str, Entry]] = ()  # rep name → its METS.xml, which
    # must also be listed in the ``Representations`` group
    links: dict[str, str] | None = None  # file path → the descriptive path describing it


def write_mets(path: Path, header: MetsHeader, content: MetsContent, created: datetime) -> None:
    """A CSIP METS: dmdSec per descriptive file, amdSec/digiprovMD per PREMIS file, a
    fileSec with one fileGrp per use, and the ``CSIP`` structMap pointing at all of them."""
    m = f"{{{METS}}}"
    root = _mets_root(header, created)
    dmd_ids: dict[str, str] = {}
    for item in content.descriptive:
        dmd_ids[item.path] = "dmd-" + item.ident
        dmd = _sub(
            root,
            m + "dmdSec",
            ID=dmd_ids[item.path],
            CREATED=package_time(item.created),
            STATUS="CURRENT",
        )
        _md_ref(dmd, item, "OTHER")
        dmd[0].set("OTHERMDTYPE", "TT05-EAD")
    amd_ids = []
    if content.preservation:
        amd = _sub(root, m + "amdSec")
        for item in content.preservation:
            amd_ids.append("amd-" + item.ident)
            digi = _sub(
                amd,
                m + "digiprovMD",
                ID=amd_ids[-1],
                CREATED=package_time(item.created),
                STATUS="CURRENT",
            )
            _md_ref(digi, item, "PREMIS")
    file_sec = _sub(root, m + "fileSec", ID="fileSec-1")
    group_ids: dict[str, str] = {}
    for use, items in content.groups:
        group_ids[use] = "grp-" + str(uuid.uuid5(uuid.NAMESPACE_URL, header.objid + use))
        kind = "MIXED" if use == "Representations" else None
        group = _sub(
            file_sec,
            m + "fileGrp",
            ID=group_ids[use],
            USE=use,
            **{f"{{{CSIP}}}CONTENTINFORMATIONTYPE": kind},
        )
        for item in items:
            _file(group, item)
    struct = _sub(root, m + "structMap", ID="structMap-1", TYPE="PHYSICAL", LABEL="CSIP")
    top = _sub(struct, m + "div", ID="div-root", LABEL=header.objid)
    meta = {"DMDID": " ".join(dmd_ids.values()) or None, "ADMID": " ".join(amd_ids) or None}
    _sub(top, m + "div", ID="div-metadata", LABEL="Metadata", **meta)
    for use, items in content.groups:
        div = _sub(top, m + "div", ID="div-" + group_ids[use][4:], LABEL=use)
        links = content.links or {}
        if links:
            for item in items:
                dmdid = dmd_ids.get(links.get(item.path, ""))
                sub = _sub(div, m + "div", ID="div-" + item.ident[3:], LABEL=item.path, DMDID=dmdid)
                _sub(sub, m + "fptr", FILEID=item.ident)
        else:
            _sub(div, m + "fptr", FILEID=group_ids[use])
    if content.representations:
        div = top.find(f"{m}div[@LABEL='Representations']")
        for name, mets_entry in content.representations:
            sub = _sub(div, m + "div", ID=f"div-{name}", LABEL=f"Representations/{name}")
            _sub(
                sub,
                m + "mptr",
                LOCTYPE="URL",
                **{
                    f"{{{XLINK}}}type": "simple",
                    f"{{{XLINK}}}href": mets_entry.path,
                    f"{{{XLINK}}}title": group_ids["Representations"],
                },
            )
    _write(root, path)
