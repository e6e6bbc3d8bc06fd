"""A grammar of datelines, the line a wire story opens with: where it was filed, when, and
by which agency.

The region's agencies write one grammar in many house styles:

    PLACE [, REGION | [COUNTRY]]* [,|. DATE] [. ]( (AGENCY[/AGENCY]) | /AGENCY/ | AGENCY - | - AGENCY. ) SEP

    ALMATY, Oct 6 (Reuters) -            New Delhi [India], Oct 9 (ANI):
    TASHKENT, Uzbekistan, Oct. 9 (Trend):   Bishkek (AKIpress) -       (Kyodo/AFP) -
    МОСКВА, 9 октября. /ТАСС/.           ДУШАНБЕ, 9 окт — РИА Новости.
    Астана. 9 октября. INTERFAX.RU -     ASTANA. KAZINFORM -        Toshkent, 9 oktabr – UzA.
    DUSHANBE, October 9 —  (staff)       MOSCOW:  (staff)

So the pattern is composed here from its parts — place shapes, the agency aliases of
``feeds/agencies.toml``, month names of every language the region writes in (CLDR, via
babel, so "9 oktabr", "9 қазан", "9 Ekim" need no list of ours) — instead of one regular
expression per house style. A dateline without an agency is only taken where a false one
is unlikely: a place in capitals, or a place the gazetteer knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newswire.tasks.patterns import trie_pattern

# Languages whose month names a dateline may use (babel locale ids).
DATE_LOCALES = ("en", "ru", "uz", "uz_Cyrl", "kk", "ky", "tg", "tk", "tr", "az", "de", "fr", "uk", "be")
# A dot only inside a word (U.S.A), so "ASTANA. KAZINFORM -" stays two parts.
# Uzbek writes its digraphs half in capitals ("TOShKENT").
_CAPS_WORD = (
    r"[A-ZÀ-ÖØ-ÞİŞĞ](?:[A-ZÀ-ÖØ-ÞİŞĞ'’ʻ‘-]|Sh|Ch|Ng|\.(?=[A-Z]))+|[А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶ][А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶ'-]+"
)
_TITLE_WORD = r"[A-Z][a-zà-ÿ'’ʻ‘-]+|[А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶ][а-яёәғқңөұүһіўҳҷ'-]+|O[ʻ‘'’]z[a-z]+|Oʻ[a-z]+"
_PARTICLE = r"(?:de|da|do|del|la|le|of|on|upon|am|an|der|el|al)"
# One to four words, all in capitals or all in title case; two places at once with "/".
_CAPS_PLACE = rf"(?:(?:ST|MT|FT)\. )?(?:{_CAPS_WORD})(?:[ /-](?:{_CAPS_WORD})){{0,3}}"
_TITLE_PLACE = rf"(?:{_TITLE_WORD})(?:[ -](?:{_PARTICLE} )?(?:{_TITLE_WORD})){{0,2}}(?:/(?:{_TITLE_WORD}))?"
# A hyphen separates only with a space before it ("Kassym-Jomart" is one word).
_SEP = r"(?:\s+-+\s*|\s*[–—]+\s*|\s*:\s+)"


_HEAD_CHARS = 160
_MEMO_SIZE = 4096


@lru_cache(maxsize=1)
def month_names() -> tuple[str, ...]:
    """Month names and abbreviations (format and stand-alone forms) in ``DATE_LOCALES``,
    longest first, from CLDR; plus the forms newsrooms use that CLDR does not ("Sept")."""
    from babel import Locale

    names: set[str] = {"Sept", "Sep", "Okt", "Noy", "Dek", "Fev", "Yan"}
    for locale_id in DATE_LOCALES:
        try:
            locale = Locale.parse(locale_id)
        except (ValueError, LookupError):
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for name in locale.months.get(context, {}).get(width, {}).values():
                    name = name.strip(".")
                    if len(name) >= 3 and not name.isdigit():
                        names.add(name)
    return tuple(sorted(names, key=len, reverse=True))


def _date_pattern() -> str:
    month = "(?i:" + trie_pattern(month_names()) + r")\.?"
    year = r"(?:,?\s*\d{4}(?:\s*(?:г\.|года|yil|йил|жыл|ж\.|yılı))?)"
    return (
        rf"(?:{month}\s*\d{{1,2}}(?:st|nd|rd|th)?{year}?"
        rf"|\d{{1,2}}(?:-|\s*)(?:{month}){year}?"
        rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
    )


@dataclass(frozen=True)
class Dateline:
    place: str | None
    region: str | None
    date: str | None
    agencies: tuple[str, ...]
    end: int  # where the story text starts after the dateline
    separator: str = ""  # what ended a dateline without an agency: "-", ":", "." or ""


def _separator_kind(separator: str | None) -> str:
    """ "-" for any dash, ":" or "." as written, " " for none but a space, "" at the end."""
    if not separator:
        return ""
    mark = separator.strip()[:1]
    return "-" if mark in "-–—" and mark else (mark or " ")


class DatelineGrammar:
    """Datelines at the start of a paragraph, built from the agency aliases (a regular
    expression alternation, as ``AgencyRules.agency_pattern``)."""

    def __init__(self, agency_pattern: str):
        ag = agency_pattern
        ags = rf"{ag}(?:\s*/\s*{ag})*"
        date = _date_pattern()
        place = rf"(?P<place>{_CAPS_PLACE}|{_TITLE_PLACE})(?![\w'’])"
        not_month = "(?!(?i:" + trie_pattern(month_names()) + r")\b)"
        region = (
            rf"(?:\s*,\s*{not_month}(?:{_TITLE_PLACE}|{_CAPS_PLACE}|[A-Z]\.[A-Z]\.?))"
            r"|(?:\s*\[[^\]\n]{2,40}\])"
        )
        # Chrome the page glued to the dateline: a time and date ("11:35, 10 января 2022, ",
        # "date 2025-10-23 ").
        chrome = (
            rf"(?:(?:date\s+)?\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]\d{{2}}:\d{{2}}(?::\d{{2}})?)?[,\s]+)?"
            rf"(?:\d{{1,2}}:\d{{2}}[,\s]+)?(?:{date}[,\s]+(?=\w))?"
        )
        lead = (
            rf"\s*{chrome}{place}(?P<region>(?:{region}){{0,2}})(?:\s*[,.]?\s*(?P<date>{date}))?\s*[.,]?\s*"
        )
        self._with_place = re.compile(
            lead + rf"(?:\((?P<a1>{ags})\)\s*(?:[-–—]+|:)?\s*"
            rf"|/\s*(?P<a2>{ags})\s*/\.?(?:{_SEP})?"
            rf"|\((?P<code>[A-ZА-Я]{{2,6}})\)\s*[-–—:]+\s*"
            rf"|(?<!\w)(?P<a3>{ag})(?:{_SEP}|\s+(?=[A-ZА-ЯЁ]))"
            rf"|[-–—]+\s*(?P<a4>{ag})(?:\s*[.,]\s*|{_SEP})"
            rf"|(?P<sep>{_SEP}|\.\s+|$|\s+(?=[A-ZА-ЯЁ])))"
        )
        # "(AP) —", and an agency's own name as the dateline: "AKIPRESS.COM - ", "KABAR - ".
        # (A colon after a bare agency name is a headline label: "AP: Kyrgyz chief warns".)
        self._bare = re.compile(rf"\((?P<a1>{ags})\)\s*[-–—:]+\s*|(?P<a0>{ag})(?:\s+-+\s*|\s*[–—]+\s*)")
        self._agency_alias = re.compile(rf"(?<!\w){ag}(?!\w)")
        self._seen: dict[str, Dateline | None] = {}

    def agencies_in(self, text: str) -> tuple[str, ...]:
        return tuple(m.group(0) for m in self._agency_alias.finditer(text))

    def match(self, paragraph: str) -> Dateline | None:
        """The dateline opening ``paragraph``, or None. Without an agency the caller
        decides whether the place is believable (``Dateline.agencies`` is empty).
        Furniture removal and attribution ask about the same paragraphs: answers are
        remembered for the last few thousand."""
        head = paragraph[:_HEAD_CHARS]
        if head in self._seen:
            return self._seen[head]
        if len(self._seen) > _MEMO_SIZE:
            self._seen.clear()
        found = self._seen[head] = self._match(head)
        return found

    def _match(self, paragraph: str) -> Dateline | None:
        # A dateline is short: looking at the paragraph's head bounds the work per paragraph.
        paragraph = paragraph[:_HEAD_CHARS]
        if not paragraph[:1].isalnum() and paragraph[:1] not in "(" and not paragraph.lstrip()[:1].isalnum():
            return None
        bare = self._bare.match(paragraph)
        if bare:
            return Dateline(
                None, None, None, self.agencies_in(bare.group("a1") or bare.group("a0")), bare.end()
            )
        found = self._with_place.match(paragraph)
        if not found:
            return None
        groups = found.groupdict()
        named = next((groups[k] for k in ("a1", "a2", "a3", "a4") if groups.get(k)), None)
        region = (groups.get("region") or "").strip(" ,[]") or None
        return Dateline(
            place=groups["place"],
            region=region,
            date=(groups.get("date") or "").rstrip(".") or None,
            agencies=self.agencies_in(named) if named else (),
            end=found.end(),
            separator=_separator_kind(groups.get("sep")),
        )
