"""Which measured scans are flagged for re-scanning (quét lại), and which only reported."""

from __future__ import annotations

import pytest

from services.ocr.domain import PageQuality, quality_flags

pytestmark = pytest.mark.unit
GOOD = {
    "effective_dpi": 300.0,
    "blur": 1500.0,
    "contrast": 200.0,
    "mean_level": 220.0,
    "ink_coverage": 0.06,
    "residual_skew": 0.05,
    "colour": True,
    "confidence": 92.0,
}


@pytest.mark.parametrize(
    ("change", "flag", "rescan"),
    [
        ({"effective_dpi": 150.0}, "low-resolution", True),
        ({"blur": 40.0}, "blurred", True),
        ({"mean_level": 60.0}, "too-dark", True),
        ({"mean_level": 253.0, "ink_coverage": 0.001}, "too-light", True),
        ({"contrast": 30.0}, "low-contrast", True),
        ({"ink_coverage": 0.001}, "blank-page", False),
        ({"residual_skew": 1.2}, "residual-skew", False),
        ({"colour": False}, "not-colour", False),
        ({"confidence": 45.0}, "low-confidence", False),
    ],
)
def test_each_problem_raises_its_flag(change: dict[str, object], flag: str, rescan: bool) -> None:
    assert quality_flags(**GOOD) == ()  # type: ignore[arg-type]
    flags = quality_flags(**{**GOOD, **change})  # type: ignore[arg-type]
    assert flag in flags
    quality = PageQuality(
        effective_dpi=300, rotation=0, rotation_confidence=1, skew=0, residual_skew=0, blur=1,
        noise=0, contrast=1, mean_level=1, ink_coverage=1, colour=True, flags=flags,
    )  # fmt: skip
    assert quality.rescan is rescan
