"""Clean-up steps on synthetic pages: what each one must change, and what it must leave."""

from __future__ import annotations

import numpy as np
import pytest

from services.ocr.adapters.imaging import whiten_dark_edges

pytestmark = pytest.mark.unit


def test_a_dark_scanner_edge_becomes_paper_and_a_clean_page_is_left_alone() -> None:
    page = np.full((1200, 900), 235, np.uint8)
    page[300:320, 200:700] = 30  # a line of print
    assert whiten_dark_edges(page) is page
    edged = page.copy()
    edged[:, :60] = 20  # the scanner lid's shadow down the left side
    whitened = whiten_dark_edges(edged)
    assert (whitened[:, :60] == 255).all()
    assert (whitened[300:320, 200:700] == 30).all()  # print is not an edge
