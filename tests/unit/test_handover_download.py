"""Download tokens: bound to one package, expiring, unforgeable without the key."""

from __future__ import annotations

import uuid

import pytest

from services.handover.domain import DownloadRefused, check_download_token, download_token

pytestmark = pytest.mark.unit
PACKAGE = uuid.UUID("2b7e1516-28ae-4d2a-abf7-158809cf4f3c")
SECRET = "khóa-bí-mật"  # noqa: S105  # a test key


def test_a_fresh_token_opens_its_package() -> None:
    token = download_token(PACKAGE, 2_000, SECRET)
    check_download_token(PACKAGE, token, SECRET, now=1_999)  # no exception


@pytest.mark.parametrize(
    ("package", "token", "now", "why"),
    [
        (PACKAGE, download_token(PACKAGE, 2_000, SECRET), 2_001, "hết hạn"),
        (uuid.uuid4(), download_token(PACKAGE, 2_000, SECRET), 1_000, "không khớp"),
        (PACKAGE, download_token(PACKAGE, 2_000, "other"), 1_000, "không khớp"),
        (PACKAGE, "9999999999." + "0" * 64, 1_000, "không khớp"),  # a later expiry, forged
        (PACKAGE, "abc", 1_000, "không đúng dạng"),
    ],
)
def test_a_wrong_or_expired_token_is_refused(
    package: uuid.UUID, token: str, now: int, why: str
) -> None:
    with pytest.raises(DownloadRefused, match=why):
        check_download_token(package, token, SECRET, now=now)
