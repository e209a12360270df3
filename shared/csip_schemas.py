"""The XSDs a TT 05 / E-ARK CSIP package ships in its ``schemas/`` folder, and every XML of the
package checked against them, so a package and its validation use one copy:

- METS 1.12 (Library of Congress), XLink and XML (W3C) and the DILCIS CSIP extension, from
  the ``eark-validator`` distribution;
- PREMIS 3.0 (Library of Congress), from the ``eulxml`` distribution, which ships the official
  schema file (no other installable package does);
- ``EAD.xsd`` and ``EAD_doc.xsd``, the TT 05 ``simpledc`` descriptions of a hồ sơ and a văn
  bản, written by this project from the annex's element table (``shared/schemas``).

All are published for reuse; validation needs no network."""

from __future__ import annotations

import shutil
from importlib.metadata import distribution
from importlib.resources import files
from pathlib import Path

from lxml import etree


def _eark(name: str) -> Path:
    return Path(str(files("eark_validator.ipxml.resources") / "schema" / name))


def _eulxml(name: str) -> Path:
    """Found through the distribution's files, never by importing ``eulxml``: its package
    imports ``pkg_resources``, which setuptools 82 no longer has."""
    return Path(str(distribution("eulxml").locate_file(f"eulxml/schema_data/{name}")))


def _ours(name: str) -> Path:
    return Path(str(files("shared") / "schemas" / name))


SCHEMA_SOURCES = {
    "mets.xsd": _eark,
    "xlink.xsd": _eark,
    "xml.xsd": _eark,
    "DILCISExtensionMETS.xsd": _eark,
    "premis.xsd": _eulxml,
    "EAD.xsd": _ours,
    "EAD_doc.xsd": _ours,
}
"""What every package ships, and where this installation finds it."""

SCHEMA_FILES = tuple(SCHEMA_SOURCES)

NAMESPACES = {
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
    "http://www.loc.gov/METS/": "mets.xsd",
    "https://DILCIS.eu/XML/METS/CSIPExtensionMETS": "DILCISExtensionMETS.xsd",
    "http://www.loc.gov/premis/v3": "premis.xsd",
}
"""The namespaced schemas, joined into one (METS and PREMIS files are checked against it)."""

DESCRIPTIONS = {"EAD.xml": "EAD.xsd", "EAD_doc_*.xml": "EAD_doc.xsd"}
"""The TT 05 descriptions have no namespace and the same root, so each has its own schema."""

_PARSER = etree.XMLParser(no_network=True, resolve_entities=False)


def copy_schemas(target: Path) -> list[Path]:
    """Copy the package's XSDs into ``target`` (its ``schemas/`` folder)."""
    target.mkdir(parents=True, exist_ok=True)
    shipped = SCHEMA_SOURCES.items()
    return [Path(shutil.copyfile(find(name), target / name)) for name, find in shipped]


def schema_from(folder: Path) -> etree.XMLSchema:
    """One schema over the namespaced XSDs in ``folder``: imported in an order that lets
    METS's remote XLink import resolve to the local copy, so validation needs no network."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(folder / name).resolve().as_uri()}"/>'
        for ns, name in NAMESPACES.items()
    )
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:sohoa:driver">{imports}</xs:schema>'
    )
    return etree.XMLSchema(etree.fromstring(driver.encode(), _PARSER))


def validate_xml(path: Path, schema: etree.XMLSchema) -> list[str]:
    """Schema errors of one XML file, each naming the file and line; empty when valid."""
    try:
        document = etree.parse(str(path), _PARSER)
    except etree.XMLSyntaxError as error:
        return [f"{path.name}: {error}"]
    except OSError:
        return [f"{path.name}: missing or unreadable"]
    if schema.validate(document):
        return []
    return [f"{path.name}:{e.line}: {e.message}" for e in schema.error_log]


def _namespaced(root: Path) -> list[Path]:
    representations = sorted((root / "representations").glob("*"))
    return [
        root / "METS.xml",
        *(rep / "METS.xml" for rep in representations),
        *sorted((root / "metadata" / "preservation").glob("*.xml")),
        *(x for rep in representations for x in sorted(rep.glob("metadata/preservation/*.xml"))),
    ]


def _descriptions(root: Path) -> list[tuple[Path, str]]:
    found = []
    for pattern, xsd in DESCRIPTIONS.items():
        for path in sorted(root.glob(f"metadata/descriptive/{pattern}")) + sorted(
            root.glob(f"representations/*/metadata/descriptive/{pattern}")
        ):
            found.append((path, xsd))
    return found


def validate_package(root: Path) -> list[str]:
    """Every METS, PREMIS and TT 05 description of an unpacked package against the package's
    own ``schemas/``, which must hold every XSD this project ships."""
    folder = root / "schemas"
    missing = [name for name in SCHEMA_FILES if not (folder / name).is_file()]
    if missing:
        return [f"schemas/{name}: missing" for name in missing]
    errors: list[str] = []
    schema = schema_from(folder)
    for path in _namespaced(root):
        errors += [f"{path.relative_to(root)}: {e}" for e in validate_xml(path, schema)]
    described = {
        xsd: etree.XMLSchema(etree.parse(str(folder / xsd), _PARSER))
        for xsd in DESCRIPTIONS.values()
    }
    for path, xsd in _descriptions(root):
        errors += [f"{path.relative_to(root)}: {e}" for e in validate_xml(path, described[xsd])]
    return errors
