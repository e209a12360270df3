"""Which measured scans are flagged for re-scanning (quét lại), and which only reported."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.ocr.domain import PageQuality, quality_flags

pytestmark = pytest.mark.unit
GOOD = PageQuality(
    effective_dpi=300.0, rotation=0, rotation_confidence=2.0, skew=0.0, residual_skew=0.05,
    blur=1500.0, noise=1.0, contrast=200.0, mean_level=220.0, ink_coverage=0.06, colour=True,
)  # fmt: skip
GOOD_CONFIDENCE = 92.0


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
def test_each_problem_raises_its_flag(change: dict[str, Any], flag: str, rescan: bool) -> None:
    assert quality_flags(GOOD, GOOD_CONFIDENCE) == ()
    measured = {k: v for k, v in change.items() if k != "confidence"}
    confidence = change.get("confidence", GOOD_CONFIDENCE)
    flags = quality_flags(replace(GOOD, **measured), confidence)
    assert flag in flags
    assert replace(GOOD, flags=flags).rescan is rescan
