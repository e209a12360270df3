"""schemathesis against the gateway's OpenAPI document, the services running behind it.

Every public operation gets its documented examples, the boundary values of its schema
(coverage) and generated requests, valid and invalid (fuzzing). Every answer must be
documented: no 5xx, a status the document lists, a body of its schema and media type (errors
are problem+json), invalid input refused, and nothing served without a key. The run has a
stack of its own: the fuzzer replays dead letters and rewrites phông, which the other e2e
tests must not see.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.gateway.api import EXAMPLE_FILE, ROUTES
from services.ops.stack import LocalStack
from tests.e2e.conftest import FAST_FAILOVER, STARTUP_SECONDS

pytestmark = pytest.mark.e2e

MIN_REQUESTS = 2000
EXAMPLES_PER_OPERATION = 45  # with the coverage phase's cases, a little over 2 000 requests
RUN_TIMEOUT_SECONDS = 900  # ~1 min on a quiet 2-core machine, 4–5 when four other jobs share it
# Every check schemathesis has but one: "valid data is accepted" cannot hold for a workflow
# API, where a well-formed step is still refused (409) in the wrong state or 404 for a hồ sơ
# that does not exist.
EXCLUDED_CHECKS = "positive_data_acceptance"


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # The fuzzer's requests come as fast as the stack answers: no rate limit for this run.
    env = {**FAST_FAILOVER, "SOHOA_GATEWAY_RATE_LIMIT_PER_MINUTE": "0"}
    local = LocalStack(tmp_path_factory.mktemp("fuzzed"), extra_env=env)
    local.start(timeout=STARTUP_SECONDS)
    try:
        yield local
    finally:
        local.stop()


def _seed(stack: LocalStack) -> None:
    """The phông and hồ sơ the document's examples name, so examples reach the services'
    rules instead of stopping at 404."""
    with httpx.Client(
        base_url=f"{stack.gateway_url}/api/v1", headers={"X-API-Key": stack.api_key}
    ) as api:
        fonds = next(r for r in ROUTES if r.method == "PUT" and r.path == "/fonds/{code}")
        assert api.put("/fonds/64", json=fonds.example).status_code == 201
        registration = next(r for r in ROUTES if r.method == "POST" and r.path == "/files")
        created = api.post("/files", json=registration.example)
        assert created.status_code == 201, created.text
        assert created.json()["file_code"] == EXAMPLE_FILE


def test_the_gateway_answers_thousands_of_generated_requests_as_documented(
    fuzzed_stack: LocalStack, tmp_path: Path
) -> None:
    _seed(fuzzed_stack)
    reports = tmp_path / "reports"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{fuzzed_stack.gateway_url}/openapi.json",
        "--header",
        f"X-API-Key: {fuzzed_stack.api_key}",
        "--include-path-regex",
        "^/api/v1/",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED_CHECKS,
        "--mode",
        "all",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        # One worker: Hypothesis parses lambda sources with ast, which CPython 3.11 does not
        # allow from two threads at once (SystemError: AST constructor recursion depth mismatch).
        "--workers",
        "1",
        "--generation-database",
        "none",
        # Hypothesis's health checks judge the generator's speed, not the API's answers: a
        # machine under load fails "too slow" without any request having gone wrong.
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "json,har",
        "--report-dir",
        str(reports),
    ]
    try:
        run = subprocess.run(
            command,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as slow:
        seen = slow.stdout.decode(errors="replace") if isinstance(slow.stdout, bytes) else ""
        pytest.fail(f"schemathesis did not finish in {RUN_TIMEOUT_SECONDS} s:\n{seen[-5000:]}")
    output = run.stdout[-20_000:] + run.stderr[-5_000:]
    [summary_path] = reports.glob("json-*.json")
    [har_path] = reports.glob("har-*.json")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    entries = json.loads(har_path.read_text(encoding="utf-8"))["log"]["entries"]
    statuses = Counter(int(entry["response"]["status"]) for entry in entries)

    assert run.returncode == 0, output
    assert summary["failures"] == [], output
    assert summary["errors"] == [], output
    assert summary["operations"]["tested"] == summary["operations"]["selected"]
    assert len(entries) >= MIN_REQUESTS, f"only {len(entries)} requests: {statuses}"
    assert not [status for status in statuses if status >= 500], statuses
    # The run went past the front door: the services' own rules answered too.
    assert statuses[200] > 0
    assert statuses[409] > 0
