"""Which names the hot folder and `sohoa import` take, and as what page."""

from __future__ import annotations

import pytest

from services.ops.hotfolder import scan_name

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("H49.64.33.2024.01", "0003.tif"), ("H49.64.33.2024.01", 3)),
        (("H49.64.33.2024.01", "12.JPG"), ("H49.64.33.2024.01", 12)),
        (("H49.64.33.2024.01.pdf",), ("H49.64.33.2024.01", None)),
        (("H49.64.33.2024.01", "0000.png"), ("", None)),
        (("H49.64.33.2024.01", "trang-3.png"), ("", None)),
        (("H49.64.33.2024.01", "0003.gif"), ("", None)),
        (("a", "b", "0003.png"), ("", None)),
    ],
)
def test_scan_names(parts: tuple[str, ...], expected: tuple[str, int | None]) -> None:
    assert scan_name(parts) == expected
