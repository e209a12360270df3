"""`sohoa import` from a directory tree and from an S3 prefix (moto's server), through the
gateway of the real stack: dry run sends nothing, the record makes a second run resume, a
misnamed file is skipped and said so in the summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from minio import Minio

from services.ops.bulkimport import DirectorySource, S3Source, run_import
from services.ops.cli import main
from services.ops.demo import open_for_scanning
from services.ops.stack import LocalStack
from shared.config import StorageSettings

pytestmark = pytest.mark.e2e
FILE_CODE = "H49.64.33.2024.IMP"


@pytest.fixture(scope="module")
def import_file(stack: LocalStack) -> str:
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.api_key}, timeout=60
    ) as client:
        registered = client.post(
            "/api/v1/files", json={"file_code": FILE_CODE, "title": "Nhập lô", "number_of_page": 3}
        )
        assert registered.status_code == 201, registered.text
        open_for_scanning(client, FILE_CODE, pages=3)
    return FILE_CODE


def _sequences(client: httpx.Client) -> list[int]:
    return [p["sequence"] for p in client.get(f"/api/v1/files/{FILE_CODE}/pages").json()]


def test_import_a_tree_then_resume_then_an_s3_prefix(
    stack: LocalStack,
    import_file: str,
    client: httpx.Client,
    scans: tuple[str, list[Path]],
    tmp_path: Path,
    s3_settings: StorageSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _title, paths = scans
    tree = tmp_path / "tree"
    (tree / import_file).mkdir(parents=True)
    for number in (1, 2):
        (tree / import_file / f"{number:04d}.png").write_bytes(paths[number - 1].read_bytes())
    (tree / import_file / "ghi-chu.txt").write_text("không phải ảnh")
    record = tmp_path / "record.jsonl"
    args = ["import", str(tree), "--gateway", stack.gateway_url, "--api-key", stack.api_key]

    assert main([*args, "--record", str(record), "--dry-run"]) == 0
    assert "3 files would be sent" in capsys.readouterr().out
    assert _sequences(client) == []

    assert main([*args, "--record", str(record)]) == 1  # the misnamed file is skipped
    summary = capsys.readouterr().out
    assert "stored: 2" in summary
    assert "skipped: 1" in summary
    assert _sequences(client) == [1, 2]
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    assert sorted(e["outcome"] for e in entries) == ["skipped", "stored", "stored"]

    # resumable: a second run sends nothing; a file forgotten by the record is answered as stored
    kept = [line for line in record.read_text().splitlines() if "0001" not in line]
    record.write_text("\n".join(kept) + "\n")
    lines: list[str] = []
    source = DirectorySource(tree)
    run_import(
        source,
        str(tree),
        gateway=stack.gateway_url,
        api_key=stack.api_key,
        record_path=record,
        say=lines.append,
    )
    assert "  already-stored: 1" in lines
    assert _sequences(client) == [1, 2]

    # an S3 prefix of an earlier project
    minio = Minio(
        s3_settings.s3_endpoint,
        access_key=s3_settings.s3_access_key.get_secret_value(),
        secret_key=s3_settings.s3_secret_key.get_secret_value(),
        secure=False,
    )
    bucket = f"{s3_settings.bucket_prefix}-old"
    minio.make_bucket(bucket)
    body = paths[2].read_bytes()
    minio.put_object(bucket, f"du-an-cu/{import_file}/0003.png", io.BytesIO(body), len(body))
    s3 = S3Source(f"s3://{bucket}/du-an-cu", s3_settings)
    lines = []
    code = run_import(
        s3,
        "s3",
        gateway=stack.gateway_url,
        api_key=stack.api_key,
        record_path=tmp_path / "s3.jsonl",
        say=lines.append,
    )
    assert code == 0
    assert "  stored: 1" in lines
    assert _sequences(client) == [1, 2, 3]
