"""``sohoa stack`` supervises like ``restart: always``: a service or the broker killed with
SIGKILL is started again by itself, its new pid in ``<var>/run/<name>.pid``, and the stack
serves again — after which a hồ sơ can still be registered through the gateway."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from services.ops.stack import SERVICES, LocalStack, read_stack_record
from tests.e2e.conftest import FAST_FAILOVER, STARTUP_SECONDS

pytestmark = pytest.mark.e2e
DEADLINE_SECONDS = 90


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        tmp_path_factory.mktemp("supervised"), extra_env=FAST_FAILOVER, supervise=True
    )
    stack.start(timeout=STARTUP_SECONDS)
    try:
        yield stack
    finally:
        stack.stop()


def _pid(run_dir: Path, name: str) -> int:
    return int((run_dir / f"{name}.pid").read_text(encoding="ascii"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_new_pid(run_dir: Path, name: str, old: int) -> int:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        pid = _pid(run_dir, name)
        if pid != old and _alive(pid):
            return pid
        time.sleep(0.2)  # poll interval
    raise AssertionError(f"{name} was not started again")


def _wait_ready(url: str, headers: Mapping[str, str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # poll interval
    raise AssertionError(f"{url} not ready again")


def test_every_process_has_its_pid_file_and_the_record_names_the_broker(
    supervised: LocalStack,
) -> None:
    for name in ("broker", *SERVICES):
        assert _alive(_pid(supervised.run_dir, name)), name
    record = read_stack_record(supervised.var_dir)
    assert record is not None
    assert supervised.broker is not None
    assert record.bootstrap == supervised.broker.bootstrap
    assert record.gateway_url == supervised.gateway_url


def test_the_record_signs_in_the_stack_s_people(supervised: LocalStack) -> None:
    """The workspace and its browser tests sign people in with what ``stack.json`` holds."""
    record = read_stack_record(supervised.var_dir)
    assert record is not None
    assert set(record.people) == {"luutru", "kiemtra", "pheduyet", "quantri", "doitac"}
    luutru = record.people["luutru"]
    assert (luutru.client, luutru.roles) == ("workspace", ("archivist",))
    form = {"grant_type": "password", "username": "luutru", "password": luutru.password}
    with httpx.Client(base_url=record.gateway_url, timeout=30) as http:
        token = http.post(
            "/api/v1/oauth/token", data=form, auth=("workspace", record.workspace_client_key)
        )
        assert token.status_code == 200, token.text
        me = http.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json()["person"] == {"username": "luutru", "full_name": "Nguyễn Thị Lưu"}
        partner = http.get("/api/v1/me", headers={"X-API-Key": record.client_keys["doitac"]})
        assert partner.json()["roles"] == ["partner_read"]


def test_a_killed_service_and_a_killed_broker_are_started_again(supervised: LocalStack) -> None:
    run = supervised.run_dir
    for name in ("gateway", "catalogue", "broker"):
        old = _pid(run, name)
        os.kill(old, signal.SIGKILL)
        _wait_for_new_pid(run, name, old)
    for name in SERVICES:
        _wait_ready(supervised.services[name].url, supervised.services[name].probe_headers)
    assert supervised.restarts == {"gateway": 1, "catalogue": 1, "broker": 1}

    with httpx.Client(
        base_url=supervised.gateway_url, headers={"X-API-Key": supervised.api_key}, timeout=60
    ) as http:
        created = http.post(
            "/api/v1/files",
            json={
                "file_code": "H49.64.33.2024.07.VP",
                "title": "Hồ sơ sau khi khởi động lại",
                "number_of_page": 1,
            },
        )
    assert created.status_code == 201, created.text
