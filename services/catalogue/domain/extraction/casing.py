"""Normal case for what NĐ 30 prints in capitals: issuers (``SỞ THÔNG TIN VÀ TRUYỀN THÔNG`` →
``Sở Thông tin và Truyền thông``), signers' titles (``PHÓ GIÁM ĐỐC`` → ``Phó Giám đốc``) and
names. Vietnamese capitalises an organ's kind (Sở, Ủy ban, Trung tâm) and the first syllable
of its field, each part after ``và`` or a dash, and every syllable of a place or a person's
name; abbreviations such as UBND stay as printed."""

from __future__ import annotations

from services.catalogue.domain.extraction.layout import fold_aligned

ABBREVIATIONS = frozenset({"UBND", "HĐND", "MTTQ", "TW", "VP", "TP", "BCH", "CP", "VT"})
AUTHORITIES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
"""Thay mặt, ký thay, thừa lệnh, thừa ủy quyền, quyền: who signs for whom (NĐ 30)."""
_BODIES = ("uy ban", "hoi dong", "mat tran")  # a kind whose next words are not a field name
_KINDS = (  # a kind whose next syllable starts its field: Sở Nội vụ, Trung tâm Lưu trữ
    *("van phong", "trung tam", "chi cuc", "tong cuc"),
    *("so", "bo", "ban", "phong", "cuc", "vien", "ty"),
)
_PLACES = ("thanh pho", "thi xa", "thi tran", "tinh", "huyen", "quan", "xa", "phuong")
_TITLE_HEADS = frozenset({"pho", "chanh", "tong", "quyen"})  # Phó Giám đốc, Chánh Văn phòng


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _key(words: list[str], index: int, keys: tuple[str, ...]) -> int:
    """How many words from ``index`` make one of ``keys`` (0 if none), longest first."""
    folded = [fold_aligned(w).strip(",.;:") for w in words[index : index + 2]]
    for key in keys:
        size = len(key.split())
        if " ".join(folded[:size]) == key:
            if key == "xa" and folded[1:2] == ["hoi"]:
                return 0  # xã hội, not a commune
            return size
    return 0


def organ_case(text: str) -> str:
    """An issuer's name in normal case."""
    words = text.split()
    out: list[str] = []
    capitalise_next, in_place = True, False
    index = 0
    while index < len(words):
        word = words[index]
        if word.upper() in ABBREVIATIONS:
            out.append(word.upper())
            capitalise_next = False
            index += 1
            continue
        if size := _key(words, index, _BODIES) or _key(words, index, _KINDS):
            kind = _key(words, index, _KINDS) == size and not _key(words, index, _BODIES)
            out.extend([_cap(word), *(w.lower() for w in words[index + 1 : index + size])])
            capitalise_next, index = kind, index + size
            continue
        if size := _key(words, index, _PLACES):
            if fold_aligned(" ".join(words[index + size : index + size + 1])) == "uy":
                out.extend([_cap(words[index]), words[index + 1].lower()])  # Tỉnh ủy, Huyện ủy
                capitalise_next, in_place, index = False, True, index + 2
                continue
            first = capitalise_next or in_place
            unit = words[index : index + size]
            out.extend(_cap(w) if first and n == 0 else w.lower() for n, w in enumerate(unit))
            capitalise_next, in_place, index = False, True, index + size
            continue
        out.append(_cap(word) if capitalise_next or in_place else word.lower())
        capitalise_next = fold_aligned(word) in ("va", "-", "–")
        index += 1
    return " ".join(out)


def title_case(text: str) -> str:
    """A signer's title or authority: ``KT. CHỦ TỊCH`` → ``KT. Chủ tịch``, ``TM. ỦY BAN NHÂN
    DÂN`` → ``TM. Ủy ban nhân dân``, ``PHÓ GIÁM ĐỐC`` → ``Phó Giám đốc``."""
    words = text.split()
    if not words:
        return ""
    prefix = [words.pop(0).upper()] if words[0].upper() in AUTHORITIES else []
    if words and (_key(words, 0, _BODIES) or _key(words, 0, ("ban",))):  # TM. Ban Thường vụ
        return " ".join([*prefix, organ_case(" ".join(words))])
    out: list[str] = []
    capitalise = True
    for word in words:
        out.append(_cap(word) if capitalise else word.lower())
        capitalise = fold_aligned(word) in _TITLE_HEADS
    return " ".join([*prefix, *out])


def name_case(text: str) -> str:
    """A person's name: every syllable capitalised."""
    return " ".join(_cap(w) for w in text.split())
