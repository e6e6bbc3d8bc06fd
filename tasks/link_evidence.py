"""Language-independent evidence that two stories report the same thing (docs/linking.md).

A translation shares no shingles with its original, so linking reads what survives
translation: the names of people and places (transliterated to one Latin skeleton, so
"Токаев", "Тоқаев", "To‘qayev" and "Tokayev" meet), the figures (7,820,204 / 7 820 204,
63.66 / 63,66), the day-and-month dates in the text (21 December / 21 декабря /
21-dekabr / 21 желтоқсан), and the enrichment's countries, dateline place and agency.
Everything here is pure: a story's text in, a ``LinkProfile`` out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path

from anyascii import anyascii

from newswire.tasks.attribute import DEFAULT_AGENCIES
from newswire.tasks.datafiles import load_data_file
from newswire.tasks.datelines import month_numbers
from newswire.tasks.tag import translit_key

# A profile keeps at most this many distinct name keys: the first ones, which carry the
# story's subject (a long page's tail is teasers and furniture). Bounds the index too.
MAX_NAMES = 40
# A name key is the first letter and the next consonants of the transliterated word: three
# letters survive Russian, Kazakh and Uzbek case endings (Токаевым, Mirziyoyevning).
NAME_KEY_LENGTH = 3
_MIN_NAME_LETTERS = 4
_MIN_TERM_LETTERS = 5
MAX_TERMS = 300
# The ordered sequence keeps the story's first tokens (its lead and body, before the
# teasers of a long page); enough for an alignment, bounded for its cost (n x m).
MAX_SEQUENCE = 150
# Sequence tokens of terms and figures carry these prefixes (names go bare), the same
# namespaces as the weights of tasks/linking.key_weights.
TERM_PREFIX = "t:"
FIGURE_PREFIX = "f:"
DATE_PREFIX = "d:"

# A word: letters, and an apostrophe between two letters, which Uzbek Latin writes inside
# its words (o‘, g‘: "To‘qayev", "O‘zbekiston", "Qozog‘iston"; also ʻ ’ ' `). Ending the
# word there made "To‘qayev" the lowercase "qayev", no name at all, and "O‘zbekiston" no
# match for "Узбекистан" / "Uzbekistan". A quote after a word ("‘Astana’") is no part of it.
_APOSTROPHES = "'’ʻʼ‘`"
# Written as runs of the letters a word goes on with, each run after the first opened by
# one apostrophe before a letter: the same words as a per-letter alternation, ~2x faster
# (the word scans were a third of a profile's cost). "ʻ" and "ʼ" are letters to Python:
# a word may start with one, and goes on through one only before a letter.
_LETTER = r"[^\W\d_]"
_WORD_PATTERN = (
    rf"{_LETTER}[^\W\d_{_APOSTROPHES}-]*(?:[{_APOSTROPHES}](?={_LETTER})[^\W\d_{_APOSTROPHES}-]*)*"
)
_WORD = re.compile(_WORD_PATTERN, re.UNICODE)
# Words and numbers in text order, for the sequence.
_TOKEN = re.compile(
    _WORD_PATTERN + r"|\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?![\d])(?:[.,]\d+)?|\d+(?:[.,]\d+)?",
    re.UNICODE,
)
_DROP_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
# Sounds written with two Latin letters in one transliteration and one in another.
_DIGRAPHS = (("dzh", "j"), ("zh", "j"), ("kh", "h"), ("sh", "s"), ("ch", "c"), ("ts", "c"), ("ph", "f"))
_LETTER_FOLD = str.maketrans({"q": "k", "x": "h", "w": "v"})
_VOWELS = set("aeiouy")
_DROPPED = _VOWELS | {"j", "h"}

# Figures: grouped thousands (7,820,204 / 7 820 204) before plain numbers with decimals.
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?![\d])(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\d])"
)
_GROUPED = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f,]\d{3})+)(?:[.,](\d+))?")
_YEARS = range(1990, 2036)
# A number this small is a day, a count of ministers, a list item: not a figure.
_MIN_FIGURE = 32
# ... unless a unit follows: "5%", "7 млн", "10 billion", "27,7 foizi", "8 mlrd" are the
# figures of a story in every language ("$10 billion" / "10 млрд долларов"), a day is not.
# Prefixes of the unit words in the region's languages (any case ending).
_UNITS = (
    *("%", "percent", "per cent", "процент", "foiz", "пайыз"),
    *("billion", "bln", "млрд", "mlrd", "milliard", "миллиард"),
    *("million", "mln", "млн", "миллион", "trillion", "trln", "трлн", "триллион"),
)
_UNIT_AFTER = re.compile(r"\s?(%|[^\W\d_]+(?: cent)?)", re.UNICODE)

# A text without a digit has no figure and no date: one quick scan spares the patterns'
# (a number's lookbehind at every character was a tenth of a profile's cost).
_DIGIT = re.compile(r"\d")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:\s*[-–.]\s*|\s+)([^\W\d_]{3,})", re.UNICODE)
_MONTH_DAY = re.compile(r"\b([^\W\d_]{3,})\.?\s+(\d{1,2})\b", re.UNICODE)


@dataclass(frozen=True)
class LinkProfile:
    """What linking knows of one story. ``published_at`` None: the time is unknown (an
    evaluation page without a date; ingest always has one)."""

    story_id: str
    language: str | None
    outlet_id: str | None
    published_at: datetime | None
    names: tuple[str, ...]  # distinct name keys, in order of first mention
    terms: frozenset[str]  # skeletons of every long word: cognates survive translation
    figures: frozenset[str]
    dates: frozenset[str]  # "MM-DD" of day-and-month dates in the text
    countries: frozenset[str]
    place: str | None  # dateline place, transliterated
    agency: str | None
    length: int  # characters of title + text
    # Name, term and figure tokens in text order, repeats kept: what a translation keeps
    # and an independent report of the same event reorders (tasks/linking.alignment).
    sequence: tuple[str, ...] = ()
    # The sentence model's packed vector of the title and lead (tasks/link_model.py) and
    # the model's name: vectors of two models are not compared. None: not embedded.
    embedding: bytes | None = None
    embedding_model: str | None = None
    # The same model's vectors of the title and first sentences, one after another
    # (tasks/link_model.embed_stories). None: not embedded.
    sentences: bytes | None = None

    @property
    def day(self) -> int | None:
        """Days since the epoch of the publication: the index's time bucket."""
        return None if self.published_at is None else int(self.published_at.timestamp() // 86400)


# Second-level labels under which a registrable domain has three labels (akipress.com.kg).
_SECOND_LEVEL = {"com", "co", "org", "net", "gov", "edu", "ac", "info"}


@lru_cache(maxsize=1)
def _agency_domains() -> dict[str, str]:
    """Each agency's own domains (feeds/agencies.toml) -> its name, as ``AgencyRules``
    holds them: all ``outlet_family`` needs. The full rules compile the attribution
    grammar, seconds of a process's first link step where enrichment ran elsewhere (a
    rebuild, the process runner's workers): 2.8-7 s of a 100x50 first poll's."""
    document = load_data_file(Path(DEFAULT_AGENCIES), "agency file")
    return {
        domain.casefold().removeprefix("www."): agency["name"]
        for agency in document.get("agency", [])
        for domain in agency.get("domains", [])
    }


def _agency_for_host(host: str) -> str | None:
    """``AgencyRules.agency_for_host`` on the domains alone: the host or a parent domain."""
    domains = _agency_domains()
    host = host.casefold().removeprefix("www.")
    while host:
        if host in domains:
            return domains[host]
        host = host.partition(".")[2] if host.count(".") > 1 else ""
    return None


@lru_cache(maxsize=4096)
def outlet_family(outlet_id: str | None) -> str | None:
    """The outlet a site belongs to, whatever its language edition: the agency whose own
    domains (feeds/agencies.toml) hold the host (inform.kz, qazinform.com, oz.inform.kz:
    Kazinform), else the registrable domain (eltr.kg/ru and eltr.kg: eltr.kg; m.kun.uz:
    kun.uz)."""
    if not outlet_id:
        return None
    host = outlet_id.casefold().removeprefix("www.")
    agency = _agency_for_host(host)
    if agency:
        return agency
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


# Per-word memos: a story repeats its words and a batch its vocabulary, and transliterating
# a word is most of a profile's cost (4,252 profiles of a first poll: 565k translit_key
# calls for a few thousand distinct words). Bounded, so a long run's memory does not grow.
_WORD_MEMO = 1 << 15


def latin_letters(word: str) -> str:
    """A word's letters in Latin: the gazetteer's transliteration for the region's Cyrillic
    (tasks/tag.translit_key: Russian, Kazakh, Uzbek, Kyrgyz, Tajik), and for any other
    script it leaves (a Greek or Georgian rewrite of a wire story, an Armenian outlet)
    anyascii's romanisation, so "Κιργιζία" meets "Kyrgyzstan" instead of keeping a key
    no other language can share."""
    word = word.translate(_DROP_APOSTROPHES)
    folded = translit_key(word)
    return folded if folded.isascii() else translit_key(anyascii(word))


@lru_cache(maxsize=_WORD_MEMO)
def name_key(word: str) -> str | None:
    """The transliterated skeleton of a capitalised word, or None when it is too short to
    say anything. Vowel-initial names start with "a" (Emomali/Имомали, Astana/Остона)."""
    folded = latin_letters(word)
    if len(folded) < _MIN_NAME_LETTERS:
        return None
    key = _skeleton(folded)[:NAME_KEY_LENGTH]
    return key if len(key) >= 2 else None


def _skeleton(folded: str) -> str:
    # Greek "eu" at the start is "ев" in Russian and Kazakh ("Europe" / "Европа",
    # "Eurasian" / "Евразийский" / "Еуразиялық"): both become "ev".
    if folded.startswith("eu"):
        folded = "ev" + folded[2:]
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph, letter)
    folded = folded.translate(_LETTER_FOLD)
    head = "a" if folded[0] in _VOWELS else folded[0]
    tail = "".join(ch for ch in folded[1:] if ch not in _DROPPED)
    return head + "".join(ch for i, ch in enumerate(tail) if i == 0 or ch != tail[i - 1])


@lru_cache(maxsize=_WORD_MEMO)
def term_key(word: str) -> str | None:
    """The term key of one word (``term_keys``), or None for a word under five letters."""
    folded = latin_letters(word)
    if len(folded) >= _MIN_TERM_LETTERS:
        return _skeleton(folded)[:NAME_KEY_LENGTH]
    return None


def term_keys(text: str) -> frozenset[str]:
    """Skeletons of all words of five letters or more, capitalised or not: "стратегического
    партнерства" and "strategic partnership", "консультативной" and "consultative" meet.
    Three letters, like names; the weights (inverse frequency) sort out the common ones."""
    return _terms_of(_WORD.findall(text))


def name_keys(text: str) -> tuple[str, ...]:
    """Distinct name keys of the capitalised words of ``text``, in order of first use."""
    return _names_of(_WORD.findall(text))


# Both read one list of the text's words, the keys mapped word by word through the memos
# and kept in order of first use by a dict (C loops, where a Python loop per match was
# 1.8 s of a 100x50 first poll's profiles): the first ``MAX_TERMS`` / ``MAX_NAMES``
# distinct keys, as a loop that stops there keeps.
def _terms_of(words: list[str]) -> frozenset[str]:
    found = dict.fromkeys(map(term_key, words))
    found.pop(None, None)
    return frozenset(islice(found, MAX_TERMS))


def _names_of(words: list[str]) -> tuple[str, ...]:
    found = dict.fromkeys(map(name_key, [word for word in words if word[0].isupper()]))
    found.pop(None, None)
    return tuple(islice(found, MAX_NAMES))


def _number_value(raw: str) -> float:
    grouped = _GROUPED.fullmatch(raw)
    if grouped:
        digits = re.sub(r"[ \u00a0\u202f,]", "", grouped.group(1))
        return float(digits + ("." + grouped.group(2) if grouped.group(2) else ""))
    return float(raw.replace(",", "."))


@lru_cache(maxsize=_WORD_MEMO)
def _figure(raw: str, unit: bool = False) -> str | None:
    """A number written one way, or None for a year or a number under 32 (``unit``: a
    unit follows, and the small number is a figure: "5%", "7 млн")."""
    value = _number_value(raw)
    if value.is_integer() and (int(value) in _YEARS or (value < _MIN_FIGURE and not unit)):
        return None
    return f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))


def _unit_at(text: str, end: int) -> bool:
    """Whether a unit word or a per cent sign follows the number ending at ``end``."""
    after = _UNIT_AFTER.match(text, end)
    return after is not None and after.group(1).casefold().startswith(_UNITS)


def figures(text: str) -> frozenset[str]:
    """The text's figures, written one way: grouped thousands joined, decimal commas as
    points. Years and numbers under 32 (days, small counts) are left out, unless a unit
    follows (``_UNITS``)."""
    if _DIGIT.search(text) is None:
        return frozenset()
    found = {_figure(match.group(1), _unit_at(text, match.end())) for match in _NUMBER.finditer(text)}
    return frozenset(found - {None})


def sequence_of(text: str) -> tuple[str, ...]:
    """The language-independent tokens of ``text`` in their order, repeats kept: name
    keys of capitalised words, term keys of long words (``TERM_PREFIX``), figures
    (``FIGURE_PREFIX``) and day-and-month dates (``DATE_PREFIX``: "14 November", "14
    ноября", "14-noyabr", "November 14" are one token). A translation keeps their order
    sentence by sentence; another outlet's report of the same event names the same
    people in an order of its own."""
    return _sequence(text, None)


def _sequence(text: str, words: list[str] | None) -> tuple[str, ...]:
    """``sequence_of``; ``words``: the text's ``_WORD`` matches if the caller has them."""
    if _DIGIT.search(text) is None:
        return _word_sequence(_WORD.findall(text) if words is None else words)
    out: list[str] = []
    day: int | None = None  # a number of 1-31 just before: the day of a "14 November"
    previous: str | None = None  # the word just before: the month of a "November 14"
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        # isdecimal, not isdigit: a superscript or circled digit ("5 ²") is a word to
        # the pattern, and int() refuses it.
        if token[0].isdecimal():
            small = token.isdecimal() and 1 <= int(token) <= 31
            month = month_of(previous) if small and previous else None
            if month is not None:
                out[-1] = f"{DATE_PREFIX}{month:02d}-{int(token):02d}"
            figure = _figure(token, _unit_at(text, match.end()))
            if figure is not None:
                out.append(FIGURE_PREFIX + figure)
            day, previous = (int(token) if small and month is None else None), None
            continue
        if day is not None:
            month = month_of(token)
            if month is not None:
                out.append(f"{DATE_PREFIX}{month:02d}-{day:02d}")
                day = previous = None
                continue
        day, previous = None, None
        key = _word_token(token)
        if key is not None:
            out.append(key)
            previous = token
        if len(out) >= MAX_SEQUENCE:
            break
    return tuple(out[:MAX_SEQUENCE])


@lru_cache(maxsize=_WORD_MEMO)
def _word_token(word: str) -> str | None:
    """A word's token in the sequence: its name key if capitalised, else its term key
    with ``TERM_PREFIX`` (one memo lookup, and one prefixed string per word, not per use)."""
    if word[0].isupper():
        return name_key(word)
    key = term_key(word)
    return None if key is None else TERM_PREFIX + key


def _word_sequence(words: list[str]) -> tuple[str, ...]:
    """``sequence_of`` a text without a digit: no figure, no date, so its tokens are its
    words' (``_TOKEN`` matches only ``_WORD``'s words there), the first ``MAX_SEQUENCE``."""
    return tuple(islice((key for key in map(_word_token, words) if key is not None), MAX_SEQUENCE))


@lru_cache(maxsize=1)
def _month_prefixes() -> tuple[tuple[str, int], ...]:
    """The CLDR month names (tasks/datelines.py, the same ones datelines read), longest
    first: a word that starts with one of four letters or more names its month."""
    return tuple(sorted(month_numbers().items(), key=lambda item: -len(item[0])))


def month_of(word: str) -> int | None:
    """The month a word names (any case ending: декабря, dekabrda, желтоқсанда), or None."""
    lowered = word.casefold()
    exact = month_numbers().get(lowered)
    if exact is not None:
        return exact
    for name, month in _month_prefixes():
        # Short names (mar, окт, мая) only as the whole word: "Marat", "октет" are not months.
        if len(name) >= 4 and lowered.startswith(name):
            return month
    return None


def day_months(text: str) -> frozenset[str]:
    """Day-and-month dates written in the text ("13 марта", "March 13", "15-noyabr")."""
    if _DIGIT.search(text) is None:
        return frozenset()
    pairs = [*_DAY_MONTH.findall(text), *((day, word) for word, day in _MONTH_DAY.findall(text))]
    found = set()
    for day, word in pairs:
        month = month_of(word)
        if month is not None and 1 <= int(day) <= 31:
            found.add(f"{month:02d}-{int(day):02d}")
    return frozenset(found)


def profile_of(
    story_id: str,
    title: str,
    text: str,
    *,
    language: str | None,
    outlet_id: str | None,
    published_at: datetime | None,
    enrichment: dict,
) -> LinkProfile:
    """The linking profile of one story from its clean title and text and the columns
    enrichment filled (countries, dateline_place, wire_agency)."""
    full = f"{title}\n{text}"
    words = _WORD.findall(full)
    countries = enrichment.get("countries") or []
    place = enrichment.get("dateline_place")
    return LinkProfile(
        story_id=story_id,
        language=(language or None),
        outlet_id=outlet_id,
        published_at=published_at,
        names=_names_of(words),
        terms=_terms_of(words),
        figures=figures(full),
        dates=day_months(full),
        countries=frozenset(c["code"] if isinstance(c, dict) else c for c in countries),
        place=translit_key(place) if place else None,
        agency=enrichment.get("wire_agency"),
        length=len(full),
        sequence=_sequence(full, words),
    )
