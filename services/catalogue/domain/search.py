"""Vietnamese search (domain notes §8): page text and hồ sơ metadata matched without regard to
diacritics or case, the query's syllables as phrases (a Vietnamese word is several syllables:
``lưu trữ``), ``*`` after a syllable for a prefix, ``"…"`` to give several phrases, all of
which must match. Hits whose text has the phrases as typed (with their marks) rank first.

Both forms are stored pre-tokenised, one syllable per token between single spaces, so that
SQLite's FTS5 and PostgreSQL's full-text parser see exactly the same tokens: the folded form
(``luu tru``, one folding rule in Python, đ→d included) and the exact form (``lưu trữ``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.catalogue.domain.extraction.layout import fold_aligned
from shared.errors import PermanentError
from shared.text import nfc, search_words

_EXACT_SPLIT = re.compile(r"[\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')
MAX_PHRASES = 8
MAX_WORDS = 32


class EmptyQuery(PermanentError):
    code = "catalogue.empty-query"
    title = "Từ khóa tìm kiếm rỗng"
    http_status = 422


def exact_words(text: str) -> list[str]:
    """The syllables as written (NFC, lower case): what an exact match compares."""
    return [word for word in _EXACT_SPLIT.split(nfc(text).lower()) if word]


def folded_for_index(text: str) -> str:
    """The folded form as stored: folded syllables between single spaces."""
    return " ".join(search_words(text))


def exact_for_index(text: str) -> str:
    return " ".join(exact_words(text))


@dataclass(frozen=True)
class Phrase:
    """Syllables that must stand side by side; ``prefix``: the last one may go on."""

    folded: tuple[str, ...]
    exact: tuple[str, ...]
    prefix: bool = False


def parse_query(query: str) -> tuple[Phrase, ...]:
    """The phrases of a query: each ``"…"`` is one, and so is the text between them."""
    parts = [*_QUOTED.findall(query), *(_QUOTED.sub("\x00", query).split("\x00"))]
    phrases = []
    for part in parts:
        prefix = part.rstrip().endswith("*")
        folded = tuple(search_words(part))
        exact = tuple(exact_words(part))
        if folded:
            phrases.append(Phrase(folded[:MAX_WORDS], exact[:MAX_WORDS], prefix))
    if not phrases:
        raise EmptyQuery("hãy nhập ít nhất một chữ hoặc số")
    return tuple(phrases[:MAX_PHRASES])


def _spans(text: str, phrase: Phrase) -> list[tuple[int, int]]:
    """Where a phrase stands in the printed text (via the letter-by-letter folded copy)."""
    folded = fold_aligned(nfc(text))
    words = [re.escape(w) for w in phrase.folded]
    pattern = r"(?<![^\W_])" + r"[\W_]+".join(words) + (r"\w*" if phrase.prefix else r"(?![^\W_])")
    return [(m.start(), m.end()) for m in re.finditer(pattern, folded)]


def highlight(text: str, phrases: tuple[Phrase, ...], width: int = 160) -> tuple[str, str]:
    """A window of the printed text around the first match, plain and with ``<mark>``."""
    text = nfc(text)
    spans = sorted(span for phrase in phrases for span in _spans(text, phrase))
    if not spans:
        window = " ".join(text.split())[:width]
        return window, _escape(window)
    first = spans[0][0]
    start = max(0, first - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + width)
    end = end if end == len(text) else max(text.rfind(" ", start, end), spans[0][1])
    marked, cursor = [], start
    for begin, stop in spans:
        if begin < cursor or stop > end:
            continue
        marked.extend([_escape(text[cursor:begin]), "<mark>", _escape(text[begin:stop]), "</mark>"])
        cursor = stop
    marked.append(_escape(text[cursor:end]))

    def tidy(value: str) -> str:
        return " ".join(value.split())

    return tidy(text[start:end]), tidy("".join(marked))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
