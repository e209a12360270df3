"""A hồ sơ packaged again (accepted anew after the archive refused its package and it was
corrected, or after a re-scan) gets a complete new package that replaces the earlier one:
METS RECORDSTATUS REPLACEMENT naming the earlier OBJID, a PREMIS replacement event, both
packages recorded by handover; the reference receiver accepts it."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlmodel import Session, col, select

from services.handover.adapters.db import HandoverPackage
from services.handover.domain import DeliveryState, objid_for, package_folder
from services.handover.handlers import list_deliveries, on_file_accepted, package_for_download
from services.receiver.checks import inspect_package, record_status_problems
from shared.db import utcnow
from shared.envelope import Envelope
from shared.events import PackageReady
from shared.outbox import OutboxMessage
from tests.support.handover import accepted_file, local_handover, put_blobs

pytestmark = pytest.mark.integration
METS = "{http://www.loc.gov/METS/}"
PREMIS = {"p": "http://www.loc.gov/premis/v3"}


async def test_a_hoso_packaged_again_replaces_its_earlier_package(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    engine = deps.engine
    event, blobs = accepted_file(pages=2)
    await put_blobs(stores, blobs)
    for _ in range(2):  # two acceptance decisions of the same hồ sơ
        await on_file_accepted(event, Envelope.new(event, source="test"), deps)

    with Session(engine) as session:
        first, second = session.exec(
            select(HandoverPackage).order_by(col(HandoverPackage.created_at))
        ).all()
        ready = [
            PackageReady.model_validate(json.loads(m.body))
            for m in session.exec(select(OutboxMessage)).all()
        ]
    assert first.replaces is None
    assert second.replaces == first.package_id
    assert [r.replaces_package_id for r in ready] == [None, uuid.UUID(first.package_id)]

    archive = tmp_path / "handover" / second.object_key
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path / "out")
    package = (
        tmp_path
        / "out"
        / second.package_id
        / "data"
        / package_folder(objid_for(uuid.UUID(second.package_id)))
    )
    header = etree.parse(str(package / "METS.xml")).getroot().find(f"{METS}metsHdr")
    assert header.get("RECORDSTATUS") == "REPLACEMENT"
    (previous,) = header.findall(f"{METS}altRecordID")
    assert previous.text == objid_for(uuid.UUID(first.package_id))
    premis = etree.parse(str(package / "metadata/preservation/PREMIS.xml"))
    sources = premis.xpath(
        "//p:event[p:eventType='replacement']/p:linkingObjectIdentifier"
        "[p:linkingObjectRole='source']/p:linkingObjectIdentifierValue/text()",
        namespaces=PREMIS,
    )
    assert sources == [previous.text]

    (tmp_path / "w").mkdir()
    assert inspect_package(archive, second.sha256, tmp_path / "w") == []
    previous.getparent().remove(previous)  # a replacement that names nothing it replaces
    etree.ElementTree(header.getroottree().getroot()).write(str(package / "METS.xml"))
    (refused,) = record_status_problems(package)
    assert refused.path == "METS.xml"


async def test_a_package_downloaded_by_its_url_is_received(tmp_path: Path) -> None:
    deps, stores = local_handover(tmp_path)
    event, blobs = accepted_file(pages=1)
    await put_blobs(stores, blobs)
    await on_file_accepted(event, Envelope.new(event, source="test"), deps)
    ((delivery, _),) = await list_deliveries(deps, utcnow())
    assert delivery.state is DeliveryState.PENDING
    url, _ = deps.download_url(delivery.package_id, utcnow())
    token = url.partition("token=")[2]
    await package_for_download(delivery.package_id, token, tmp_path / "got.zip", deps)
    ((delivery, _),) = await list_deliveries(deps, utcnow())
    assert delivery.state is DeliveryState.RECEIVED
