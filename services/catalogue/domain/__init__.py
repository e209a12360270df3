"""The catalogue's domain: hồ sơ, văn bản, pages and phông, and the rules of TT 05/2025 and
of the programme's workflow that they enforce. No I/O, no framework."""

from services.catalogue.domain.search import (  # the skeleton's rules, until the model lands
    ALLOWED,
    EmptyQuery,
    FileExists,
    FileIncomplete,
    FileNotFound,
    FileState,
    IllegalTransition,
    check_transition,
    folded_for_index,
    folded_query,
    snippet,
    state_after_pages,
)

__all__ = [
    "ALLOWED",
    "EmptyQuery",
    "FileExists",
    "FileIncomplete",
    "FileNotFound",
    "FileState",
    "IllegalTransition",
    "check_transition",
    "folded_for_index",
    "folded_query",
    "snippet",
    "state_after_pages",
]
