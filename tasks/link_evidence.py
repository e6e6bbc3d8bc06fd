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

_WORD = re.compile(r"[^\W\d_][^\W\d_'’ʻʼ‘`-]*", re.UNICODE)
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

# Month names and their stems in the languages of the region (en, ru, uz Latin and
# Cyrillic, kk, ky, de), lower case; a word that starts with a stem names that month.
_MONTH_STEMS: tuple[tuple[str, int], ...] = tuple(
    (stem, month)
    for month, stems in enumerate(
        (
            "january jan январ yanvar қаңтар januar",
            "february feb феврал fevral ақпан februar",
            "march mar март mart наурыз märz",
            "april apr апрел aprel сәуір",
            "may мая май мамыр mai",
            "june jun июн iyun маусым juni",
            "july jul июл iyul шілде juli",
            "august aug август avgust тамыз",
            "september sep сентябр сен sentabr қыркүйек",
            "october oct октябр окт oktabr okt қазан oktober",
            "november nov ноябр ноя noyabr қараша",
            "december dec декабр дек dekabr желтоқсан dez",
        ),
        start=1,
    )
    for stem in stems.split()
)
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

    @property
    def day(self) -> int | None:
        """Days since the epoch of the publication: the index's time bucket."""
        return None if self.published_at is None else int(self.published_at.timestamp() // 86400)


def name_key(word: str) -> str | None:
    """The transliterated skeleton of a capitalised word, or None when it is too short to
    say anything. Vowel-initial names start with "a" (Emomali/Имомали, Astana/Остона)."""
    folded = translit_key(word)
    if len(folded) < _MIN_NAME_LETTERS or not folded.isascii():
        return None if len(folded) < _MIN_NAME_LETTERS else folded[:NAME_KEY_LENGTH]
    key = _skeleton(folded)[:NAME_KEY_LENGTH]
    return key if len(key) >= 2 else None


def _skeleton(folded: str) -> str:
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph, letter)
    folded = folded.translate(_LETTER_FOLD)
    head = "a" if folded[0] in _VOWELS else folded[0]
    tail = "".join(ch for ch in folded[1:] if ch not in _DROPPED)
    return head + "".join(ch for i, ch in enumerate(tail) if i == 0 or ch != tail[i - 1])


def term_keys(text: str) -> frozenset[str]:
    """Skeletons of all words of five letters or more, capitalised or not: "стратегического
    партнерства" and "strategic partnership", "консультативной" and "consultative" meet.
    Three letters, like names; the weights (inverse frequency) sort out the common ones."""
    found = set()
    for match in _WORD.finditer(text):
        folded = translit_key(match.group(0))
        if len(folded) >= _MIN_TERM_LETTERS and folded.isascii():
            found.add(_skeleton(folded)[:NAME_KEY_LENGTH])
            if len(found) >= MAX_TERMS:
                break
    return frozenset(found)


def name_keys(text: str) -> tuple[str, ...]:
    """Distinct name keys of the capitalised words of ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text):
        word = match.group(0)
        if not word[0].isupper():
            continue
        key = name_key(word)
        if key is not None and key not in seen:
            seen[key] = None
            if len(seen) >= MAX_NAMES:
                break
    return tuple(seen)


def _number_value(raw: str) -> float:
    grouped = _GROUPED.fullmatch(raw)
    if grouped:
        digits = re.sub(r"[ \u00a0\u202f,]", "", grouped.group(1))
        return float(digits + ("." + grouped.group(2) if grouped.group(2) else ""))
    return float(raw.replace(",", "."))


def figures(text: str) -> frozenset[str]:
    """The text's figures, written one way: grouped thousands joined, decimal commas as
    points. Years and numbers under 32 (days, small counts) are left out."""
    found = set()
    for match in _NUMBER.finditer(text):
        value = _number_value(match.group(1))
        if value.is_integer() and (int(value) in _YEARS or value < _MIN_FIGURE):
            continue
        found.add(f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value)))
    return frozenset(found)


def month_of(word: str) -> int | None:
    """The month a word names (any case ending: декабря, dekabrda, желтоқсанда), or None."""
    lowered = word.casefold()
    for stem, month in _MONTH_STEMS:
        # Short stems (mar, окт, мая) only as the whole word: "Marat", "октет" are not months.
        if lowered == stem or (len(stem) >= 4 and lowered.startswith(stem)):
            return month
    return None


def day_months(text: str) -> frozenset[str]:
    """Day-and-month dates written in the text ("13 марта", "March 13", "15-noyabr")."""
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
    countries = enrichment.get("countries") or []
    place = enrichment.get("dateline_place")
    return LinkProfile(
        story_id=story_id,
        language=(language or None),
        outlet_id=outlet_id,
        published_at=published_at,
        names=name_keys(full),
        terms=term_keys(full),
        figures=figures(full),
        dates=day_months(full),
        countries=frozenset(c["code"] if isinstance(c, dict) else c for c in countries),
        place=translit_key(place) if place else None,
        agency=enrichment.get("wire_agency"),
        length=len(full),
    )
