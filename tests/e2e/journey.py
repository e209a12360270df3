"""Steps e2e tests share: register a hồ sơ, open it for scanning, upload its pages."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.ops.demo import open_for_scanning


def register_and_upload(
    client: httpx.Client, file_code: str, paths: list[Path], *, title: str = "Hồ sơ thử nghiệm"
) -> None:
    """Register the hồ sơ with as many declared pages as ``paths``, take it through selection,
    approval and chỉnh lý, and upload its pages in order."""
    response = client.post(
        "/api/v1/files",
        json={"file_code": file_code, "title": title, "number_of_page": len(paths)},
    )
    assert response.status_code == 201, response.text
    open_for_scanning(client, file_code, pages=len(paths))
    for sequence, path in enumerate(paths, start=1):
        uploaded = client.post(
            f"/api/v1/files/{file_code}/pages",
            params={"sequence": sequence},
            content=path.read_bytes(),
            headers={"content-type": "image/png"},
        )
        assert uploaded.status_code == 201, uploaded.text
