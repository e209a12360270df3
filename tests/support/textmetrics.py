"""Character and word error rates for scoring OCR output against known ground truth.

Scoring must not punish what OCR cannot know or what sohoa deliberately changes: line breaks,
runs of spaces and the Unicode form (tesseract may emit NFD "ệ" = e + ◌̣ + ◌̂, sohoa stores
NFC). So both texts are normalised first, then compared with the Levenshtein distance.

The distance uses the bit-parallel algorithm of Myers (1999) in Hyyrö's formulation, with
Python's arbitrary-length integers as the bit vectors: one pass over the hypothesis with a
dozen integer operations per symbol, so a 2,000-character page scores in a few milliseconds
without a compiled dependency.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Sequence

__all__ = ["cer", "edit_distance", "normalise_for_scoring", "wer"]


def normalise_for_scoring(text: str) -> str:
    """NFC, every run of whitespace (newlines included) as one space, no leading/trailing."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def edit_distance(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance (insert, delete, substitute; each costs 1) between two sequences.

    Works on any sequences of hashable symbols: characters of a string or words of a list.
    """
    if len(a) < len(b):
        a, b = b, a  # the bit vectors span the shorter sequence
    m = len(b)
    if m == 0:
        return len(a)
    # Bit i of peq[symbol] is set where b[i] == symbol.
    peq: dict[Hashable, int] = {}
    for i, symbol in enumerate(b):
        peq[symbol] = peq.get(symbol, 0) | (1 << i)
    mask = (1 << m) - 1
    top = 1 << (m - 1)
    pv, mv, score = mask, 0, m  # vertical deltas of column 0 are all +1
    for symbol in a:
        eq = peq.get(symbol, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & mask  # row 0 grows by one per column: a +1 horizontal delta
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def cer(truth: str, hypothesis: str) -> float:
    """Character error rate: edit distance of the normalised texts / length of the truth.

    0.0 is perfect; it can exceed 1.0 when the hypothesis adds more than the truth holds. An
    empty truth counts as one character, so anything read off a blank page is an error.
    """
    expected, actual = normalise_for_scoring(truth), normalise_for_scoring(hypothesis)
    return edit_distance(expected, actual) / max(len(expected), 1)


def wer(truth: str, hypothesis: str) -> float:
    """Word error rate: edit distance over whitespace-separated words / words in the truth.

    A Vietnamese word here is one syllable (chữ), the unit the script separates by spaces, so a
    single wrong tone mark costs a whole word: WER shows what a reader or a search would miss.
    """
    expected = normalise_for_scoring(truth).split()
    actual = normalise_for_scoring(hypothesis).split()
    return edit_distance(expected, actual) / max(len(expected), 1)
