"""Region tagging: which countries a story mentions, driven by a gazetteer file.

The gazetteer (``feeds/regions/<region>.toml``, plus the files it includes) lists each
country's names, demonyms, places and leaders in every script the desk reads; word forms
come from inflection rules in the same data, so "в Бишкеке" and "O'zbekistonda" match
without a list of every case. Matching is on whole words after case folding and removing
diacritics, over word n-grams (for "New Delhi", "Иссык-Куль").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from newswire.tasks.datafiles import DataFileError, load_data_file
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.primary import PrimaryEvidence, rank_countries

DEFAULT_REGION = DEFAULT_DESK.region
# A title mention says more about what a story is about than one in paragraph nine: the
# region share (``region_score``) counts it this many times.
TITLE_WEIGHT = 3
# The lead, the text's first words: where a story says what it is about (a feature of the
# primary-country model, tasks/primary.py).
LEAD_WORDS = 60
_TERM_KEYS = ("names", "demonyms", "places", "leaders")
# Stem matching: a stem this long at least, followed by at most this many letters.
MIN_STEM = 5
MAX_ENDING = 3
# A case ending written after an apostrophe ("Kazakistan'ından"): at most this many letters.
MAX_APOSTROPHE_ENDING = 6
# A currency sign written onto a country's code ("US$188.7 million", "HK$", "NZ$"): the
# currency, not the country; the sign is split off before matching.
_CURRENCY_SIGN = re.compile(r"\b(?:US|U\.S\.|A|AU|C|CA|NZ|HK|S|NT)\s?\$")
# Arabic writes the article and some prepositions onto the word ("الكازاخستاني").
_ARTICLES = ("وال", "بال", "لل", "ال")
_ARTICLE_STARTS = frozenset(a[0] for a in _ARTICLES)
# Georgian vowels too: its case endings follow the stem ("თურქმენეთი" -> "თურქმენეთის").
_VOWELS = frozenset("aeiouyáéíóúýаеёиоуыэюяіәөүұაეიოუ")
_APOSTROPHE_MARKS = "’ʻʼ‘`´"
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?", re.UNICODE)


# Every combining mark of the Basic Multilingual Plane, deleted in one substitution (a
# per-character unicodedata.combining() test was a third of tagging time, and a translate
# table still looks every character of non-ASCII text up).
_COMBINING = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.combining(chr(c))) + "]"
)


def _unify_apostrophes(text: str) -> str:
    """Every apostrophe-like mark as "'" ("Kazakistan’dan" -> "Kazakistan'dan"); one scan
    per mark (a translate table looks every character of non-ASCII text up)."""
    for mark in _APOSTROPHE_MARKS:
        if mark in text:
            text = text.replace(mark, "'")
    return text


def fold(text: str) -> str:
    """Case-folded, diacritics removed, apostrophes unified: the form both the gazetteer
    and the text are compared in (ё and е, й and и fold together, as Russian writers do)."""
    text = unicodedata.normalize("NFKD", _unify_apostrophes(text).casefold())
    return _COMBINING.sub("", text)


# Scripts written without spaces between words: CJK ideographs, kana.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A lead of N words is about 2N characters of Chinese.
_UNSPACED_CHARS_PER_WORD = 2
_UNSPACED_ETHNIC = frozenset("族")
_UNSPACED_ORGANISATION = "合作"


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text).replace("-", " "))


@lru_cache(maxsize=262_144)
def _fold_token(token: str) -> str:
    return fold(token)


LOWER, CAPITALISED, ALL_CAPS = 0, 1, 2


def _case_of(token: str) -> int:
    if token[:1].islower():
        # Georgian running text is all Mkhedruli, which Unicode calls lower case: its names
        # are written like every other word, as in the scripts without capitals.
        return CAPITALISED if "\u10d0" <= token[0] <= "\u10ff" else LOWER
    # "ABD'nin": an abbreviation with its case ending after the apostrophe.
    head = token.split("'", 1)[0]
    return ALL_CAPS if len(head) > 1 and head.isupper() else CAPITALISED


# A sentence ends between two tokens at a full stop, question or exclamation mark (or an
# ellipsis) before a capitalised token, or at a line break: "U.S. companies" runs on.
_SENTENCE_BREAK = re.compile(r"[.!?…。！？]\s+(?=[^\W\d_])|\n")


def sentence_ends(text: str) -> frozenset[int]:
    """Indices of the tokens of ``cased_tokens(text)`` that end a sentence, so a guard
    that reads the words after a name stops there ("... deposits in Kazakhstan. The
    company's shares fell" gives Kazakhstan no company to be the nationality of)."""
    prepared = _unify_apostrophes(text).replace("-", " ")
    spans = [match.span() for match in _TOKEN.finditer(prepared)]
    ends = set()
    for index in range(len(spans) - 1):
        gap = _SENTENCE_BREAK.search(prepared, spans[index][1], spans[index + 1][0] + 1)
        if gap is not None and (gap.group() == "\n" or prepared[spans[index + 1][0]].isupper()):
            ends.add(index)
    return frozenset(ends)


def cased_tokens(text: str) -> tuple[list[str], list[int]]:
    """The folded tokens of ``text`` (as ``tokens``) and, per token, how it was written:
    LOWER, CAPITALISED or ALL_CAPS. CLDR names that are also everyday words ("того" is
    Togo in Russian) count only when capitalised; an abbreviation ("ABD", "АҚШ") only in
    capitals, since "Abd" is a part of Arabic names."""
    raw = _TOKEN.findall(_unify_apostrophes(text).replace("-", " "))
    # A script without capitals (Arabic, Chinese) writes every name "capitalised".
    # (map: the per-token loop was a third of this function)
    return list(map(_fold_token, raw)), list(map(_case_of, raw))


# Transliteration of Cyrillic (Russian, Kazakh, Kyrgyz, Tajik, Uzbek letters) to Latin,
# only to pair a place written in Cyrillic with its Latin name in the gazetteer
# ("Душанбе" -> "dushanbe" -> Dushanbe); never shown to anyone.
_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        "ё": "yo",
        "ж": "zh",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ю": "yu",
        "я": "ya",
        "ь": "",
        "ъ": "",
        "ә": "a",
        "ғ": "g",
        "қ": "k",
        "ң": "n",
        "ө": "o",
        "ұ": "u",
        "ү": "u",
        "һ": "h",
        "і": "i",
        "ў": "o",
        "ҳ": "h",
        "ҷ": "j",
        "ӣ": "i",
        "ӯ": "u",
    }
)


# Turkic Latin letters whose diacritic makes another sound (Bişkek, Aşgabat, Çimkent).
_LATIN_SOUNDS = str.maketrans(
    {"ş": "sh", "ç": "ch", "ı": "i", "ğ": "g", "ə": "a", "ň": "n", "ž": "zh", "ý": "y"}
)


def translit_key(name: str) -> str:
    """A script-independent key for a place name: folded, transliterated, letters only."""
    return "".join(
        ch for ch in fold(name.casefold().translate(_LATIN_SOUNDS)).translate(_TRANSLIT) if ch.isalpha()
    )


def script_of(word: str) -> str:
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return name.split()[0].capitalize() if name else "Other"
    return "Other"


@dataclass(frozen=True)
class InflectionRule:
    script: str
    ends_with: tuple[str, ...]
    replace: bool
    endings: tuple[str, ...]
    # The endings make a demonym of the name (Uzbek "rossiyalik", Kazakh "ресейлік"):
    # written in lower case, read with the demonym guards.
    demonym: bool = False

    def forms(self, word: str) -> list[str]:
        if script_of(word) != self.script:
            return []
        for ending in sorted(self.ends_with, key=len, reverse=True):
            if word.endswith(ending) and len(word) > len(ending) + 1:
                stem = word[: len(word) - len(ending)] if self.replace else word
                return [stem + suffix for suffix in self.endings]
        return []


@dataclass(frozen=True)
class MentionProfile:
    """Where a text names countries: mention counts, those in its lead, and the relative
    position (0 = first word) of each country's first mention, in the order first named."""

    counts: Counter[str]
    lead: Counter[str]
    first: dict[str, float]
    # The text's length in words (first * words = the word a country is first named at).
    words: int = 0
    # (token index, length in tokens, code) of every mention, in text order (not for
    # names found in unspaced scripts): where the headline's actor is looked for.
    positions: tuple[tuple[int, int, str], ...] = ()


@dataclass
class Gazetteer:
    region_id: str
    region_name: str
    in_region: frozenset[str]
    # folded token tuple -> country code
    terms: dict[tuple[str, ...], str] = field(default_factory=dict)
    max_words: int = 1
    countries: frozenset[str] = frozenset()
    # Terms (from CLDR) that count only when written with a capital.
    capital_only: frozenset[tuple[str, ...]] = frozenset()
    # Abbreviations (ABD, АҚШ, PRC): count only when written in capitals.
    upper_only: frozenset[tuple[str, ...]] = frozenset()
    # Demonym terms: "Turkmen communities in Iran" is not Turkmenistan.
    demonyms: frozenset[tuple[str, ...]] = frozenset()
    not_country_before: frozenset[str] = frozenset()
    # Words a demonym gives the nationality of (a company, a medium ...), exact and as
    # beginnings: "Canadian company" is no mention of Canada.
    nationality_words: frozenset[str] = frozenset()
    # Words next to which a country's name names its currency ("US dollars", "долларов США").
    currency_before: frozenset[str] = frozenset()
    currency_after: frozenset[str] = frozenset()
    nationality_prefixes: tuple[str, ...] = ()
    not_country_after: frozenset[str] = frozenset()
    # Capitalised words after which a name is an organisation's ("Azerbaijan Airlines",
    # "The Moscow Post"), not a mention of the place.
    organisation_after: frozenset[str] = frozenset()
    # Folded names of languages in the CLDR locales, with their case forms ("russian",
    # "русском", "kazakh"): a demonym that is one names the language when the words around
    # it say so ("in Kazakh, Russian and English").
    language_names: frozenset[str] = frozenset()
    # folded term -> (cue words, code instead or "") for names of two places: "Atlanta,
    # Georgia" is the US state.
    homonyms: dict[tuple[str, ...], tuple[frozenset[str], str]] = field(default_factory=dict)
    # translit key of a place as written in any script -> its English name.
    place_names: dict[str, str] = field(default_factory=dict)
    # translit key of an English name a place had (or has beside another) -> the name it
    # goes by today ("Nur-Sultan" -> Astana, "Frunze" -> Bishkek): one place, two names.
    same_place: dict[str, str] = field(default_factory=dict)
    # Stems of one-word names for languages whose case endings no rule lists (Czech
    # "Kazachstánu", Serbian "Ruskoj", Armenian "Ադրբեջանի"): stem -> (code, CLDR-only).
    stems: dict[str, tuple[str, bool]] = field(default_factory=dict)
    stem_heads: frozenset[str] = frozenset()
    # Names in scripts written without spaces between words (Chinese, Japanese): found as
    # substrings, since a whole run of characters is one token. name -> code.
    unspaced: dict[str, str] = field(default_factory=dict)
    unspaced_pattern: re.Pattern[str] | None = None
    # first word of a term -> the lengths (in words) of terms starting with it, longest first
    sizes_by_first: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # People a headline names as its actor (feeds/people.toml): folded name -> code, and
    # first word -> the lengths of the names starting with it, longest first.
    people: dict[tuple[str, ...], str] = field(default_factory=dict)
    people_sizes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # Names of countries and places as written (no case form, no demonym).
    not_demonym_names: frozenset[tuple[str, ...]] = frozenset()
    # Beginnings of the words that make a headline a visit, meeting, call, agreement or
    # statement (feeds/people.toml [events]).
    event_words: tuple[str, ...] = ()

    def place_name(self, written: str) -> str | None:
        """The English name of a place the gazetteer knows ("ДУШАНБЕ" -> Dushanbe), else None."""
        return self.place_names.get(translit_key(written)) if written else None

    def canonical_place(self, written: str) -> str:
        """One name per place, whatever the page called it: "Нур-Султан", "Nur-Sultan",
        "Akmola" -> Astana; "Alma-Ata" -> Almaty; "Kiev" -> Kyiv. The enrichment keeps the
        name the page used (an item of 2020 was filed from Nur-Sultan); this is the key for
        asking whether two names are the same place."""
        english = self.place_name(written) or written
        return self.same_place.get(translit_key(english), english)

    def mentions(self, text: str) -> Counter[str]:
        """Country code -> number of mentions in the text (longest match first)."""
        return self.mentions_and_lead(text, 0)[0]

    def mentions_and_lead(self, text: str, lead_words: int) -> tuple[Counter[str], Counter[str]]:
        """Mentions in the whole text, and among them those in its first ``lead_words`` words."""
        found = self.profile(text, lead_words)
        return found.counts, found.lead

    def profile(self, text: str, lead_words: int) -> MentionProfile:
        """Mentions in the text, those in its first ``lead_words`` words, and where in the
        text each country is first named (0 = its first word, towards 1 = its end)."""
        if "$" in text:
            text = _CURRENCY_SIGN.sub(" $", text)
        words, capitals = cased_tokens(text)
        ends: list[frozenset[int]] = []  # sentence_ends(text), once a guard needs it

        def ends_of_sentences() -> frozenset[int]:
            if not ends:
                ends.append(sentence_ends(text))
            return ends[0]

        counts: Counter[str] = Counter()
        lead: Counter[str] = Counter()
        first: dict[str, float] = {}
        positions: list[tuple[int, int, str]] = []
        if self.unspaced_pattern is not None and _UNSPACED.search(text):
            self._unspaced_mentions(text, lead_words * _UNSPACED_CHARS_PER_WORD, counts, lead, first)
        sizes_by_first = self.sizes_by_first
        length = len(words) or 1
        i = 0
        while i < len(words):
            # Only the term lengths that start with this word (most words start none).
            for size in sizes_by_first.get(words[i], ()):
                if size > len(words) - i:
                    continue
                term = tuple(words[i : i + size])
                code = self.terms.get(term)
                if code:
                    code = self._guarded(term, code, words, capitals, i, size, ends_of_sentences)
                    if code:
                        counts[code] += 1
                        positions.append((i, size, code))
                        if i < lead_words:
                            lead[code] += 1
                        if code not in first or i / length < first[code]:
                            first[code] = i / length
                    i += size
                    break
            else:
                word, capital = words[i], capitals[i]
                code = self._stem_code(word, capital) or self._before_apostrophe(word, capital)
                if (
                    code
                    and word.endswith(_DEMONYM_ENDINGS)
                    and script_of(word) == "Latin"
                    and self._demonym_not_country((word,), words, capitals, i, 1, ends_of_sentences())
                ):
                    code = None  # "the Kazakh-Belgian joint venture": a stem read as a demonym
                if code:
                    counts[code] += 1
                    positions.append((i, 1, code))
                    if i < lead_words:
                        lead[code] += 1
                    if code not in first or i / length < first[code]:
                        first[code] = i / length
                i += 1
        return MentionProfile(counts, lead, first, len(words), tuple(positions))

    def _stem_code(self, word: str, capital: int) -> str | None:
        """The country a longer word form of a one-word name stands for, if any."""
        if len(word) < MIN_STEM + 1 or not self.stems:
            return None
        heads = self.stem_heads
        if word[:MIN_STEM] not in heads and not (
            word[:1] in _ARTICLE_STARTS
            and any(word.startswith(a) and word[len(a) : len(a) + MIN_STEM] in heads for a in _ARTICLES)
        ):
            return None  # no stem starts like this word (nor after an Arabic article)
        for strip in _ARTICLES:
            if word.startswith(strip) and len(word) - len(strip) >= MIN_STEM:
                word = word[len(strip) :]
                break
        for cut in range(0, MAX_ENDING + 1):
            stem = word[: len(word) - cut] if cut else word
            if len(stem) < MIN_STEM:
                break
            if cut and not word[-cut:].isalpha():
                continue  # "France24" is a channel's name, not a case form of France
            found = self.stems.get(stem)
            if found and (capital or not found[1]):
                return found[0]
        return None

    def _before_apostrophe(self, word: str, capital: int) -> str | None:
        """Turkish and Azerbaijani write a proper name's case ending after an apostrophe
        ("Kazakistan'dan", "Rusya'nın", "Çin'in", "O'zbekiston'da"): the name is the part
        before the last apostrophe, whatever the ending (a few letters)."""
        cut = word.rfind("'")
        if cut < 2 or not 0 < len(word) - cut - 1 <= MAX_APOSTROPHE_ENDING or not capital:
            return None
        name = (word[:cut],)
        code = self.terms.get(name)
        if code is None or name in self.demonyms or (name in self.upper_only and capital != ALL_CAPS):
            return None
        return code

    def _unspaced_mentions(
        self, text: str, lead_chars: int, counts: Counter[str], lead: Counter[str], first: dict[str, float]
    ) -> None:
        """Chinese names found as substrings, longest first (so "内蒙古", Inner Mongolia, a
        place of China in world.toml, is not "蒙古", Mongolia). "哈薩克族" (the Kazakh
        people) is an ethnic group, not the country."""
        assert self.unspaced_pattern is not None
        for match in self.unspaced_pattern.finditer(text):
            code = self.unspaced[match.group()]
            if text[match.end() : match.end() + 1] in _UNSPACED_ETHNIC:
                continue
            if text.startswith(_UNSPACED_ORGANISATION, match.end()):
                continue  # 上海合作组织, the Shanghai Cooperation Organisation, is not China
            counts[code] += 1
            if match.start() < lead_chars:
                lead[code] += 1
            first.setdefault(code, match.start() / len(text))

    _WINDOW = 4

    def _demonym_not_country(
        self,
        term: tuple[str, ...],
        words: list[str],
        capitals: list[int],
        i: int,
        size: int,
        ends: frozenset[int],
    ) -> bool:
        """Whether the demonym at ``i`` names people, a nationality or a language rather
        than the country: the words around it in its own sentence tell ("ethnic Uzbeks",
        "Canadian company", "in Kazakh, Russian and English")."""
        stop = len(words)
        for index in range(i + size - 1, min(len(words), i + size + NATIONALITY_WINDOW)):
            if index in ends:
                stop = index + 1
                break
        before = words[i - 1] if i and (i - 1) not in ends else ""
        after = words[i + size] if i + size < stop else ""
        if before in self.not_country_before or after in self.not_country_after:
            return True
        for word in words[i + size : min(stop, i + size + NATIONALITY_WINDOW)]:
            if word in self.nationality_words or (
                self.nationality_prefixes and word.startswith(self.nationality_prefixes)
            ):
                return True
        return size == 1 and term[0] in self.language_names and self._names_language(words, capitals, i, ends)

    def _names_organisation(self, words: list[str], capitals: list[int], i: int, size: int) -> bool:
        """Whether the word after the name at ``i`` makes it an organisation's: a capitalised
        word of ``organisation_after`` (Airlines, Times, Post ...), or a channel's number
        after a word for a channel ("телеканала Россия 1": one or two digits; "Tajikistan
        (-21%)" is a figure)."""
        after = words[i + size]
        if after.isdigit():
            return len(after) <= CHANNEL_DIGITS and any(
                word.startswith(_CHANNEL_WORDS) for word in words[max(0, i - CHANNEL_LEAD) : i]
            )
        if after in _SERVICE_WORDS and tuple(words[i : i + size]) in self.demonyms:
            return True  # "RFE/RL's Turkmen service", "Русская служба Би-би-си": a broadcaster's desk
        return capitals[i + size] != LOWER and after in self.organisation_after

    def _names_language(self, words: list[str], capitals: list[int], i: int, ends: frozenset[int]) -> bool:
        """Whether the demonym at ``i``, a language's name too, names the language: one of a
        list of languages ("in Kazakh, Russian and English", "both Chinese and Russian")
        after a preposition or before the sentence's end, or one language after "in"/"на"
        that ends the sentence or stands before a name ("explains, in an approximate
        Russian, Bakhodir ..."). "Russian and Chinese officials" stays a mention of both."""
        languages = self.language_names
        start = end = i  # the run of language names joined by conjunctions around i
        while start >= 2 and words[start - 1] in _CONJUNCTIONS and words[start - 2] in languages:
            start -= 2
        while start >= 1 and words[start - 1] in languages and (start - 1) not in ends:
            start -= 1
        while end + 2 < len(words) and end not in ends:
            if words[end + 1] in _CONJUNCTIONS and words[end + 2] in languages:
                end += 2
            elif words[end + 1] in languages:
                end += 1
            else:
                break
        before = words[max(0, start - LANGUAGE_LEAD) : start]
        after_ends = end in ends or end + 1 >= len(words)
        after_name = not after_ends and capitals[end + 1] != LOWER
        opened = any(word in _LANGUAGE_PREPOSITIONS for word in before)
        if end > start:  # a list of languages
            return opened or after_ends
        return opened and (after_ends or after_name)

    def _guarded(
        self,
        term: tuple[str, ...],
        code: str,
        words: list[str],
        capitals: list[int],
        i: int,
        size: int,
        sentence_ends: Callable[[], frozenset[int]],
    ) -> str | None:
        """The code a match stands for after the guards, or None when it is not a mention.
        The demonym guards read the words after the name within its own sentence only."""
        if term in self.capital_only and not capitals[i]:
            return None
        if term in self.upper_only and capitals[i] != ALL_CAPS:
            return None
        short_capitals = capitals[i] == ALL_CAPS and size == 1 and len(term[0]) <= SHORT_ACRONYM
        if short_capitals and term not in self.upper_only:
            return None  # "the FAS said": an acronym, not Turkish "Fas" (Morocco)
        if i and words[i - 1] in _STANCE_BEFORE:
            return None  # "pro-Russian candidates", "anti-American": a stance, not the country
        if (i and words[i - 1] in self.currency_before) or (
            i + size < len(words) and words[i + size] in self.currency_after
        ):
            return None  # "US dollars", "долларов США": a currency, not the country
        if i + size < len(words) and self._names_organisation(words, capitals, i, size):
            return None  # "Azerbaijan Airlines", "телеканал Россия 1": an organisation's name
        demonym = term in self.demonyms
        if demonym and self._demonym_not_country(term, words, capitals, i, size, sentence_ends()):
            return None
        homonym = self.homonyms.get(term)
        if homonym is not None:
            cues, instead = homonym
            near = words[max(0, i - self._WINDOW) : i] + words[i + size : i + size + self._WINDOW]
            if cues.intersection(near):
                return instead or None
        return code


# A word this short written in capitals is an acronym unless the gazetteer lists it as one.
SHORT_ACRONYM = 3
# Words joining the names of a list of languages, and the words before one that make it
# the language something is said or written in; how many words before the list they may
# come ("in an approximate Russian").
_CONJUNCTIONS = frozenset(
    {"and", "or", "и", "или", "а", "va", "ва", "yoki", "және", "жана", "ve", "və", "und", "et"}
)
_LANGUAGE_PREPOSITIONS = frozenset({"in", "into", "from", "both", "на", "с"})
LANGUAGE_LEAD = 3
# Latin endings that make a word found by its stem a demonym ("Belgian", "Norwegian",
# "Maltese", "Danish"), to which the demonym guards apply.
_DEMONYM_ENDINGS = ("an", "ians", "ans", "ese", "ish", "ic")
# A prefix written before a name with a hyphen that makes it a stance towards the country
# ("pro-Russia", "anti-Western"): the corpus tags no country for it.
_STANCE_BEFORE = frozenset({"pro", "anti", "анти"})  # not "про": Russian for "about"
# A broadcaster's desk named by a demonym, lower case too ("the Uzbek service of the BBC").
_SERVICE_WORDS = frozenset(
    {"service", "служба", "службы", "службе", "службу", "xizmati", "хизмати", "қызметі"}
)
# A number of at most this many digits right after a name is a channel's ("Россия 24").
CHANNEL_DIGITS = 2
# ... when one of these words (their beginnings) stands at most CHANNEL_LEAD words before it.
_CHANNEL_WORDS = ("channel", "tv", "radio", "телеканал", "канал", "тв", "радио", "эфир", "telekanal", "kanal")
CHANNEL_LEAD = 2
# How far after a demonym a word it gives the nationality of may come ("Chinese plant
# operator CNNC").
NATIONALITY_WINDOW = 3


@dataclass
class _Collected:
    """Everything the region file and its includes say, merged in include order."""

    rules: list[dict] = field(default_factory=list)
    countries: dict[str, list[str]] = field(default_factory=dict)
    demonyms: dict[str, list[str]] = field(default_factory=dict)
    places: list[list[str]] = field(default_factory=list)
    cldr_locales: list[str] = field(default_factory=list)
    cldr_cities: list[str] = field(default_factory=list)
    cldr_ignore: set[str] = field(default_factory=set)
    not_before: set[str] = field(default_factory=set)
    nationality_of: set[str] = field(default_factory=set)
    currency_before: set[str] = field(default_factory=set)
    currency_after: set[str] = field(default_factory=set)
    not_after: set[str] = field(default_factory=set)
    organisation_after: set[str] = field(default_factory=set)
    homonyms: list[dict] = field(default_factory=list)
    exonyms: dict[str, str] = field(default_factory=dict)
    former_names: dict[str, str] = field(default_factory=dict)
    people: dict[str, list[str]] = field(default_factory=dict)
    event_words: list[str] = field(default_factory=list)


def _strings(path: Path, where: str, values: object) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DataFileError(f"{path}: {where} must be a list of strings")
    return values


def _collect(path: Path, seen: set[Path], into: _Collected) -> dict:
    path = path.resolve()
    if path in seen:
        return {}
    seen.add(path)
    document = load_data_file(path, "region gazetteer")
    region = document.get("region", {})
    for name in region.get("include", []):
        _collect(path.parent / name, seen, into)
    into.rules.extend(document.get("inflection", []))
    cldr = document.get("cldr", {})
    into.cldr_locales.extend(_strings(path, "[cldr].locales", cldr.get("locales", [])))
    into.cldr_cities.extend(_strings(path, "[cldr].cities", cldr.get("cities", [])))
    into.cldr_ignore.update(fold(n) for n in _strings(path, "[cldr].ignore", cldr.get("ignore", [])))
    guards = document.get("guards", {})
    into.not_before.update(
        fold(w) for w in _strings(path, "[guards].ethnic_before", guards.get("ethnic_before", []))
    )
    into.not_after.update(
        fold(w) for w in _strings(path, "[guards].ethnic_after", guards.get("ethnic_after", []))
    )
    into.organisation_after.update(
        fold(w) for w in _strings(path, "[guards].organisation_after", guards.get("organisation_after", []))
    )
    into.nationality_of.update(
        fold(w) for w in _strings(path, "[guards].nationality_of", guards.get("nationality_of", []))
    )
    for key, into_set in (("currency_before", into.currency_before), ("currency_after", into.currency_after)):
        into_set.update(fold(w) for w in _strings(path, f"[guards].{key}", guards.get(key, [])))
    for index, homonym in enumerate(document.get("homonym", [])):
        if not isinstance(homonym.get("name"), str) or not isinstance(homonym.get("cues"), list):
            raise DataFileError(f"{path}: homonym #{index + 1}: needs name and cues")
        into.homonyms.append(homonym)
    exonyms = document.get("exonyms", {})
    if not isinstance(exonyms, dict) or not all(isinstance(v, str) for v in exonyms.values()):
        raise DataFileError(f"{path}: [exonyms] must map names to English names")
    into.exonyms.update(exonyms)
    former = document.get("former_names", {})
    if not isinstance(former, dict) or not all(isinstance(v, str) for v in former.values()):
        raise DataFileError(f"{path}: [former_names] must map names to today's English names")
    into.former_names.update(former)
    for name in _strings(path, "[people].files", document.get("people", {}).get("files", [])):
        _collect_people(path.parent / name, into)
    for index, entry in enumerate(document.get("country", [])):
        code = entry.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
            raise DataFileError(f"{path}: country #{index + 1}: code {code!r} is not ISO 3166-1 alpha-2")
        unknown = set(entry) - {"code", *_TERM_KEYS}
        if unknown:
            raise DataFileError(f"{path}: country {code}: unknown key(s) {sorted(unknown)}")
        for key in _TERM_KEYS:
            values = entry.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise DataFileError(f"{path}: country {code}: {key} must be a list of strings")
            into.countries.setdefault(code, []).extend(values)
        into.demonyms.setdefault(code, []).extend(entry.get("demonyms", []))
        if entry.get("places"):
            into.places.append(entry["places"])
    return region


def _collect_people(path: Path, into: _Collected) -> None:
    """The [[person]] entries of a people file: country code -> names."""
    document = load_data_file(path, "people file")
    for index, entry in enumerate(document.get("person", [])):
        code = entry.get("country")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
            raise DataFileError(f"{path}: person #{index + 1}: country {code!r} is not ISO 3166-1 alpha-2")
        names = _strings(path, f"person #{index + 1}: names", entry.get("names"))
        into.people.setdefault(code, []).extend(names)
    events = document.get("events", {}).get("words", [])
    into.event_words.extend(fold(word) for word in _strings(path, "[events].words", events))


def cldr_country_names(locales: list[str]) -> dict[str, list[str]]:
    """ISO code -> the country's name in each locale, from CLDR (babel): every country
    exists in every language we read, without a hand list."""
    from babel import Locale

    names: dict[str, list[str]] = {}
    for locale_id in locales:
        try:
            territories = Locale.parse(locale_id).territories
        except (ValueError, LookupError) as error:
            raise DataFileError(f"[cldr].locales: unknown locale {locale_id!r}: {error}") from error
        for code, name in territories.items():
            if re.fullmatch(r"[A-Z]{2}", code) and code not in ("EU", "EZ", "UN", "ZZ", "QO"):
                names.setdefault(code, []).append(name)
    return names


# A last word that ends this share of a locale's names of languages at least is its word for
# "language" (Kazakh "тілі", Kyrgyz "тили", Turkmen and Turkish "dili").
LANGUAGE_WORD_SHARE = 0.04


def cldr_language_names(locales: list[str]) -> tuple[set[str], set[str]]:
    """The folded one-word names of languages in each locale (a name written with the
    locale's word for "language" counts by its first word: Kazakh "орыс тілі" -> "орыс"),
    and those words for "language": a demonym before one is the language ("орыс тілінде",
    "o'zbek tili"), which the gazetteer's guards then read as a nationality word (a prefix)."""
    from babel import Locale

    names: set[str] = set()
    words: set[str] = set()
    for locale_id in locales:
        try:
            languages = Locale.parse(locale_id).languages
        except (ValueError, LookupError) as error:
            raise DataFileError(f"[cldr].locales: unknown locale {locale_id!r}: {error}") from error
        # As written, lower case (the inflection rules read й and ё), folded only to compare.
        split = [
            _TOKEN.findall(_unify_apostrophes(name).casefold().replace("-", " "))
            for name in languages.values()
        ]
        lasts = Counter(fold(parts[-1]) for parts in split if len(parts) > 1)
        own = {
            word
            for word, n in lasts.items()
            if n >= LANGUAGE_WORD_SHARE * len(split) and len(word) >= 3 and word.isalpha()
        }
        words.update(own)
        for parts in split:
            if len(parts) == 1 or (len(parts) == 2 and fold(parts[1]) in own):
                names.add(parts[0])
    return names, words


def cldr_city_names(zones: list[str], locales: list[str]) -> dict[str, list[str]]:
    """ISO code -> the names of the cities of ``zones`` (time-zone ids such as
    "Asia/Tashkent") in each locale, from CLDR's exemplar cities (babel): "Moskau",
    "Moscú", "Daşkənd", "Bişkek", "Мәскеу" without a hand list of every capital in every
    language. The zone's own English city name comes too, as the root locale writes it."""
    names: dict[str, list[str]] = {}
    for code, _english, city_names in _cldr_cities(zones, locales):
        found = names.setdefault(code, [])
        found.extend(n for n in city_names if n not in found)
    return names


def _cldr_cities(zones: list[str], locales: list[str]) -> list[tuple[str, str, list[str]]]:
    """(ISO code, English city name, the city's names in every locale) per zone."""
    from babel import Locale
    from babel.core import get_global

    territories = get_global("zone_territories")
    cities: list[tuple[str, str, list[str]]] = []
    parsed = [Locale.parse(locale_id) for locale_id in locales]
    for zone in zones:
        code = territories.get(zone)
        if not code:
            raise DataFileError(f"[cldr].cities: {zone!r} is not a CLDR time zone of a country")
        english = zone.rsplit("/", 1)[-1].replace("_", " ")
        found = [english]
        for locale in parsed:
            city = locale.time_zones.get(zone, {}).get("city")
            if city and city not in found:
                found.append(city)
        cities.append((code, english, found))
    return cities


def cldr_city_exonyms(zones: list[str], locales: list[str], ignore: set[str]) -> dict[str, str]:
    """A city's name in a script other than Latin -> its English name ("تاشقند", "طشقند",
    "ताशकंद" -> Tashkent): a dateline filed in a script the column does not write names the
    place as the column does. Latin spellings ("Roma", "Taschkent") stay as the page wrote
    them, as the region files' own do. Names in ``ignore`` (folded) are left out."""
    return {
        name: english
        for _code, english, names in _cldr_cities(zones, locales)
        for name in names
        if fold(name) not in ignore and script_of(name) != "Latin"
    }


def _place_names(groups: list[list[str]], exonyms: dict[str, str]) -> dict[str, str]:
    """translit key -> English name. A country's ``places`` list runs English name first,
    then its other spellings ("Astana", "Nur-Sultan", "Астана", "Нур-Султан"): each name
    belongs to the Latin name that opened its run; ``[exonyms]`` overrides."""
    names: dict[str, str] = {}
    for places in groups:
        head: str | None = None
        previous_latin = False
        for place in places:
            latin = script_of(place) == "Latin"
            if latin and not previous_latin:
                head = place
            previous_latin = latin
            if head:
                names.setdefault(translit_key(place), head)
                names.setdefault(translit_key(head), head)
    for written, english in exonyms.items():
        names[translit_key(written)] = english
        names.setdefault(translit_key(english), english)
    return names


# A Latin name this short takes no case endings: "Ran" (Iran in a CLDR locale) with the
# Uzbek and Turkish endings spells "range", "rande", "ranga"; Turkish writes a name's ending
# after an apostrophe, which is read apart ("Çin'de").
MIN_INFLECTED_LATIN = 4


def _inflected_forms(name: str, words: tuple[str, ...], rules: list[InflectionRule]) -> list[tuple[str, ...]]:
    """The case forms of a name by the inflection rules, folded; none for an abbreviation
    ("US" + Uzbek "-da" spells "USDA") or a short Latin name."""
    if len(name) <= 4 and name.isupper():
        return []
    # Rules see the word as written (й, ё intact), their forms are then folded.
    last = _TOKEN.findall(_unify_apostrophes(name).casefold().replace("-", " "))[-1]
    if script_of(last) == "Latin" and len(last) < MIN_INFLECTED_LATIN:
        return []
    return [(*words[:-1], fold(form)) for rule in rules for form in rule.forms(last)]


def load_gazetteer(path: str | Path = DEFAULT_REGION) -> Gazetteer:
    """A region file and everything it includes, merged; raises DataFileError when bad."""
    path = Path(path)
    collected = _Collected()
    region = _collect(path, set(), collected)
    countries = collected.countries
    in_region = region.get("countries", [])
    missing = sorted(set(in_region) - set(countries))
    if not region or not in_region or missing:
        raise DataFileError(
            f"{path}: [region] must list countries defined by [[country]] entries"
            + (f" (no entry for {missing})" if missing else "")
        )
    rules = [
        InflectionRule(
            r["script"],
            tuple(r["ends_with"]),
            bool(r.get("replace")),
            tuple(r["endings"]),
            bool(r.get("demonym")),
        )
        for r in collected.rules
    ]
    demonym_rules = [rule for rule in rules if rule.demonym]
    rules = [rule for rule in rules if not rule.demonym]
    cldr = {
        code: [n for n in names if fold(n) not in collected.cldr_ignore]
        for code, names in cldr_country_names(collected.cldr_locales).items()
    }
    for code, names in cldr_city_names(collected.cldr_cities, collected.cldr_locales).items():
        cldr.setdefault(code, []).extend(n for n in names if fold(n) not in collected.cldr_ignore)
    gazetteer = Gazetteer(
        region_id=region.get("id", path.stem),
        region_name=region.get("name", path.stem),
        in_region=frozenset(in_region),
        countries=frozenset(countries) | frozenset(cldr),
    )
    # Exact names first so that an inflected form never steals a name of another country;
    # the region files' own names before CLDR's.
    exact: dict[tuple[str, ...], str] = {}
    inflected: dict[tuple[str, ...], str] = {}
    demonyms: set[tuple[str, ...]] = set()
    capital_only: set[tuple[str, ...]] = set()
    upper_only: set[tuple[str, ...]] = set()
    # Country and place names as written (no case form): never demonyms, even when a
    # demonym's case form spells one ("Kazakhs" + Kazakh "-tan" is "Kazakhstan").
    not_demonyms: set[tuple[str, ...]] = set()

    unspaced: dict[str, str] = {}
    # Demonyms the region files write in lower case (Turkmen "türkmen", Uzbek "qozoq"): the
    # same word capitalised in English is then no hint of how a page writes it.
    lower_demonyms = {
        tuple(tokens(name)) for names in collected.demonyms.values() for name in names if name[:1].islower()
    }

    def add(code: str, name: str, from_cldr: bool, demonym: bool) -> None:
        if _UNSPACED.search(name):
            unspaced.setdefault(name, code)
            return
        words = tuple(tokens(name))
        if not words:
            return
        # Names of countries, places and people are written with a capital in every
        # language we read; lower case they are words ("qatar" is a row in Kazakh, "того"
        # a pronoun in Russian). Demonyms are lower case in Russian, so they are exempt, but
        # one the region file writes with a capital in Latin letters is written so on the page
        # too ("Polish", "Poles"; "to polish", "geopolitical poles" are words).
        capitalised_latin = name[:1].isupper() and script_of(name) == "Latin" and words not in lower_demonyms
        if (
            (not demonym and name[:1].isupper())
            or (demonym and capitalised_latin)
            or (from_cldr and words not in exact)
        ):
            capital_only.add(words)
        exact.setdefault(words, code)
        if len(words) == 1 and 1 < len(name) <= 4 and name.isupper():
            upper_only.add(words)
        forms = [words, *_inflected_forms(name, words, rules)]
        for form in forms[1:]:
            inflected.setdefault(form, code)
            if words in capital_only and form not in exact:
                capital_only.add(form)
        if demonym:
            demonyms.update(forms)
        else:
            not_demonyms.add(words)
            # "rossiyalik", "ресейлік": a demonym made of the name, case-blind.
            for form in _inflected_forms(name, words, demonym_rules):
                if form not in exact:
                    inflected.setdefault(form, code)
                    demonyms.add(form)

    for code, names in countries.items():
        own_demonyms = set(collected.demonyms.get(code, []))
        for name in names:
            add(code, name, False, name in own_demonyms)
    for code, names in cldr.items():
        # Locales share most spellings (a third of the names are repeats: "Tashkent" in
        # every Latin locale); a repeat adds nothing, so each is added once, first seen first.
        for name in dict.fromkeys(names):
            add(code, name, True, False)
    gazetteer.terms = {**inflected, **exact}
    gazetteer.unspaced = unspaced
    gazetteer.unspaced_pattern = (
        re.compile("|".join(re.escape(n) for n in sorted(unspaced, key=len, reverse=True)))
        if unspaced
        else None
    )
    stems: dict[str, tuple[str, bool]] = {}
    for words, code in exact.items():
        if len(words) != 1 or len(words[0]) < MIN_STEM:
            continue
        name = words[0]
        stem = name[:-1] if name[-1] in _VOWELS else name
        if len(stem) >= MIN_STEM and stems.get(stem, (code,))[0] == code:
            stems[stem] = (code, words in capital_only)
    gazetteer.stems = stems
    gazetteer.stem_heads = frozenset(stem[:MIN_STEM] for stem in stems)
    sizes: dict[str, set[int]] = {}
    for words in gazetteer.terms:
        sizes.setdefault(words[0], set()).add(len(words))
    gazetteer.sizes_by_first = {first: tuple(sorted(n, reverse=True)) for first, n in sizes.items()}
    gazetteer.capital_only = frozenset(capital_only)
    gazetteer.upper_only = frozenset(upper_only)
    gazetteer.demonyms = frozenset(demonyms - not_demonyms)
    gazetteer.not_demonym_names = frozenset(not_demonyms)
    gazetteer.not_country_before = frozenset(collected.not_before)
    gazetteer.not_country_after = frozenset(collected.not_after)
    gazetteer.organisation_after = frozenset(collected.organisation_after)
    gazetteer.currency_before = frozenset(collected.currency_before)
    gazetteer.currency_after = frozenset(collected.currency_after)
    language_names, language_words = cldr_language_names(collected.cldr_locales)
    # Case forms by the declension rules (Russian adjectives: "на казахском и русском"),
    # not by the Turkic suffix rules (every name + every ending: forms nothing needs).
    declensions = [rule for rule in rules if all(rule.ends_with)]
    gazetteer.language_names = frozenset(
        form[-1]
        for name in language_names
        for form in [
            (fold(name),),
            *(_inflected_forms(name, (fold(name),), declensions) if script_of(name) == "Cyrillic" else []),
        ]
    )
    gazetteer.nationality_words = frozenset(w for w in collected.nationality_of if not w.endswith("*"))
    gazetteer.nationality_prefixes = tuple(
        sorted({w[:-1] for w in collected.nationality_of if w.endswith("*")} | language_words)
    )
    homonyms: dict[tuple[str, ...], tuple[frozenset[str], str]] = {}
    for homonym in collected.homonyms:
        # Its case forms too: "Georgia's secretary of state" is the US state's.
        words = tuple(tokens(homonym["name"]))
        guard = (frozenset(fold(c) for c in homonym["cues"]), homonym.get("instead", ""))
        for form in [words, *_inflected_forms(homonym["name"], words, rules)]:
            homonyms.setdefault(form, guard)
    gazetteer.homonyms = homonyms
    gazetteer.place_names = _place_names(collected.places, collected.exonyms)
    # CLDR's names of the listed cities, after the region files' own (which win).
    for written, english in cldr_city_exonyms(
        collected.cldr_cities, collected.cldr_locales, collected.cldr_ignore
    ).items():
        gazetteer.place_names.setdefault(translit_key(written), english)
    for former, today in collected.former_names.items():
        gazetteer.place_names.setdefault(translit_key(former), former)
        gazetteer.same_place[translit_key(former)] = today
    gazetteer.max_words = max(len(words) for words in gazetteer.terms)
    people = {tuple(tokens(name)): code for code, names in collected.people.items() for name in names}
    gazetteer.people = {words: code for words, code in people.items() if words}
    by_first: dict[str, set[int]] = {}
    for words in gazetteer.people:
        by_first.setdefault(words[0], set()).add(len(words))
    gazetteer.people_sizes = {first: tuple(sorted(n, reverse=True)) for first, n in by_first.items()}
    gazetteer.event_words = tuple(sorted(set(collected.event_words)))
    return gazetteer


@dataclass(frozen=True)
class RegionTags:
    countries: list[dict[str, int | str]]
    primary_country: str | None
    in_region: bool
    region_score: float

    def as_columns(self) -> dict[str, object]:
        return {
            "countries": self.countries,
            "primary_country": self.primary_country,
            "in_region": self.in_region,
            "region_score": self.region_score,
        }


# Words before a name that make it the place of the event, not the actor: "Volodin arrives
# in Tashkent", "Эрдоган прибыл в Туркменистан". Languages that write these as case
# endings (Turkish, Uzbek, Kazakh) are read by word order alone.
_LOCATIVE = frozenset(
    fold(word)
    for word in (
        "in", "to", "at", "into", "inside", "near", "across", "towards", "toward", "onto",
        "в", "во", "на", "к", "ко", "до", "через", "под", "у", "à", "en", "au", "aux", "nach", "im",
    )
)
# A sentence that opens with one of these and a comma soon after ("At a conference hosted by
# Turkey in Istanbul, President Berdymukhamedov joined ...", "В Ташкенте, ...") names the
# setting first and the actor after the comma.
_SETTING_OPENERS = frozenset(
    fold(word)
    for word in (
        "at", "in", "on", "during", "after", "ahead", "following", "amid",
        "в", "во", "на", "после", "накануне",
    )
)
SETTING_WORDS = 15
# Case endings that make a Turkic name the place of the event ("Москвага учуп кетти" flew to
# Moscow, "Бишкекке", "Toshkentda", "Bişkek'te"): the form is the name plus one of these.
_LOCATIVE_ENDINGS = tuple(
    fold(ending)
    for ending in (
        "га", "ге", "ка", "ке", "қа", "ға", "да", "де", "та", "те",
        "дагы", "даги", "дағы", "деги", "тағы", "теги",
        "ga", "ge", "ka", "ke", "da", "de", "ta", "te", "dagi", "ya", "ye", "a", "e",
        "'da", "'de", "'ta", "'te", "'ya", "'ye", "'a", "'e",
    )
)
_ARTICLES_BEFORE = frozenset({"the", "a", "an"})
# Words before a name that make it the actor's partner, not the actor: "ties with Uzbekistan".
_PARTNER = frozenset({"with", "с", "со", "mit", "avec"})
# ... and the Turkic postpositions after it: "Rossiya bilan", "Орусия менен", "Rusya ile".
_PARTNER_AFTER = frozenset(fold(w) for w in ("bilan", "билан", "менен", "мен", "ile", "ilə"))
# A headline that ends by naming its speaker: "... : Kazakh FM", "... - Peskov".
_SPEAKER_BREAK = re.compile(r":\s|\s[-–—]\s")
SPEAKER_WORDS = 4
# The lead's first sentence, read as the headline of a page that shows none: at most this
# many characters, after the corpus's date marker and a dateline that ends in a dash.
FIRST_SENTENCE_CHARS = 400
_DATE_MARKER = re.compile(r"^\s*date \d{4}-\d{2}(?:-\d{2})?\s+")
_DATELINE_DASH = re.compile(r"\s[-–—]{1,2}\s|\)\s*[-–—:]{1,2}\s")
_SENTENCE_END = re.compile(r"[.!?。]\s+(?=[\"«“]?[^\W\d_])|\n")
# A person's name also matches with a case ending this long at most ("Володиным").
MAX_PERSON_ENDING = 5


def first_sentence(text: str) -> str:
    """The text's first sentence, without the corpus's ``date`` marker or a leading
    dateline ("ALMATY, Oct 6 (Reuters) - "): the lead as a headline would say it."""
    head = _DATE_MARKER.sub("", text[:FIRST_SENTENCE_CHARS], count=1)
    dash = _DATELINE_DASH.search(head, 0, 100)
    if dash:
        head = head[dash.end() :]
    end = _SENTENCE_END.search(head)
    return head[: end.start() + 1] if end else head


def _person_code(gazetteer: Gazetteer, words: list[str], i: int) -> tuple[str, int] | None:
    """(code, length in tokens) of a person of feeds/people.toml named at token ``i``."""
    word = words[i]
    for size in gazetteer.people_sizes.get(word, ()):
        code = gazetteer.people.get(tuple(words[i : i + size]))
        if code:
            return code, size
    base = word.split("'", 1)[0]
    for cut in range(0, MAX_PERSON_ENDING + 1):
        stem = base[: len(base) - cut] if cut else base
        if cut and len(stem) < MIN_STEM:
            break
        code = gazetteer.people.get((stem,))
        if code:
            return code, 1
    return None


def _is_place_form(gazetteer: Gazetteer, word: str) -> bool:
    """Whether a matched word is a name with a locative or dative case ending (Turkic
    languages write "in"/"to" as one): the name without the ending is a name itself."""
    for ending in _LOCATIVE_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            base = word[: len(word) - len(ending)]
            if (base,) in gazetteer.not_demonym_names:
                return True
    return False


def headline_actor(headline: str, found: MentionProfile, gazetteer: Gazetteer) -> str | None:
    """The country of the actor a headline reports, its grammatical subject as word order
    tells it: the first country, demonym, place or person (feeds/people.toml) it names that
    is not the place of the event ("in Tashkent"), the actor's partner ("clashes with
    Tajikistan", "Rossiya bilan") nor half of a compound ("China-Kazakhstan
    cooperation"); a speaker named at the end ("...: Kazakh FM", "... - Peskov") first. With
    no such name, the place of the event ("... discussed in Bishkek"), else the partner,
    else the first named;
    None when the headline names no country nor person.
    ``found`` is ``gazetteer.profile(headline, 0)``, so the headline is matched once."""
    if not headline:
        return None
    if "$" in headline:
        headline = _CURRENCY_SIGN.sub(" $", headline)
    prepared = _unify_apostrophes(headline).replace("-", " ")
    spans = [match.span() for match in _TOKEN.finditer(prepared)]
    raw = [prepared[a:b] for a, b in spans]
    words = [_fold_token(t) for t in raw]
    if len(words) != found.words:
        return None  # not the profile of this headline
    matches = list(found.positions)
    covered = {i + k for i, size, _ in matches for k in range(size)}
    person_at: set[int] = set()
    # Azerbaijani writes the e of other alphabets as ə ("Ərdoğan", "Əliyev" is also written
    # "Aliyev"): people are looked up with it as e too.
    people_words = [word.replace("ə", "e") for word in words]
    for i, token in enumerate(raw):
        if i in covered or _case_of(token) == LOWER:
            continue
        person = _person_code(gazetteer, people_words, i)
        if person:
            matches.append((i, person[1], person[0]))
            person_at.add(i)
            covered.update(range(i, i + person[1]))
    if not matches:
        return None
    matches.sort()
    breaks = list(_SPEAKER_BREAK.finditer(headline))
    if breaks:
        tail_start = breaks[-1].end()
        tail = [m for m in matches if spans[m[0]][0] >= tail_start]
        if tail and len(words) - tail[0][0] <= SPEAKER_WORDS:
            i, size, code = tail[0]
            if i in person_at or tuple(words[i : i + size]) in gazetteer.demonyms:
                return code
    setting = 0  # tokens before the comma that closes an opening "At ..., " phrase
    if words and words[0] in _SETTING_OPENERS:
        comma = headline.find(",", 0, spans[min(len(spans), SETTING_WORDS) - 1][1])
        if comma > 0:
            setting = sum(1 for a, _ in spans if a < comma)
    place = None  # the first place of the event, the answer when no actor is named
    partner = None  # the first country named after "with"
    for i, size, code in matches:
        start, end = spans[i][0], spans[i + size - 1][1]
        if i < setting:
            place = place or code
            continue
        if size == 1 and i not in person_at and _is_place_form(gazetteer, words[i]):
            place = place or code
            continue
        if (start > 0 and headline[start - 1] == "-" and prepared[start - 2 : start - 1].isalpha()) or (
            end < len(headline) and headline[end] == "-" and prepared[end + 1 : end + 2].isalpha()
        ):
            continue  # "China-Kazakhstan cooperation", "Turkmen-Kyrgyz summit"
        before = i - 1
        if before >= 0 and words[before] in _ARTICLES_BEFORE:
            before -= 1
        if before >= 0 and words[before] in _LOCATIVE:
            place = place or code
            continue
        if (before >= 0 and words[before] in _PARTNER) or (
            i + size < len(words) and words[i + size] in _PARTNER_AFTER
        ):
            partner = partner or code
            continue
        return code
    return place or partner or matches[0][2]


# A headline that opens with its speaker and a colon ("Путин: Люблю Алматы ...",
# "Tokayev: Kazakhstan will ..."): at most this many words before the colon.
_SPEAKER_OPENING = re.compile(r"^\s*(?:[^\W\d_][\w.'’-]*\s+){0,2}[^\W\d_][\w.'’-]*:\s")


def _quotes_speaker(headline: str, actor: str | None, gazetteer: Gazetteer) -> bool:
    """Whether the headline is a quote with its speaker first ("Путин: ...", "Kazakh FM:
    ..."): a statement, as "says" would make it, when the speaker is the headline's actor
    (not "Belt and Road: ...", nor an actor named after the colon)."""
    opening = _SPEAKER_OPENING.match(headline) if headline and actor else None
    if opening is None:
        return False
    speaker = opening.group().rstrip().rstrip(":")
    return headline_actor(speaker, gazetteer.profile(speaker, 0), gazetteer) == actor


def primary_evidence(
    title: str, text: str, gazetteer: Gazetteer, dateline: str | None = None, home: str | None = None
) -> PrimaryEvidence:
    """What the primary-country model reads of a story (tasks/primary.py): the countries
    its title, text and dateline name, where and how often, the actor its headline (or,
    without one, its lead's first sentence) reports, its outlet's home country."""
    in_dateline = gazetteer.mentions(dateline) if dateline else Counter()
    title_found = gazetteer.profile(title, 0)
    lead = first_sentence(text)
    lead_actor = headline_actor(lead, gazetteer.profile(lead, 0), gazetteer)
    title_actor = headline_actor(title, title_found, gazetteer)
    events = gazetteer.event_words
    return PrimaryEvidence(
        title=title_found,
        text=gazetteer.profile(text, LEAD_WORDS),
        dateline_counts=tuple(in_dateline.items()),
        home=home,
        in_region=gazetteer.in_region,
        title_actor=title_actor,
        lead_actor=lead_actor,
        title_event=(bool(events) and any(word.startswith(events) for word in tokens(title)))
        or _quotes_speaker(title, title_actor, gazetteer),
        lead_event=bool(events) and any(word.startswith(events) for word in tokens(lead)),
    )


def tag_region(
    title: str, text: str, gazetteer: Gazetteer, dateline: str | None = None, home: str | None = None
) -> RegionTags:
    """Countries with mention counts (title, text and the ``dateline`` place), ranked by
    the primary-country model (tasks/primary.py: where each is first named, how often in
    the title, lead and text, the dateline's country, the outlet's ``home`` country, the
    desk's region), whether any in-region country is mentioned, and the in-region share
    of the mentions (title mentions weigh ``TITLE_WEIGHT``)."""
    return tags_of(primary_evidence(title, text, gazetteer, dateline, home), gazetteer)


def tags_of(evidence: PrimaryEvidence, gazetteer: Gazetteer) -> RegionTags:
    """``tag_region`` from the mentions already found: the ranking is cheap, finding the
    mentions is not, and only the ranking reads the outlet's home country."""
    in_dateline = Counter(dict(evidence.dateline_counts))
    counts = evidence.title.counts + evidence.text.counts + in_dateline
    weights = Counter(
        {
            code: TITLE_WEIGHT * evidence.title.counts[code] + evidence.text.counts[code] + in_dateline[code]
            for code in counts
        }
    )
    ranked = [code for code, _score in rank_countries(evidence)]
    total = sum(weights.values())
    regional = sum(weight for code, weight in weights.items() if code in gazetteer.in_region)
    return RegionTags(
        countries=[{"code": code, "mentions": counts[code]} for code in ranked],
        primary_country=ranked[0] if ranked else None,
        in_region=regional > 0,
        region_score=round(regional / total, 4) if total else 0.0,
    )
