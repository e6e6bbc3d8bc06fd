"""Language and script of a story.

py3langid ships its model (no download at run time) and knows 97 languages, but not Uzbek,
Tajik or Turkmen; it calls Uzbek Latin Turkish or Azerbaijani. So the feed's declared
language wins when the identifier is unsure or when the declared language is one it cannot
recognise; otherwise the identifier wins (a Russian feed carrying English items). Script
matters where a language is written in two (Uzbek and Kazakh in Latin and Cyrillic).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

# Normalised probability above which the identifier overrides the feed's declared language.
# Headline-plus-summary texts score 0.4-0.8 even when right, so below this the feed's word
# stands unless the text is plainly in another script.
CONFIDENT = 0.9
# Too few letters to identify: the declared language is all we have.
MIN_LETTERS = 20
_SCRIPTS = {
    "LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "ARABIC": "Arabic",
    "CJK": "Han",
    "GEORGIAN": "Georgian",
    "ARMENIAN": "Armenian",
    "HANGUL": "Hangul",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "GREEK": "Greek",
    "HEBREW": "Hebrew",
    "DEVANAGARI": "Devanagari",
}


# The script a language is written in, where it has one; Uzbek, Kazakh, Kyrgyz and Turkmen
# are left out on purpose (both scripts in use).
_USUAL_SCRIPT = {
    **dict.fromkeys(("ru", "uk", "be", "bg", "tg", "mn", "mk"), "Cyrillic"),
    **dict.fromkeys(("en", "de", "fr", "es", "it", "pt", "tr", "pl", "nl", "az"), "Latin"),
    "zh": "Han",
    "ar": "Arabic",
    "fa": "Arabic",
    "ka": "Georgian",
    "hy": "Armenian",
}


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


# The first this-many characters decide language and script: a story does not change
# language after its lead, and classifying whole bodies cost more than all other
# enrichment together (benchmarks/ingest.py, 25,000 entries).
SAMPLE_CHARS = 2_000
# When the feed's declared language is written in the script the text is in, the identifier
# only has to confirm it (or catch a confident other language of that script): the lead's
# first this-many characters do that as well as 2,000 (same answers on the real-page
# corpus) at a quarter of the cost, which was the largest single cost of enrichment.
CONFIRM_CHARS = 500


@lru_cache(maxsize=8192)
def _script_of_letter(ch: str) -> str:
    return _SCRIPTS.get(unicodedata.name(ch, "").split(" ", 1)[0], "Other")


def detect_script(text: str) -> str | None:
    """The script most letters are written in (Latin, Cyrillic, Arabic, ...), or None."""
    counts: Counter[str] = Counter()
    for ch, n in Counter(text[:SAMPLE_CHARS]).items():
        if ch.isalpha():
            counts[_script_of_letter(ch)] += n
    return counts.most_common(1)[0][0] if counts else None


def has_letters(text: str, wanted: int) -> bool:
    """Whether ``text`` has at least ``wanted`` letters; stops counting there (counting
    every letter of every sample was a sixth of language id, benchmarks/ingest.py)."""
    found = 0
    for ch in text:
        if ch.isalpha():
            found += 1
            if found >= wanted:
                return True
    return False


def detect_language(text: str, declared: str | None = None, script: str | None = None) -> str | None:
    """ISO 639-1 code of the text; ``declared`` is what the feed or page says."""
    text = text[:SAMPLE_CHARS]
    usual = _USUAL_SCRIPT.get(declared) if declared else None
    script = script or detect_script(text)
    if usual is not None and script == usual:
        text = text[:CONFIRM_CHARS]
    if not has_letters(text, MIN_LETTERS):
        return declared
    language, probability = _identifier().classify(text)
    if declared is None or language == declared or probability >= CONFIDENT:
        return language
    if usual and script not in (None, usual):
        return language
    return declared
