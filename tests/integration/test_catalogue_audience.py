"""The catalogue's HTTP answers to a caller that may see only hồ sơ open to partner systems
(``x-sohoa-audience: public``, set by the gateway for ``partner_read``): a restricted hồ sơ is
absent from the list and search, and reading it is 404 as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.catalogue.app import create_app
from services.catalogue.config import CatalogueSettings
from shared.config import KafkaSettings, StorageSettings

pytestmark = pytest.mark.integration
OPEN, RESTRICTED = "H49.64.33.2001.1", "H49.64.33.2001.2"
PUBLIC = {"x-sohoa-audience": "public"}


@pytest.fixture
def catalogue(tmp_path: Path, kafka_settings: KafkaSettings) -> Iterator[TestClient]:
    settings = CatalogueSettings(
        database_url=f"sqlite:///{tmp_path / 'catalogue.db'}",
        kafka=kafka_settings,
        storage=StorageSettings(root=tmp_path / "objects"),
    )
    with TestClient(create_app(settings)) as client:
        for code, mode in ((OPEN, "01"), (RESTRICTED, "02")):
            body = {
                "file_code": code,
                "title": f"Hồ sơ lưu trữ chế độ {mode}",
                "number_of_page": 1,
                "mode": mode,
            }
            created = client.post("/api/v1/files", json=body, headers={"x-sohoa-actor": "t"})
            assert created.status_code == 201, created.text
        yield client


def test_a_restricted_hồ_sơ_is_absent_for_a_public_caller(catalogue: TestClient) -> None:
    assert catalogue.get(f"/api/v1/files/{RESTRICTED}").status_code == 200
    hidden = catalogue.get(f"/api/v1/files/{RESTRICTED}", headers=PUBLIC)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "catalogue.file-not-found")
    assert catalogue.get(f"/api/v1/files/{OPEN}", headers=PUBLIC).status_code == 200

    def listed(headers: dict[str, str]) -> set[str]:
        items = catalogue.get("/api/v1/files", headers=headers).json()["items"]
        return {item["file_code"] for item in items}

    assert listed({}) == {OPEN, RESTRICTED}
    assert listed(PUBLIC) == {OPEN}

    def found(headers: dict[str, str]) -> set[str]:
        page = catalogue.get("/api/v1/search", params={"q": "luu tru"}, headers=headers).json()
        return {hit["file_code"] for hit in page["hits"]}

    assert found({}) == {OPEN, RESTRICTED}
    assert found(PUBLIC) == {OPEN}


def test_a_restricted_hồ_sơ_s_original_scan_is_as_absent_as_its_cleaned_image(
    catalogue: TestClient,
) -> None:
    for variant in ("cleaned", "original"):
        params = {"sequence": 1, "variant": variant}
        hidden = catalogue.get(
            f"/api/v1/files/{RESTRICTED}/page-image", params=params, headers=PUBLIC
        )
        assert (hidden.status_code, hidden.json()["code"]) == (404, "catalogue.file-not-found")
        unread = catalogue.get(f"/api/v1/files/{OPEN}/page-image", params=params, headers=PUBLIC)
        assert (unread.status_code, unread.json()["code"]) == (404, "catalogue.page-not-found")
    unknown = catalogue.get(
        f"/api/v1/files/{OPEN}/page-image", params={"sequence": 1, "variant": "thumbnail"}
    )
    assert unknown.status_code == 422


def test_a_restricted_hồ_sơ_is_not_even_a_number_in_a_public_callers_reports(
    catalogue: TestClient,
) -> None:
    def registered(headers: dict[str, str]) -> int:
        progress = catalogue.get("/api/v1/reports/progress", headers=headers).json()
        return sum(progress["files_by_state"].values())

    assert registered({}) == 2
    assert registered(PUBLIC) == 1
    year = date.today().year

    def reached(headers: dict[str, str]) -> int:
        annual = catalogue.get("/api/v1/reports/annual", params={"year": year}, headers=headers)
        return sum(annual.json()["totals"]["reached_by_end_of_year"].values())

    assert reached({}) == 2
    assert reached(PUBLIC) == 1
