"""A grammar of datelines, the line a wire story opens with: where it was filed, when, and
by which agency.

The region's agencies write one grammar in many house styles:

    [CHROME] PLACE [, REGION | [COUNTRY] | (COUNTRY)]* [,|.|/ DATE [, TIME]] [.,] AGENCY-SLOT SEP

    AGENCY-SLOT:  (AGENCY[/AGENCY])   /AGENCY/   AGENCY -   - AGENCY.   , AGENCY --   AGENCY.
                  (Outlet Name) -     (an outlet's own name: a staff dateline, no agency)
    AGENCY:       an alias of feeds/agencies.toml, optionally in quotes and after an agency-kind
                  word ("ИА «Фергана»", "НИАТ «Ховар»", "ИА REGNUM")

    ALMATY, Oct 6 (Reuters) -            New Delhi [India], Oct 9 (ANI):
    TASHKENT, Uzbekistan, Oct. 9 (Trend):   Bishkek (AKIpress) -       (Kyodo/AFP) -
    МОСКВА, 9 октября. /ТАСС/.           ДУШАНБЕ, 9 окт — РИА Новости.
    АСТАНА, 9 октября. /Корр. ТАСС Иван Иванов/.
    Астана. 9 октября. INTERFAX.RU -     ASTANA. KAZINFORM -        Toshkent, 9 oktabr – UzA.
    Tehran, IRNA --                      YEREVAN, OCTOBER 6, ARMENPRESS.     Madrid, 6 oct (EFE).-
    Baku/09.10.24/Turan:
    Almaty (Kazakhstan) (AFP) -          Berlin, 6. Oktober (dpa) -          (ANSA) - ROMA, 6 OTT -
    新华社阿斯塔纳10月6日电              DUSHANBE, October 9 —  (staff)       MOSCOW:  (staff)

So the pattern is composed here from its parts — place shapes, the agency aliases of
``feeds/agencies.toml``, month names of every language the region writes in (CLDR, via
babel, so "9 oktabr", "9 қазан", "9 Ekim" need no list of ours) — instead of one regular
expression per house style. A dateline without an agency is only taken where a false one
is unlikely: a place in capitals, or a place the gazetteer knows (attribute.py decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from newswire.tasks.patterns import trie_pattern

# Languages whose month names a dateline may use (babel locale ids): the region's, and
# those of the agencies that carry it (dpa, AFP, EFE, ANSA, Anadolu).
DATE_LOCALES = (
    "en", "ru", "uz", "uz_Cyrl", "kk", "ky", "tg", "tk", "tr", "az", "de", "fr", "uk", "be", "it", "es",
)  # fmt: skip
# A dot only inside a word (U.S.A), so "ASTANA. KAZINFORM -" stays two parts.
# Uzbek writes its digraphs half in capitals ("TOShKENT"); Ukrainian has Ї, Є, Ґ ("Київ").
_CAPS_WORD = (
    r"[A-ZÀ-ÖØ-ÞİŞĞ](?:[A-ZÀ-ÖØ-ÞİŞĞ'’ʻ‘-]|Sh|Ch|Ng|\.(?=[A-Z]))+"
    r"|[А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶЇЄҐ][А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶЇЄҐ'-]+"
)
_TITLE_WORD = (
    r"[A-ZİŞ][a-zà-ÿışğ'’ʻ‘-]+|[А-ЯЁӘҒҚҢӨҰҮҺІЎҲҶЇЄҐ][а-яёәғқңөұүһіўҳҷїєґ'-]+|O[ʻ‘'’]z[a-z]+|Oʻ[a-z]+"
)
_PARTICLE = r"(?:de|da|do|del|la|le|of|on|upon|am|an|der|el|al)"
# A hyphen separates only with a space before it ("Kassym-Jomart" is one word).
_SEP = r"(?:\s+-+\s*|\s*[–—]+\s*|\s*:\s+)"
# Words that say "agency" before or after its name: "ИА «Фергана»", "НИАТ «Ховар»", "Dunyo IA",
# "«Дунё» АА" (Uzbek "ахборот агентлиги", in Cyrillic: Latin "AA" is Anadolu's name, and
# says "agency" only after another agency's name: "(Dunyo AA)").
_AGENCY_KIND = r"(?:ИА|НИАТ|МИА|АН|КНИА|АА|IA|NIAT)"
_OPEN_QUOTE, _CLOSE_QUOTE = r"[«\"“„]", r"[»\"”“]"
# "and agencies" after the slot's last agency: "(AsiaNews/Agencies)", "(AFP/agences)".
_AGENCIES_WORD = r"(?i:agencies|agences|agenzie|agencias|агентства)"
# A correspondent's dispatch names the reporter in the slot: "/Корр. ТАСС Иван Иванов/".
_CORRESPONDENT = r"(?:[Кк]орр\.|[Сс]обкор)"
_NAME_WORD = r"[A-ZА-ЯЁ][\w.'’-]+"
# Chinese agencies' dateline: 新华社阿斯塔纳10月6日电（记者 ...）
_CJK = r"\u3400-\u9fff"
# Arabic-script letters and marks (Arabic, Persian, Urdu): U+0600-06FF and its supplement.
_ARABIC = r"\u0600-\u06ff\u0750-\u077f"
# Whole-word edges of a name: Chinese writes no spaces, so an ideograph next to a name
# ("塔斯社等媒体") is no part of it.
WORD_BEFORE = rf"(?<![^\W{_CJK}])"
WORD_AFTER = rf"(?![^\W{_CJK}])"


_HEAD_CHARS = 160
# HTML tags a page's text kept at a paragraph's start: "<p>", "<br/>", "<strong>".
_LEFTOVER_TAGS = re.compile(
    r"\s*(?:</?(?:p|br|div|span|strong|b|em|i)(?:\s[^<>]{0,80})?/?>\s*)+", re.IGNORECASE
)
_MEMO_SIZE = 4096


# Newsroom spellings CLDR does not have, with their months.
_EXTRA_MONTHS = {
    "Sept": 9, "Sep": 9, "Okt": 10, "Noy": 11, "Dek": 12, "Fev": 2, "Yan": 1,
    # Kazakh in the Latin alphabet (CLDR's kk is Cyrillic): "Astana. 6 qazan. KAZINFORM -"
    "Qańtar": 1, "Aqpan": 2, "Naýryz": 3, "Sáýir": 4, "Mamyr": 5, "Maýsym": 6, "Shilde": 7,
    "Tamyz": 8, "Qyrkúıek": 9, "Qyrkúiek": 9, "Qazan": 10, "Qarasha": 11, "Jeltoqsan": 12,
}  # fmt: skip


def _cldr_months() -> list[tuple[str, int]]:
    """(name, month) for every month name and abbreviation, format and stand-alone, of
    ``DATE_LOCALES`` in CLDR, plus ``_EXTRA_MONTHS``."""
    from babel import Locale

    found = list(_EXTRA_MONTHS.items())
    for locale_id in DATE_LOCALES:
        try:
            locale = Locale.parse(locale_id)
        except (ValueError, LookupError):
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for month, name in locale.months.get(context, {}).get(width, {}).items():
                    name = name.strip(".")
                    if len(name) >= 3 and not name.isdigit():
                        found.append((name, int(month)))
    return found


@lru_cache(maxsize=1)
def month_names() -> tuple[str, ...]:
    """Month names and abbreviations (format and stand-alone forms) in ``DATE_LOCALES``,
    longest first, from CLDR; plus the forms newsrooms use that CLDR does not ("Sept")."""
    return tuple(sorted({name for name, _ in _cldr_months()}, key=len, reverse=True))


@lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Each month name of ``month_names`` in lower case -> its month (1-12); a name that
    two locales give to different months is left out (it says no month for sure)."""
    months: dict[str, set[int]] = {}
    for name, month in _cldr_months():
        months.setdefault(name.casefold(), set()).add(month)
    return {name: next(iter(found)) for name, found in months.items() if len(found) == 1}


def _date_pattern() -> str:
    """A date as datelines write it: "Oct. 9", "October 9, 2024", "9 октября 2024 г.",
    "9-oktabr", "6. Oktober", "6th October, 2020", "09.10.2024"; a time may follow
    ("9 октября 2024, 10:35")."""
    month = "(?i:" + trie_pattern(month_names()) + r")\.?"
    year = r"(?:,?\s*\d{4}(?:\s*(?:г\.|года|yil|йил|жыл|ж\.|yılı))?)"
    time = r"(?:,?\s*\d{1,2}:\d{2}(?![\d:]))?"
    return (
        rf"(?:(?:{month}\s*\d{{1,2}}(?:st|nd|rd|th)?{year}?"
        # (Turkmen writes the day as an ordinal: "6-njy oktýabr", "1-nji iýun")
        rf"|\d{{1,2}}(?:st|nd|rd|th|\.|-(?:njy|nji|nju|njü|y|i|u|ü)(?=\s))?(?:-|\s*)(?:{month}){year}?"
        rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}){time})"
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
        # One agency as a slot writes it: quoted, after or before an agency-kind word.
        kind_after = rf"(?:\s+(?:{_AGENCY_KIND}|AA)(?!\w))?"
        one = rf"(?:{_AGENCY_KIND}\s+)?{_OPEN_QUOTE}?(?:{ag}){_CLOSE_QUOTE}?{kind_after}"
        ags = rf"{one}(?:\s*/\s*{one})*(?:\s*/\s*{_AGENCIES_WORD})?"
        date = _date_pattern()
        not_month = "(?!(?i:" + trie_pattern(month_names()) + r")\b)"
        # One to four words, all in capitals or all in title case; two places at once with
        # "/" ("BISHKEK/MOSCOW"), but not a month after a slash ("BISHKEK/JUNE 1 2021").
        caps_place = (
            rf"(?:(?:ST|MT|FT)\. )?(?:{_CAPS_WORD})(?:(?:[ -]|/\s?{not_month})(?:{_CAPS_WORD})){{0,3}}"
        )
        title_place = (
            rf"(?:{_TITLE_WORD})(?:[ -](?:{_PARTICLE} )?(?:{_TITLE_WORD})){{0,2}}"
            rf"(?:/{not_month}(?:{_TITLE_WORD}))?"
        )
        place = rf"(?P<place>{caps_place}|{title_place})(?![\w'’])"
        not_agency = rf"(?!{one}(?!\w))"
        region = (
            rf"(?:\s*,\s*{not_month}{not_agency}(?:{title_place}|{caps_place}|[A-Z]\.[A-Z]\.?)(?![\w'’]))"
            r"|(?:\s*\[[^\]\n]{2,40}\])"
            # (a country in brackets, before the agency's or the date: "Almaty (Kazakhstan), June 5")
            rf"|(?:\s*\({not_agency}(?:{title_place})\)(?=\s*[(,]))"
        )
        # Chrome the page glued to the dateline: a time and date ("11:35, 10 января 2022, ",
        # "date 2025-10-23 ", "date 2020-10 ").
        chrome = (
            rf"(?:(?:date\s+)?\d{{4}}-\d{{2}}(?:-\d{{2}})?(?:[ T]\d{{2}}:\d{{2}}(?::\d{{2}})?)?[,\s]+)?"
            rf"(?:\d{{1,2}}:\d{{2}}[,\s]+)?(?:{date}[,\s]+(?=\w))?"
        )
        lead = (
            rf"\s*{chrome}{place}(?P<region>(?:{region}){{0,2}})"
            rf"(?:\s*[,./]?\s*(?P<date>{date}))?\s*[.,]?\s*"
        )
        after_paren = r"\s*[.,]?\s*(?:[-–—]+|:)?\s*"
        outlet = r"[A-Z][\w.'’&]*(?: [\w.'’&]+){0,3}"
        self._with_place = re.compile(
            # (an outlet's name before the agency, and the date after it, may share the
            # brackets: "(UrduPoint News / Sputnik - 07th January, 2022)")
            lead + rf"(?:\((?:{not_agency}{outlet}\s*/\s*)?(?P<a1>{ags})"
            rf"(?:\s*[-–—,]\s*(?P<pdate>{date}))?\){after_paren}"
            rf"|/\s*(?:{_CORRESPONDENT}\s*)?(?P<a2>{ags})(?:\s+{_NAME_WORD}){{0,3}}\s*/\.?(?:{_SEP})?"
            rf"|/\s*(?P<a5>{ags})\s*:\s+"
            rf"|\((?P<code>[A-ZА-Я]{{2,6}})\)\s*[-–—:]+\s*"
            rf"|(?<!\w)(?P<a3>{ags})(?:{_SEP}|\s*/\s*|\.\s+|\s+(?=[A-ZА-ЯЁ]))"
            rf"|[-–—]+\s*(?P<a4>{ags})(?:\s*[.,]\s*|{_SEP})"
            rf"|\((?P<outlet>[A-Z][\w.'’&]*(?: [\w.'’&]+){{0,3}})\)\s*[-–—]+\s*"
            rf"|(?P<sep>{_SEP}|\.\s+|$|\s+(?=[A-ZА-ЯЁ])))"
        )
        # "(AP) —", and an agency's own name as the dateline: "AKIPRESS.COM - ", "KABAR - ".
        # (A colon after a bare agency name is a headline label: "AP: Kyrgyz chief warns".)
        # A date may come first when the place is left out: "July 22 (Bloomberg) --".
        self._bare = re.compile(
            rf"(?:(?P<bdate>{date})\s*)?\((?P<a1>{ags})\)\s*[-–—:]+\s*|(?P<a0>{ag})(?:\s+-+\s*|\s*[–—]+\s*)"
        )
        # A syndicator's credit before the dateline: "(MENAFN- Trend News Agency) TASHKENT, ...",
        # "(Via - Xinhua) BEIJING, ...": the agency is the one after the dash.
        self._syndicator = re.compile(
            r"\s*(?:(?:date\s+)?\d{4}-\d{2}(?:-\d{2})?\s+)?"
            rf"\((?:[A-Z][\w.&'’]*(?: [\w.&'’]+){{0,3}})\s*[-–—]\s*(?P<a1>{ags})\)\s*(?:[-–—:]+\s*)?"
        )
        self._cjk = re.compile(
            rf"(?P<a1>{ag})(?P<place>[{_CJK}]{{2,10}}?)(?P<date>\d{{1,2}}月\d{{1,2}}日)[电電]"
            rf"(?:\s*[（(][^）)\n]{{1,40}}[）)])?\s*"
        )
        # Arabic script (Urdu, Persian, Arabic pages): the place and the agency in brackets,
        # a space between or none: "تاشقند(شِنہوا)", "تہران (ارنا)" (Tashkent (Xinhua)).
        rtl_word = rf"[{_ARABIC}]+"
        self._rtl = re.compile(
            rf"(?P<place>{rtl_word}(?: {rtl_word}){{0,2}})\s*[(（](?P<a1>{ags})[)）]\s*[-–—:،۔]*\s*"
        )
        self._agency_alias = re.compile(rf"{WORD_BEFORE}{ag}{WORD_AFTER}")
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
        # Markup the page left before the text ("<p>ALMATY. KAZINFORM – ..."): the dateline
        # follows it, and the story starts after both.
        markup = _LEFTOVER_TAGS.match(paragraph)
        if markup:
            found = self._match(paragraph[markup.end() :])
            return replace(found, end=found.end + markup.end()) if found else None
        # A dateline is short: looking at the paragraph's head bounds the work per paragraph.
        paragraph = paragraph[:_HEAD_CHARS]
        if not paragraph[:1].isalnum() and paragraph[:1] not in "(" and not paragraph.lstrip()[:1].isalnum():
            return None
        bare = self._bare.match(paragraph)
        if bare:
            agencies = self.agencies_in(bare.group("a1") or bare.group("a0"))
            # The agency first, then the place: "(ANSA) - ROMA, 6 OTT - ".
            then = self._with_place.match(paragraph, bare.end())
            if then and then.group("date") and _separator_kind(then.group("sep")) == "-":
                return self._dateline(then, agencies)
            return Dateline(None, None, bare.group("bdate"), agencies, bare.end())
        syndicator = self._syndicator.match(paragraph)
        if syndicator:
            agencies = self.agencies_in(syndicator.group("a1"))
            then = self._with_place.match(paragraph, syndicator.end())
            # (only a dateline's shape: a place in capitals or with its date, not the
            # story's first words: "(MENAFN- Trend News Agency) Uzbekistan Airways will ...")
            if then and then.group("place") and (then.group("date") or then.group("place").isupper()):
                return self._dateline(then, agencies)
            return Dateline(None, None, None, agencies, syndicator.end())
        if "\u0600" <= paragraph[:1] <= "\u06ff":
            rtl = self._rtl.match(paragraph)
            if rtl:
                return Dateline(rtl.group("place"), None, None, self.agencies_in(rtl.group("a1")), rtl.end())
        cjk = self._cjk.match(paragraph)
        if cjk:
            agencies = self.agencies_in(cjk.group("a1"))
            return Dateline(cjk.group("place"), None, cjk.group("date"), agencies, cjk.end())
        found = self._with_place.match(paragraph)
        if not found:
            return None
        groups = found.groupdict()
        named = next((groups[k] for k in ("a1", "a2", "a3", "a4", "a5") if groups.get(k)), None)
        return self._dateline(found, self.agencies_in(named) if named else ())

    @staticmethod
    def _dateline(found: re.Match[str], agencies: tuple[str, ...]) -> Dateline:
        groups = found.groupdict()
        region = (groups.get("region") or "").strip(" ,[]()") or None
        separator = "-" if groups.get("outlet") else _separator_kind(groups.get("sep"))
        return Dateline(
            place=groups["place"],
            region=region,
            date=(groups.get("date") or groups.get("pdate") or "").rstrip(".") or None,
            agencies=agencies,
            end=found.end(),
            separator=separator,
        )
