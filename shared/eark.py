"""The E-ARK validator (``eark-validator``), run offline: on import it reads four CSIP
vocabularies from ``https://earkcsip.dilcis.eu/schema/…``; the same files ship inside the
package, so an opener handler answers those URLs from the shipped copies and nothing else."""

from __future__ import annotations

import io
import urllib.request
from email.message import Message
from importlib.resources import files
from pathlib import Path
from typing import Any

VOCABULARY_PREFIX = "https://earkcsip.dilcis.eu/schema/"
PREVIOUS_PACKAGE_ID_TYPE = "PREVIOUSREFERENCECODE"
"""``metsHdr/altRecordID/@TYPE`` (E-ARK term) naming the OBJID of the package that a
``RECORDSTATUS="REPLACEMENT"`` package replaces."""
REPLACEMENT_EVENT = "replacement"
"""PREMIS ``eventType`` recording that a package replaces another (linked by its OBJID)."""


class _ShippedVocabularies(urllib.request.BaseHandler):
    handler_order = 100  # before the network handlers

    def https_open(self, request: urllib.request.Request) -> Any:
        url = request.full_url
        if not url.startswith(VOCABULARY_PREFIX):
            return None  # not ours: the next handler decides
        name = url.removeprefix(VOCABULARY_PREFIX)
        shipped = files("eark_validator.ipxml.resources.vocabs").joinpath(name)
        body = shipped.read_bytes()
        headers = Message()
        headers["Content-Type"] = "text/xml"
        response = urllib.response.addinfourl(io.BytesIO(body), headers, url, 200)
        response.msg = "OK"  # type: ignore[attr-defined]  # read by urllib's http_response
        return response


_installed = False


def _install() -> None:
    global _installed
    if not _installed:
        urllib.request.install_opener(urllib.request.build_opener(_ShippedVocabularies()))
        _installed = True


def eark_errors(package: Path) -> list[str]:
    """E-ARK CSIP 2.0.4 errors of an unpacked package folder (warnings are not errors)."""
    _install()
    from eark_validator.model.validation_report import Severity
    from eark_validator.packages import PackageValidator
    from eark_validator.specifications.specification import SpecificationVersion

    report = PackageValidator.validate(SpecificationVersion.V2_0_4, package)
    messages = []
    if report.structure is not None:
        messages += list(report.structure.messages)
    if report.metadata is not None:
        messages += list(report.metadata.schema_results.messages)
        messages += list(report.metadata.schematron_results.messages)
    return [
        f"{m.rule_id}: {m.message} ({m.location})" for m in messages if m.severity == Severity.ERROR
    ]
