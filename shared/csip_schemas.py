"""The XSDs an E-ARK CSIP package ships in its ``schemas/`` folder, from the ``eark-validator``
distribution (METS 1.12 of the Library of Congress, XLink and XML of the W3C, the DILCIS
CSIP extension: all published for reuse), so a package and its validation use one copy."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from lxml import etree

SCHEMA_FILES = ("mets.xsd", "xlink.xsd", "xml.xsd", "DILCISExtensionMETS.xsd")
"""What every package uses: METS (root and representation), XLink, the CSIP extension."""

NAMESPACES = {
    "http://www.w3.org/XML/1998/namespace": "xml.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
    "http://www.loc.gov/METS/": "mets.xsd",
    "https://DILCIS.eu/XML/METS/CSIPExtensionMETS": "DILCISExtensionMETS.xsd",
}


def _source() -> Path:
    return Path(str(files("eark_validator.ipxml.resources").joinpath("schema")))


def copy_schemas(target: Path) -> list[Path]:
    """Copy the package's XSDs into ``target`` (its ``schemas/`` folder)."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in SCHEMA_FILES:
        copied.append(Path(shutil.copyfile(_source() / name, target / name)))
    return copied


def schema_from(folder: Path) -> etree.XMLSchema:
    """One schema over the XSDs in ``folder``: imported in an order that lets METS's remote
    XLink import resolve to the local copy, so validation needs no network."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(folder / name).resolve().as_uri()}"/>'
        for ns, name in NAMESPACES.items()
    )
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:sohoa:driver">{imports}</xs:schema>'
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.fromstring(driver.encode(), parser))


def validate_xml(path: Path, schema: etree.XMLSchema) -> list[str]:
    """Schema errors of one XML file, each naming the file and line; empty when valid."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        document = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as error:
        return [f"{path.name}: {error}"]
    if schema.validate(document):
        return []
    return [f"{path.name}:{e.line}: {e.message}" for e in schema.error_log]


def validate_package(root: Path) -> list[str]:
    """Every METS of an unpacked package against the package's own ``schemas/``."""
    schema = schema_from(root / "schemas")
    errors: list[str] = []
    for mets in (root / "METS.xml", *sorted((root / "representations").glob("*/METS.xml"))):
        errors += [f"{mets.relative_to(root)}: {e}" for e in validate_xml(mets, schema)]
    return errors
