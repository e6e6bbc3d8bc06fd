"""Homoglyphs: Cyrillic letters that look Latin typed inside Latin words, and back.

Russian-language newsrooms type agency names and places on a Cyrillic keyboard layout
half the time: "ТASS" (Cyrillic Т), "Каzinform", "АКIpress". To a reader they are the
name; to a matcher they are another word. A word that mixes the two scripts has its
look-alike letters folded into the script most of its letters are in; words in one
script are left alone, so real Cyrillic and Latin text never changes.
"""

from __future__ import annotations

import re

_CYRILLIC_TO_LATIN = dict(zip("АВЕКМНОРСТХУаеорсухіІјЈѕЅ", "ABEKMHOPCTXYaeopcyxiIjJsS", strict=True))
_LATIN_TO_CYRILLIC = {latin: cyrillic for cyrillic, latin in _CYRILLIC_TO_LATIN.items()}
_TO_LATIN = str.maketrans(_CYRILLIC_TO_LATIN)
_TO_CYRILLIC = str.maketrans(_LATIN_TO_CYRILLIC)
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    latin, cyrillic = len(_LATIN.findall(word)), len(_CYRILLIC.findall(word))
    if not latin or not cyrillic:
        return word
    if latin >= cyrillic:
        folded = word.translate(_TO_LATIN)
        return folded if not _CYRILLIC.search(folded) else word
    folded = word.translate(_TO_CYRILLIC)
    return folded if not _LATIN.search(folded) else word


def fold_homoglyphs(text: str) -> str:
    """``text`` with mixed-script words written in one script where the look-alike
    letters allow it ("ТASS" -> "TASS", "Kaзинформ" stays when it cannot be folded)."""
    if not text or not (_LATIN.search(text) and _CYRILLIC.search(text)):
        return text
    return _WORD.sub(_fold_word, text)
