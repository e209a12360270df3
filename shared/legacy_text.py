"""Vietnamese text from before Unicode: the 8-bit font encodings of old files (domain §8).

Archives typed their mục lục in **TCVN3** (ABC, TCVN 5712:1993 table VN3, the ``.VnTime``
fonts), in **VNI** (VNI Windows fonts: a base letter followed by a separate mark byte) or, on
Vietnamese Windows, in **Windows-1258** (cp1258, tone marks as combining characters). Such
text arrives either as bytes (a CSV) or as Unicode that is really those bytes shown as Latin-1
(a spreadsheet cell typed in ``.VnTime``). Both come out of here as NFC Unicode, read the way
that looks most like Vietnamese; genuine Unicode is never touched.
"""

from __future__ import annotations

import codecs
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from shared.text import nfc

VietnameseEncoding = Literal["utf-8", "utf-16", "cp1258", "tcvn3", "vni"]
SAMPLE_SIZE = 64 * 1024  # bytes of text (from the first line that is not ASCII) to decide on

_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_TONES = frozenset((_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT))
_SHAPED_BASES = {_CIRCUMFLEX: "aeo", _BREVE: "a", _HORN: "ou"}  # which letter takes which shape

# --- TCVN 5712:1993, table VN3 -------------------------------------------------------------
# Bytes A1–AE hold the letters without tone; from B5 each vowel has its five toned forms in
# the standard's order huyền, hỏi, ngã, sắc, nặng. VN3 has no toned capitals: the ``.VnTimeH``
# fonts draw the same lower-case bytes as capitals (see ``_restore_capitals``).
_TCVN3_TONE_ORDER = (_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)
_TCVN3_UNTONED = dict(zip(range(0xA1, 0xAF), "ĂÂÊÔƠƯĐăâêôơưđ", strict=True))
_TCVN3_TONED_AT = (
    ("a", (0xB5, 0xB6, 0xB7, 0xB8, 0xB9)),
    ("ă", (0xBB, 0xBC, 0xBD, 0xBE, 0xC6)),
    ("â", (0xC7, 0xC8, 0xC9, 0xCA, 0xCB)),
    ("e", (0xCC, 0xCE, 0xCF, 0xD0, 0xD1)),
    ("ê", (0xD2, 0xD3, 0xD4, 0xD5, 0xD6)),
    ("i", (0xD7, 0xD8, 0xDC, 0xDD, 0xDE)),
    ("o", (0xDF, 0xE1, 0xE2, 0xE3, 0xE4)),
    ("ô", (0xE5, 0xE6, 0xE7, 0xE8, 0xE9)),
    ("ơ", (0xEA, 0xEB, 0xEC, 0xED, 0xEE)),
    ("u", (0xEF, 0xF1, 0xF2, 0xF3, 0xF4)),
    ("ư", (0xF5, 0xF6, 0xF7, 0xF8, 0xF9)),
    ("y", (0xFA, 0xFB, 0xFC, 0xFD, 0xFE)),
)


def _tcvn3_table() -> dict[int, str]:
    table = dict(_TCVN3_UNTONED)
    for vowel, positions in _TCVN3_TONED_AT:
        for position, tone in zip(positions, _TCVN3_TONE_ORDER, strict=True):
            table[position] = nfc(vowel + tone)
    return table


_TCVN3 = _tcvn3_table()

# --- VNI Windows ---------------------------------------------------------------------------
# A vowel is typed as its ASCII letter followed by a mark byte; lower- and upper-case fonts
# use different bytes for the same mark. đ ư ơ and the toned i are letters of their own.
_VNI_MARK_BYTES = (  # lower-case font, capitals font, the marks the byte adds
    ("ø", "Ø", _GRAVE),
    ("û", "Û", _HOOK),
    ("õ", "Õ", _TILDE),
    ("ù", "Ù", _ACUTE),
    ("ï", "Ï", _DOT),
    ("â", "Â", _CIRCUMFLEX),
    ("ê", "Ê", _BREVE),
    ("à", "À", _CIRCUMFLEX + _GRAVE),
    ("å", "Å", _CIRCUMFLEX + _HOOK),
    ("ã", "Ã", _CIRCUMFLEX + _TILDE),
    ("á", "Á", _CIRCUMFLEX + _ACUTE),
    ("ä", "Ä", _CIRCUMFLEX + _DOT),
    ("è", "È", _BREVE + _GRAVE),
    ("ú", "Ú", _BREVE + _HOOK),
    ("ü", "Ü", _BREVE + _TILDE),
    ("é", "É", _BREVE + _ACUTE),
    ("ë", "Ë", _BREVE + _DOT),
)
_VNI_MARKS = {byte: marks for *bytes_, marks in _VNI_MARK_BYTES for byte in bytes_}
_VNI_LETTERS = {
    "ñ": "đ",
    "Ñ": "Đ",
    "ö": "ư",
    "Ö": "Ư",
    "ô": "ơ",
    "Ô": "Ơ",
    "æ": "ỉ",
    "Æ": "Ỉ",
    "ó": "ĩ",
    "Ó": "Ĩ",
    "ò": "ị",
    "Ò": "Ị",
    "î": "ỵ",
    "Î": "Ỵ",
}
_VNI_TONED_BASES = "aeouy"  # the toned i (ì í ỉ ĩ ị) are single bytes, never letter + mark

# --- how Vietnamese a text looks -------------------------------------------------------------
_VIETNAMESE_LATIN_1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý\u00a0")
_EDGE_PUNCTUATION = string.punctuation + "«»“”‘’„…–—¡¿"
_ALPHABET = frozenset("abcdđeghiklmnopqrstuvxy")
_VOWELS = frozenset("aăâeêioôơuưy")
_ONSETS = (
    *("ngh", "ng", "gh", "gi", "ch", "kh", "nh", "ph", "th", "tr", "qu"),
    *("b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""),
)
_FRONT_ONSETS = frozenset(("k", "gh", "ngh"))  # only before e ê i y
_BACK_ONSETS = frozenset(("c", "g", "ng"))  # never before e ê i y
_OPEN_VOWELS = frozenset(  # vowel groups that may end a syllable
    (
        *("a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây"),
        *("eo", "êu", "ia", "iu", "oa", "oe", "oi", "ôi", "ơi", "ua", "uê", "ui", "uy", "ưa"),
        *("ưi", "ưu", "uơ", "iêu", "yêu", "oai", "oay", "oao", "oeo", "uây", "uôi", "ươi"),
        *("ươu", "uya", "uyu"),
    )
)
_CLOSED_VOWELS = frozenset(  # vowel groups a final consonant may follow
    (
        *("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "iê", "yê", "uô", "ươ", "oa"),
        *("oă", "oe", "oo", "uâ", "uê", "uy", "uyê"),
    )
)
_FINALS = frozenset(("c", "ch", "m", "n", "ng", "nh", "p", "t"))
_PALATAL_FINALS = frozenset(("ch", "nh"))
_PALATAL_VOWELS = frozenset(("a", "ê", "i", "oa", "uê", "uy"))  # the only ones before ch, nh
_STOP_FINALS = frozenset(("c", "ch", "p", "t"))
_STOP_TONES = frozenset((_ACUTE, _DOT))  # a syllable ending in a stop takes sắc or nặng
_LINE_BREAK = re.compile(r"[\r\n]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class DecodedText:
    """Text of a legacy file, as NFC, and the encoding it was read in."""

    text: str
    encoding: VietnameseEncoding


def repair_legacy(text: str) -> str:
    """Unicode that is really TCVN3 or VNI bytes shown as Latin-1, converted; else NFC.

    Only text made of characters up to U+00FF is a candidate, and only when something in it
    is not Vietnamese: a character Vietnamese never uses (``µ`` in ``hoµ``), or a word that
    is no Vietnamese syllable (``Thêi``). It is converted when a reading is more plausible
    Vietnamese than the text itself. A converted text is looked at again until nothing
    changes, so the result is a fixed point: repairing it twice changes nothing.
    """
    current = text
    while (better := _better_reading(current)) is not None:
        current = better
    return nfc(current)


def _better_reading(text: str) -> str | None:
    if text.isascii() or max(text) > "\xff":
        return None
    scores = _word_scores(text)
    foreign = any(ord(ch) >= 0x80 and ch not in _VIETNAMESE_LATIN_1 for ch in text)
    if not foreign and all(score > 0 for score in scores):
        return None
    best, best_score = None, sum(scores)
    for convert in (_from_tcvn3, _from_vni):
        reading = nfc(convert(text))
        if reading != text and (score := plausibility(reading)) > best_score:
            best, best_score = reading, score
    return best


def plausibility(text: str) -> int:
    """How Vietnamese a text looks: words that are Vietnamese syllables count +1, other words
    with letters beyond ASCII count -1; ASCII words, numbers and codes count nothing."""
    return sum(_word_scores(text))


def _word_scores(text: str) -> list[int]:
    scores = []
    for token in text.split():
        core = token.strip(_EDGE_PUNCTUATION)
        if not core or core.isascii() or any(ch.isdigit() for ch in core):
            continue
        parts = nfc(core).lower().split("-")
        scores.append(1 if all(is_syllable(part) for part in parts) else -1)
    return scores


def is_syllable(word: str) -> bool:
    """Whether a lower-case NFC word is a well-formed Vietnamese syllable (tiếng): letters of
    the Vietnamese alphabet, at most one tone mark, on a vowel, and an onset, vowel group and
    final that Vietnamese spelling allows (``gh``/``ngh``/``k`` only before e ê i y, a stop
    final only with sắc or nặng)."""
    tone = ""
    plain: list[str] = []
    for ch in word:
        if unicodedata.combining(ch):
            return False  # a mark that found no letter to sit on
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        if base not in _ALPHABET:
            return False
        shape = ""
        for mark in marks:
            if mark in _TONES and not tone and base in "aeiouy":
                tone = mark
            elif base in _SHAPED_BASES.get(mark, "") and not shape:
                shape = mark
            else:
                return False
        plain.append(nfc(base + shape))
    return _well_spelled("".join(plain), tone)


def _well_spelled(plain: str, tone: str) -> bool:
    for onset in _ONSETS:
        if not plain.startswith(onset):
            continue
        rest = plain[len(onset) :]
        if onset == "gi" and (not rest or rest[0] not in _VOWELS):
            rest = "i" + rest  # "gì", "gìn": the i of gi is also the vowel
        vowels = rest[: len(rest) - len(rest.lstrip("aăâeêioôơuưy"))]
        final = rest[len(vowels) :]
        if vowels and _rhyme_allowed(onset, vowels, final, tone):
            return True
    return False


def _rhyme_allowed(onset: str, vowels: str, final: str, tone: str) -> bool:
    if final:
        if final not in _FINALS or vowels not in _CLOSED_VOWELS:
            return False
        if final in _PALATAL_FINALS and vowels not in _PALATAL_VOWELS:
            return False
        if final in _STOP_FINALS and tone not in _STOP_TONES:
            return False
    elif vowels not in _OPEN_VOWELS:
        return False
    front = vowels[0] in "eêiy"
    if onset in _FRONT_ONSETS:
        return front
    return not (onset in _BACK_ONSETS and front)


# --- conversions of a Latin-1 view ---------------------------------------------------------


def _from_tcvn3(latin_1: str) -> str:
    """TCVN3 bytes (as Latin-1 characters) to Unicode, capitals of ``.VnTimeH`` restored."""
    converted = latin_1.translate(_TCVN3)
    return _restore_capitals(latin_1, converted) if converted != latin_1 else converted


def _restore_capitals(source: str, converted: str) -> str:
    """Upper-case the converted letters of words typed in a capitals font (``.VnTimeH``).

    The bytes do not say which font drew them; a word says it by its ASCII letters: all
    capitals, one of them after its first letter (``CéNG`` is CỘNG). A word with no more than
    a leading ASCII capital (``Hå``, ``Tù``) follows the nearest converted word on either side
    on the same line that says so.
    """
    words = [
        word for word in _TCVN3_WORD.finditer(source) if _TCVN3_SOURCE.intersection(word.group())
    ]
    evidence = [_typed_in_capitals(word.group()) for word in words]
    result = list(converted)
    for index, word in enumerate(words):
        if not evidence[index]:
            if not _may_be_capitals(word.group()):
                continue
            neighbours = (index - 1, index + 1)
            if not any(
                0 <= other < len(words)
                and evidence[other]
                and _same_line(source, *sorted((word, words[other]), key=lambda w: w.start()))
                for other in neighbours
            ):
                continue
        for position in range(word.start(), word.end()):
            if source[position] in _TCVN3_SOURCE and len(upper := result[position].upper()) == 1:
                result[position] = upper
    return "".join(result)


_TCVN3_SOURCE = frozenset(chr(code) for code in _TCVN3)
_TCVN3_WORD = re.compile(  # a word as TCVN3 bytes show it: ASCII and Latin-1 letters
    "[A-Za-z" + re.escape("".join(sorted(_TCVN3_SOURCE))) + "\u00c0-\u00ff]+"
)


def _typed_in_capitals(word: str) -> bool:
    """A capitals font shows itself by a lower-case byte among ASCII capitals (``CéNG``);
    ``H§ND`` proves nothing, § being the capital Đ in every font."""
    if not _may_be_capitals(word) or not any(_TCVN3.get(ord(ch), "A").islower() for ch in word):
        return False
    letters = [i for i, ch in enumerate(word) if ch.isalpha() or ch in _TCVN3_SOURCE]
    return any(word[i].isascii() and word[i].isupper() for i in letters[1:])


def _may_be_capitals(word: str) -> bool:
    ascii_letters = [ch for ch in word if ch.isascii() and ch.isalpha()]
    has_converted = any(ch in _TCVN3_SOURCE for ch in word)
    return has_converted and all(ch.isupper() for ch in ascii_letters)


def _same_line(source: str, first: re.Match[str], second: re.Match[str]) -> bool:
    return _LINE_BREAK.search(source, first.end(), second.start()) is None


def _from_vni(latin_1: str) -> str:
    """VNI bytes (as Latin-1 characters) to Unicode: each mark byte joins the vowel before it
    when that vowel can take it; a mark that cannot stays as it is."""
    out: list[str] = []
    for ch in latin_1:
        marks = _VNI_MARKS.get(ch)
        if marks is not None and out and (joined := _with_marks(out[-1], marks)) is not None:
            out[-1] = joined
        else:
            out.append(_VNI_LETTERS.get(ch, ch))
    return "".join(out)


def _with_marks(letter: str, marks: str) -> str | None:
    decomposed = unicodedata.normalize("NFD", letter)
    base, present = decomposed[0], decomposed[1:]
    if base.lower() not in _VNI_TONED_BASES:
        return None
    has_tone = any(mark in _TONES for mark in present)
    has_shape = any(mark in _SHAPED_BASES for mark in present)
    for mark in marks:
        if mark in _TONES:
            if has_tone:
                return None
        elif has_shape or has_tone or base.lower() not in _SHAPED_BASES[mark]:
            return None
    return nfc(letter + marks)


# --- bytes ---------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, VietnameseEncoding], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_EIGHT_BIT: tuple[tuple[VietnameseEncoding, Callable[[bytes], str]], ...] = (
    ("cp1258", lambda data: nfc(data.decode("cp1258", errors="replace"))),
    ("tcvn3", lambda data: nfc(_from_tcvn3(data.decode("latin-1")))),
    ("vni", lambda data: nfc(_from_vni(data.decode("latin-1")))),
)


def detect_encoding(sample: bytes) -> VietnameseEncoding:
    """The encoding of a text file, from its first bytes: a BOM; else UTF-8 if the sample is
    UTF-8 (a sequence cut at its end is allowed); else the most plausible of cp1258, TCVN3
    and VNI, in that order when they tie."""
    return _detect(sample, at_start=True, whole=False)


def _detect(sample: bytes, *, at_start: bool, whole: bool) -> VietnameseEncoding:
    if at_start:
        for bom, encoding in _BOMS:
            if sample.startswith(bom):
                return encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    scores = [(plausibility(decode(sample)), encoding) for encoding, decode in _EIGHT_BIT]
    best = max(score for score, _ in scores)
    return next(encoding for score, encoding in scores if score == best)


class VietnameseDecoder:
    """Incremental decoding of a large text file in one of the encodings above.

    Leading lines of plain ASCII pass straight through; from the first line that is not
    ASCII, ``sample_size`` bytes decide the encoding for the rest. Text comes out in whole
    lines (the last one at ``final``), because a VNI mark or a combining tone joins the
    letter before it and the ``.VnTimeH`` capitals are judged within a line: the result is
    the same however the bytes are split. Bytes that are not UTF-8 after a UTF-8 decision
    raise ``UnicodeDecodeError``.
    """

    def __init__(self, sample_size: int = SAMPLE_SIZE) -> None:
        self._sample_size = max(sample_size, 1)
        self._undecided = bytearray()
        self._at_start = True
        self._encoding: VietnameseEncoding | None = None
        self._codec: codecs.IncrementalDecoder | None = None
        self._convert: Callable[[str], str] = nfc
        self._pending = ""

    @property
    def encoding(self) -> VietnameseEncoding | None:
        """The encoding decided on, None while only ASCII has been seen."""
        return self._encoding

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._codec is not None:
            return self._lines(self._codec.decode(data, final), final)
        self._undecided += data
        released = self._release_ascii_lines()
        if not final and len(self._undecided) < self._sample_size:
            return released
        sample = bytes(self._undecided)
        self._undecided.clear()
        encoding = _detect(sample, at_start=self._at_start, whole=final)
        codec = self._codec = self._start(encoding)
        return released + self._lines(codec.decode(sample, final), final)

    def _release_ascii_lines(self) -> str:
        first_non_ascii = _NON_ASCII.search(self._undecided)
        end = self._undecided.rfind(b"\n", 0, first_non_ascii.start() if first_non_ascii else None)
        if end < 0:
            return ""
        released = self._undecided[: end + 1].decode("ascii")
        del self._undecided[: end + 1]
        self._at_start = False
        return released

    def _start(self, encoding: VietnameseEncoding) -> codecs.IncrementalDecoder:
        self._encoding = encoding
        codec_name, self._convert = {
            "utf-8": ("utf-8-sig" if self._at_start else "utf-8", nfc),
            "utf-16": ("utf-16", nfc),
            "cp1258": ("cp1258", nfc),
            "tcvn3": ("latin-1", lambda text: nfc(_from_tcvn3(text))),
            "vni": ("latin-1", lambda text: nfc(_from_vni(text))),
        }[encoding]
        errors = "replace" if encoding == "cp1258" else "strict"  # five bytes cp1258 leaves out
        return codecs.getincrementaldecoder(codec_name)(errors)

    def _lines(self, text: str, final: bool) -> str:
        text = self._pending + text
        if final:
            self._pending = ""
            return self._convert(text)
        # Cut after the last line break; a trailing "\r" may be the first half of "\r\n".
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        self._pending = text[cut:]
        return self._convert(text[:cut])


def decode_vietnamese(data: bytes) -> DecodedText:
    """The whole of a legacy text file, decoded as :class:`VietnameseDecoder` would, the
    encoding decided on all of it; UTF-8 that is TCVN3 or VNI mojibake is also repaired."""
    decoder = VietnameseDecoder(sample_size=len(data))
    text = decoder.decode(data, final=True)
    encoding = decoder.encoding or "utf-8"
    if encoding == "utf-8":
        text = repair_legacy(text)
    return DecodedText(text=text, encoding=encoding)


def decode_stream(stream: BinaryIO, chunk_size: int = SAMPLE_SIZE) -> Iterator[str]:
    """Decode a binary stream piece by piece: each piece ends at a line break, except the last."""
    decoder = VietnameseDecoder()
    while chunk := stream.read(chunk_size):
        if text := decoder.decode(chunk):
            yield text
    if text := decoder.decode(b"", final=True):
        yield text
