"""The gateway's /ready and /metrics are for operators only, through the running stack; the
container's probe command (compose healthcheck, Kubernetes readiness) gets in with the token."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import httpx
import pytest

from services.ops.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_only_operators_see_the_gateways_ready_and_metrics(stack: LocalStack) -> None:
    for path in ("/ready", "/metrics"):
        refused = httpx.get(f"{stack.gateway_url}{path}", headers={"X-API-Key": stack.api_key})
        assert (refused.status_code, refused.json()["code"]) == (401, "auth.operator-only")
        assert httpx.get(f"{stack.gateway_url}{path}", headers=stack.probe_headers).is_success
    assert httpx.get(f"{stack.gateway_url}/health").json() == {"status": "ok"}


@pytest.mark.parametrize(("token", "exit_code"), [("right", 0), ("wrong", 1)])
def test_the_probe_command_is_ready_only_with_the_token(
    stack: LocalStack, token: str, exit_code: int
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_GATEWAY_PORT"] = str(urlsplit(stack.gateway_url).port)
    env["SOHOA_GATEWAY_PROBE_TOKEN"] = stack.probe_token if token == "right" else "w" * 40  # noqa: S105  # a wrong token on purpose
    probe = subprocess.run(
        [sys.executable, "-m", "services.gateway.probe"], env=env, timeout=30, check=False
    )
    assert probe.returncode == exit_code
