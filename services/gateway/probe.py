"""The readiness probe of a gateway container: ``python -m services.gateway.probe``.

``/ready`` is closed to all but operators, and an orchestrator's HTTP probe cannot send a
secret it does not write into the pod spec; this command runs inside the container, reads
the probe token from the gateway's own settings and exits 0 only when ``/ready`` says 200.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from services.gateway.config import GatewaySettings

TIMEOUT_SECONDS = 4


def ready(settings: GatewaySettings) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{settings.port}/ready")
    if settings.probe_token is not None:
        request.add_header("Authorization", f"Bearer {settings.probe_token.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # http to our own loopback address
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    return 0 if ready(GatewaySettings()) else 1


if __name__ == "__main__":
    sys.exit(main())
