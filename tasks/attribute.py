"""Wire attribution: who really wrote a story, where it was filed from, and who worked on it.

Outlets republish agency copy and say so in a handful of conventional places: a dateline
("MOSCOW (Reuters) -", "АСТАНА, 1 октября. /ТАСС/."), a sign-off ("— AFP"), a credit line
("(Reporting by X; editing by Y)"), a syndication note ("auto generated from the Reuters
news service") or a headline suffix ("- Reuters"). The agencies and those forms are data
(``feeds/agencies.toml``); this module applies them, moves what it finds into columns and
takes it out of the text, so two outlets' copies of one wire story read the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from newswire.tasks.datafiles import DataFileError, compile_pattern, load_data_file
from newswire.tasks.datelines import WORD_AFTER, WORD_BEFORE, Dateline, DatelineGrammar, month_numbers
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.furniture import says_it_is_a_picture
from newswire.tasks.memo import per_rules
from newswire.tasks.patterns import trie_pattern
from newswire.tasks.text import fold_whitespace

DEFAULT_AGENCIES = DEFAULT_DESK.agencies
CREDIT_ROLES = ("reporting", "writing", "editing", "additional_reporting")
# Below this many words of text we cannot tell staff copy from a wire item whose dateline
# the feed cut off: origin stays "unknown" instead of guessing "staff".
MIN_WORDS_FOR_STAFF = 20
# A credit line names a few people; a longer "name" is a sentence that starts like one.
_MAX_NAME_WORDS = 5
_NAME_SPLIT = re.compile(r"\s*(?:,|&|\band\b|\bи\b)\s*", re.IGNORECASE)
_NAME_PLACE = re.compile(r"\s+(?:in|from|в)\s+[A-ZА-ЯЁ][\w .'-]*$")


@dataclass(frozen=True)
class AgencyRules:
    names_by_alias: dict[str, str]
    agency_pattern: str
    datelines: tuple[re.Pattern[str], ...]
    not_places: frozenset[str]
    signoffs: tuple[re.Pattern[str], ...]
    credit_role: re.Pattern[str]
    role_by_phrase: dict[str, str]
    syndication: tuple[re.Pattern[str], ...]
    title_prefixes: re.Pattern[str]
    agency_suffix: re.Pattern[str]
    outlet_suffix: re.Pattern[str]
    aggregator_suffix: re.Pattern[str]
    grammar: DatelineGrammar
    names_by_domain: dict[str, str]
    source_line: re.Pattern[str]
    bare_agencies: re.Pattern[str]
    cited_plain: re.Pattern[str]
    cited_ambiguous: re.Pattern[str]
    # An aggregator glues each paragraph's source to its last sentence ("...сквера.Sputnik").
    glued_signoff: re.Pattern[str]
    # The source after the text's last sentence, a space between ("... he added. AKI Press",
    # "... мэрии . asiaplustj.info »"): read on the last paragraph only.
    spaced_signoff: re.Pattern[str]
    # ``syndication`` as one alternation (is it a note at all, one regex call per paragraph).
    any_syndication: re.Pattern[str]
    # A caption's credit at its end: the agency, a slash and the photographer ("... 2024.
    # (Xinhua/Xie Huanchi)", "(AP Photo/Vladimir Voronin)"); "(Kyodo/AFP)" names two agencies.
    caption_credit: re.Pattern[str]
    # An agency's name closing a byline's names ("DASHA LITVINOVA Associated Press").
    trailing_agency: re.Pattern[str]
    # The source and the time under a headline: "(Xinhua) 08:23, June 21, 2016",
    # "Xinhua | Updated: 2016-06-21 10:32", "AFP, 9 October 2024".
    dated_source: re.Pattern[str]
    # The same the other way round, the date first and a view counter after: an
    # aggregator's meta line "26.11.2022 ТАСС 131 просмотров".
    stamped_source: re.Pattern[str]
    # A monitoring service's source line above the story: the agency, what it is and where
    # ("Avesta web site, Dushanbe", "Interfax news agency, Moscow, in Russian 1030 gmt");
    # without the medium ("News.am, Armenia") it is a clipping site's source, no agency.
    monitored_source: re.Pattern[str]
    # A photo credit on a line of its own: an agency and its photographer, either way round
    # ("REUTERS/Vasily Fedosenko", "© Sputnik / Vladimir Trefilov", "AFP/Getty Images").
    slash_credit: re.Pattern[str]
    # A reporter's sign-off with the agency after the name, closing the story: "Ziyodulla
    # Djonibekov, UzA", "Иван Иванов, ТАСС" (a slash is a photographer's: "CARLO ALLEGRI/REUTERS").
    named_signoff: re.Pattern[str]

    def agency_for_host(self, host: str | None) -> str | None:
        """The agency whose own site ``host`` is (``www.tass.ru`` -> TASS), else None."""
        host = (host or "").casefold().removeprefix("www.")
        while host:
            if host in self.names_by_domain:
                return self.names_by_domain[host]
            host = host.partition(".")[2] if host.count(".") > 1 else ""
        return None

    def agency_named(self, text: str | None) -> str | None:
        """The normalised agency for an alias as written (any case), else None."""
        return self.names_by_alias.get(fold_whitespace(text or "").casefold())

    def agency_in(self, text: str) -> str | None:
        """The agency named anywhere in ``text`` as a whole word (for outlet names)."""
        match = re.search(rf"{WORD_BEFORE}(?:{self.agency_pattern}){WORD_AFTER}", text)
        return self.agency_named(match.group(0)) if match else None


def load_agencies(path: str | Path = DEFAULT_AGENCIES) -> AgencyRules:
    path = Path(path)
    document = load_data_file(path, "agency file")
    names_by_alias: dict[str, str] = {}
    names_by_domain: dict[str, str] = {}
    plain: list[str] = []  # aliases a mention in running text may be read as (cited)
    ambiguous: list[str] = []  # everyday words / short codes: cited only next to a citing word
    for index, agency in enumerate(document.get("agency", [])):
        name = agency.get("name")
        if not isinstance(name, str) or not name:
            raise DataFileError(f"{path}: agency #{index + 1}: name must be a non-empty string")
        for key in ("aliases", "domains", "everyday_aliases"):
            values = agency.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise DataFileError(f"{path}: agency {name!r}: {key} must be a list of non-empty strings")
        # An agency credits itself by its domain too ("AKIPRESS.COM -", "Source: Kun.uz").
        everyday = agency.get("everyday_aliases", [])
        for alias in [name, *agency.get("aliases", []), *agency.get("domains", []), *everyday]:
            names_by_alias[fold_whitespace(alias).casefold()] = name
            is_everyday = alias in everyday or (agency.get("ambiguous") and _is_everyday(alias))
            (ambiguous if is_everyday else plain).append(alias)
        for domain in agency.get("domains", []):
            names_by_domain[domain.casefold().removeprefix("www.")] = name
    aliases = sorted({a for a in names_by_alias}, key=len, reverse=True)

    agency = "(?i:" + trie_pattern(aliases) + ")"
    forms = document.get("forms", {})
    place = forms.get("place", r"[A-Z][A-Z.'-]+")

    def fill(pattern: str) -> str:
        return pattern.replace("{agency}", agency).replace("{place}", place)

    roles = forms.get("credit_roles", {})
    unknown_roles = set(roles) - set(CREDIT_ROLES)
    if unknown_roles:
        raise DataFileError(f"{path}: [forms.credit_roles]: unknown role(s) {sorted(unknown_roles)}")
    role_by_phrase = {phrase.casefold(): role for role, phrases in roles.items() for phrase in phrases}
    phrases = sorted(role_by_phrase, key=len, reverse=True)
    titles = forms.get("titles", {})
    prefixes = "|".join(titles.get("prefixes", [])) or "(?!)"
    return AgencyRules(
        names_by_alias=names_by_alias,
        agency_pattern=agency,
        datelines=tuple(
            compile_pattern(path, "forms.datelines", fill(p) + r"(?=\S)") for p in forms.get("datelines", [])
        ),
        not_places=frozenset(p.casefold() for p in forms.get("not_places", [])),
        signoffs=tuple(
            compile_pattern(path, "forms.signoffs", fill(p) + "$") for p in forms.get("signoffs", [])
        ),
        credit_role=compile_pattern(
            path,
            "forms.credit_roles",
            r"(?<!\w)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)\s*:?\s*",
            re.IGNORECASE,
        ),
        role_by_phrase=role_by_phrase,
        syndication=tuple(
            compile_pattern(path, "forms.syndication", fill(p), re.IGNORECASE)
            for p in forms.get("syndication", {}).get("notes", [])
        ),
        title_prefixes=compile_pattern(
            path, "forms.titles.prefixes", rf"^\s*(?P<flag>{prefixes})\s*[-:]\s*(?=\S)"
        ),
        agency_suffix=compile_pattern(
            path, "forms.titles.agency_suffix", fill(titles.get("agency_suffix", "(?!)"))
        ),
        outlet_suffix=compile_pattern(
            path, "forms.titles.outlet_suffix", fill(titles.get("outlet_suffix", "(?!)"))
        ),
        aggregator_suffix=compile_pattern(
            path, "forms.titles.aggregator_suffix", fill(titles.get("aggregator_suffix", "(?!)"))
        ),
        grammar=DatelineGrammar(agency),
        any_syndication=re.compile(
            "|".join(
                "(?:" + re.sub(r"\(\?P<\w+>", "(?:", fill(p)) + ")"
                for p in forms.get("syndication", {}).get("notes", [])
            )
            or "(?!)",
            re.IGNORECASE,
        ),
        glued_signoff=re.compile(rf"(?<=[.!?»”\"])(?P<agency>{agency})\.?\s*$"),
        trailing_agency=re.compile(rf"(?<=\S)\s+(?P<agency>{agency})$"),
        dated_source=re.compile(
            rf"[(\[]?\s*(?P<agencies>{agency}(?:\s*[/,&]\s*{agency})*)\s*[)\]]?\s*[|,]?\s*"
            r"(?:(?i:updated|published|posted|обновлено|опубликовано)\s*:?\s*)?"
            r"(?P<stamp>(?=[^\n]*(?:\d{4}|\d{1,2}:\d{2}))[\w ,.:/-]{4,40})"
        ),
        stamped_source=re.compile(
            r"\d{1,2}[./]\d{1,2}[./]\d{2,4}(?:,?\s+\d{1,2}:\d{2})?\s*[|·•,]?\s*"
            rf"(?P<agencies>{agency})"
            r"(?:\s*[|·•,]?\s*\d+\s*(?i:просмотр\w*|views?|прочтени\w*|ko['‘’ʻ]rishlar|қаралым\w*))?"
        ),
        monitored_source=re.compile(
            rf"(?P<agencies>{agency})(?:\s+(?i:news\s+agency|agency|news\s+web\s*site|web\s*site|"
            r"website|TV|television|radio))\s*,\s*[A-ZА-ЯЁ][\w'’-]+(?:[ -][A-ZА-ЯЁ][\w'’-]+){0,2}"
            r"(?:\s*,\s*in\s+[A-Z][a-z]+(?:\s+[\w:]+){0,4})?(?:\s+\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{2,4})?"
        ),
        slash_credit=re.compile(
            rf"©?\s*(?:(?P<agency>{agency})(?:\s+(?i:photo|foto|фото))?(?:\s+\d{{4}})?\s*/\s*(?P<who>[^/\n]{{2,40}})"
            rf"|(?P<before>[^/\n]{{2,40}}?)\s*/\s*(?P<agency2>{agency}))"
        ),
        caption_credit=re.compile(
            rf"\((?P<agency>{agency})(?:\s+(?i:photo|foto|фото))?\s*/\s*(?P<who>[^()/\n]{{2,40}})\)\.?\s*$"
        ),
        spaced_signoff=re.compile(rf"(?<=[.!?»”\"])\s(?P<agency>{agency})\.?\s*»?\s*$"),
        names_by_domain=names_by_domain,
        source_line=compile_pattern(
            path, "forms.source_labels", _source_line(forms.get("source_labels", [])), re.IGNORECASE
        ),
        # (an agency-kind word and quotes may wrap the name: "ИА «24.kg»", "«Дунё» АА")
        bare_agencies=re.compile(
            rf"[(\[/—–>»-]*\s*(?:(?:ИА|IA|НИАТ|АМИТ|МИА)\s+)?[«\"“]?"
            rf"(?P<agencies>{agency}(?:\s*[/,;&]\s*{agency})*)[»\"”]?(?:\s+(?:АА|AA|ИА|IA))?\s*[)\]/]*\.?"
        ),
        named_signoff=re.compile(
            rf"(?P<names>[A-ZА-ЯЁ][\w'’.-]+(?: [A-ZА-ЯЁ][\w'’.-]+){{1,3}}),\s*(?P<agencies>{agency})\.?"
        ),
        cited_plain=re.compile(_mention("(?i:" + trie_pattern(plain) + ")")),
        cited_ambiguous=re.compile(_mention(trie_pattern(ambiguous, fold_case=False))),
    )


# A case ending the language writes onto a name: after a hyphen in Armenian and Turkic
# ("Interfax-ը", "TASS-ın"), glued to an acronym in Uzbek and Kazakh Cyrillic ("ЎзАнинг",
# "ТАСС-тың", "AFPga"): the name is still cited. Only a few lower-case letters, so a
# compound ("Interfax-Kazakhstan", "TASS-based") is no ending.
_CASE_ENDING = (
    r"(?:-[a-zа-яёəığüöşçәғқңөұүһіўҳա-և]{1,3}(?![\w-])"
    r"|(?<=[A-ZА-ЯЁЎҚҒҲ])(?:нинг|ning|ни|ni|га|ga|да|da|дан|dan|ның|нің|ға|ге|на|ны|ні)(?!\w))"
)


def _mention(names: str) -> str:
    """A name in running text as a whole word (or with a case ending), not inside an
    address or a domain ("kazinform@", "www.trend.az/..."); the name is group ``name``."""
    return rf"{WORD_BEFORE}(?<![.@/-])(?P<name>{names})(?:{_CASE_ENDING}|{WORD_AFTER}(?![@-]|\.\w))"


def _is_everyday(alias: str) -> bool:
    """Whether an alias of an ``ambiguous`` agency can be an everyday word or code: one
    word without a dot ("AP", "Trend", "Sputnik"). "Associated Press", "Trend News Agency"
    and "Trend.az" name the agency wherever they stand."""
    return len(alias.split()) == 1 and "." not in alias


def _source_line(labels: list[str]) -> str:
    """A "Source: X" line in any of the labels given (Source, Источник, Manba, Kaynak, 来源...),
    after a colon as any script writes it (":", full-width "：", "丨")."""
    names = "|".join(re.escape(label) for label in labels) or "(?!)"
    return rf"(?:{names})\s*[:：丨]\s*(?P<source>.{{1,120}})"


@dataclass
class Attribution:
    title: str
    text: str
    title_flags: list[str] = field(default_factory=list)
    wire_agency: str | None = None
    dateline_place: str | None = None
    dateline_date: str | None = None
    credits: dict[str, list[str]] = field(default_factory=lambda: {role: [] for role in CREDIT_ROLES})
    syndication_note: str | None = None
    syndicated: bool = False
    origin: str = "unknown"
    # Agencies the story quotes in running text ("according to Xinhua", "сообщает ТАСС"):
    # the outlet cites them; the copy is not theirs.
    cited_agencies: list[str] = field(default_factory=list)

    def as_columns(self) -> dict[str, object]:
        has_credits = any(self.credits.values())
        return {
            "title_flags": self.title_flags,
            "wire_agency": self.wire_agency,
            "cited_agencies": self.cited_agencies or None,
            "dateline_place": self.dateline_place,
            "dateline_date": self.dateline_date,
            "credits": self.credits if has_credits else None,
            "syndication_note": self.syndication_note,
            "syndicated": self.syndicated,
            "origin": self.origin,
        }


def clean_title(
    title: str, rules: AgencyRules, aggregator: bool = False
) -> tuple[str, list[str], str | None]:
    """Title without wire prefixes and outlet suffixes; the flags; the agency a suffix named.
    ``aggregator``: the feed appends " - Source" to every title (Google News)."""
    flags: list[str] = []
    while match := rules.title_prefixes.match(title):
        flags.append(fold_whitespace(match.group("flag")).upper())
        title = title[match.end() :]
    agency = None
    match = rules.agency_suffix.search(title) or rules.outlet_suffix.search(title)
    if match is None and aggregator:
        match = rules.aggregator_suffix.search(title)
    if match:
        # "AFP via Yahoo News" names the agency too.
        agency = rules.agency_in(match.group("source"))
    if match and match.start() > 0:
        flags.append("source:" + (agency or fold_whitespace(match.group("source"))))
        title = title[: match.start()]
    return fold_whitespace(title), flags, agency


Credits = tuple[dict[str, list[str]], list[str]]


def _own_copy(credits: Credits | None) -> Credits | None:
    """Remembered credits as the caller's own lists (it may add to them)."""
    if credits is None:
        return None
    return {role: list(names) for role, names in credits[0].items()}, list(credits[1])


# (a paragraph is asked about by furniture removal, then by attribution)
@per_rules(fresh=_own_copy)
def parse_credits(paragraph: str, rules: AgencyRules) -> Credits | None:
    """Names per role and agencies named as a credit, when the paragraph is a credit line."""
    inner = paragraph.strip().rstrip(".").lstrip("-–— ").strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1].strip()
    # (a credit line opens with its role: most paragraphs fail here, unscanned)
    if rules.credit_role.match(inner) is None:
        return None
    matches = list(rules.credit_role.finditer(inner))
    credits: dict[str, list[str]] = {role: [] for role in CREDIT_ROLES}
    agencies: list[str] = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        segment = inner[match.end() : following.start() if following else len(inner)]
        role = rules.role_by_phrase[fold_whitespace(match.group(1)).casefold()]
        for name in _NAME_SPLIT.split(segment.strip(" ;,.")):
            name = _NAME_PLACE.sub("", name.strip(" ;,.()"))
            if not name:
                continue
            # Names start with a capital ("Reporting by our correspondents" is prose).
            if len(name.split()) > _MAX_NAME_WORDS or not name[0].isupper():
                return None
            agency = rules.agency_named(name)
            if agency:
                agencies.append(agency)
            else:
                credits[role].append(name)
    return credits, agencies


_BYLINE = re.compile(
    # (a date stamp may stand before it: "2022-12-31 By Trend")
    r"(?:(?:date\s+)?\d{4}-\d{2}(?:-\d{2})?\s+)?"
    r"(?:By|BY|Автор|Авторы|Muallif|Yazar|Von|Par)\s*:?\s+(?P<names>[^\W\d][\w.'’ -]{1,80}?)"
    r"(?:\s*\((?P<paren>[^)]{2,40})\)|\s*[,|]\s*(?P<after>[^,|]{2,40}))?\s*"
)


_AGENCY_DESK = re.compile(r"(.+?)\s+(?i:staff|correspondents?|reporters?|desk|news desk)")

# "By ANI | Updated: December 18, 2021 23:00 IST": the stamp after the bar is no name.
_BYLINE_STAMP = re.compile(
    r"\s*\|\s*(?:Updated|Published|Posted|Last updated|Обновлено|Опубликовано)\b.*$", re.IGNORECASE
)


@per_rules(fresh=_own_copy)
def _byline(paragraph: str, rules: AgencyRules) -> Credits | None:
    """A byline ("By Leila Saralayeva (AP)", "By Jane Doe, Reuters"): the names as writers
    and the agency when one is named; None when the paragraph is no byline."""
    paragraph = fold_whitespace(paragraph)
    match = _BYLINE.fullmatch(_BYLINE_STAMP.sub("", paragraph) if "|" in paragraph else paragraph)
    if match is None:
        return None
    names = [n.strip() for n in _NAME_SPLIT.split(match.group("names")) if n.strip()]
    if not names or any(len(n.split()) > _MAX_NAME_WORDS or not n[0].isupper() for n in names):
        return None
    tail = match.group("paren") or match.group("after") or ""
    agencies = [rules.agency_named(a) or a for a in rules.grammar.agencies_in(tail)]
    if not tail and (trailing := rules.trailing_agency.search(names[-1])):
        # "By DASHA LITVINOVA Associated Press": the agency after the last name, no comma.
        agencies.append(rules.agency_named(trailing.group("agency")) or trailing.group("agency"))
        names[-1] = names[-1][: trailing.start()].strip()
    # "By Reuters Staff", "By AFP correspondents": the agency's own desk, no writer named.
    names = [
        desk.group(1) if (desk := _AGENCY_DESK.fullmatch(n)) and rules.agency_named(desk.group(1)) else n
        for n in names
    ]
    writers = [n for n in names if n and not rules.agency_named(n)]
    agencies += [rules.agency_named(n) for n in names if rules.agency_named(n)]
    return {role: (writers if role == "writing" else []) for role in CREDIT_ROLES}, agencies


# Particles that stay lower case inside a place name: RIO DE JANEIRO -> Rio de Janeiro.
_PLACE_PARTICLES = frozenset({"de", "da", "do", "del", "la", "le", "of", "on", "upon", "am", "an", "der"})


@per_rules()
def is_attribution_paragraph(paragraph: str, rules: AgencyRules) -> bool:
    """A credit line, syndication note, source line or bare agency sign-off: attribution
    takes it out of the text into columns, so boilerplate removal must leave it for
    attribution to see."""
    paragraph = fold_whitespace(paragraph)
    return (
        parse_credits(paragraph, rules) is not None
        or _may_be_note(paragraph, rules)
        or rules.source_line.fullmatch(paragraph) is not None
        or rules.bare_agencies.fullmatch(paragraph) is not None
        or rules.monitored_source.fullmatch(paragraph) is not None
        or _named_signoff(paragraph, rules) is not None
        or _kicked_agency_line(paragraph, rules)
        or bool(_read_more_agencies(paragraph, rules))
        or bool(_dated_source_agencies(paragraph, rules))
        or bool((byline := _byline(paragraph, rules)) and byline[1])
        or bool((found := rules.grammar.match(paragraph)) and found.agencies)
    )


@per_rules()
def _may_be_note(paragraph: str, rules: AgencyRules) -> bool:
    """Whether any syndication note's form fits the paragraph (``any_syndication``): asked
    by furniture removal, then by attribution, of the same paragraphs."""
    return rules.any_syndication.fullmatch(paragraph) is not None


# An agency's name and a section kicker make a short line.
_KICKED_LINE_CHARS = 80
# An aggregator's pointer to the original, with the item's age before it: "10 hrs ago Read
# more: Xinhuanet", "Подробнее: ТАСС". It credits the copy only when it names nothing but
# an agency (a link or another story's headline after it says nothing of the copy).
_READ_MORE = re.compile(
    r"(?:\d+\s*(?:hrs?|hours?|mins?|minutes?|days?|ч|час\w*|мин\w*)\.?\s+(?:ago|назад)\s+)?"
    r"(?i:read\s+more|full\s+story|more\s+at|подробнее|читать\s+(?:далее|полностью)|полностью\s+читайте|"
    r"batafsil|to['‘’ʻ]?liq\s+o['‘’ʻ]?qing|толығырақ|толук\s+окуу)\s*(?:at|on|in|на)?\s*[:：]?\s*"
    r"(?P<agencies>[^\s/:][^/:]{0,60})"
)


# A stamp is a date or a time, not words: a few of them at most ("June 21, 2016", "08:23").
_STAMP_WORDS = 6
_STAMP_TOKENS = frozenset({"am", "pm", "gmt", "utc", "ist", "msk", "bjt", "cst", "t", "г", "года"})


def _dated_source_agencies(paragraph: str, rules: AgencyRules) -> tuple[str, ...]:
    """The agencies of a source line with the item's time ("(Xinhua) 08:23, June 21,
    2016", "26.11.2022 ТАСС 131 просмотров"), else (); an everyday name alone ("AP,
    2024") says nothing."""
    if len(paragraph) <= _KICKED_LINE_CHARS and (stamped := rules.stamped_source.fullmatch(paragraph)):
        written = rules.grammar.agencies_in(stamped.group("agencies"))
        return () if all(rules.cited_ambiguous.fullmatch(a) for a in written) else written
    match = rules.dated_source.fullmatch(paragraph)
    if match is None or len(match.group("stamp").split()) > _STAMP_WORDS:
        return ()
    # Only a date's and a clock's words: month names, am/pm, a time zone.
    words = re.findall(r"[^\W\d_]+", match.group("stamp").casefold())
    if any(w not in _STAMP_TOKENS and w.rstrip(".") not in month_numbers() for w in words):
        return ()
    written = rules.grammar.agencies_in(match.group("agencies"))
    return () if all(rules.cited_ambiguous.fullmatch(a) for a in written) else written


def _read_more_agencies(paragraph: str, rules: AgencyRules) -> tuple[str, ...]:
    """The agencies a "Read more: <agency>" line names, else ()."""
    match = _READ_MORE.fullmatch(paragraph)
    bare = rules.bare_agencies.fullmatch(match.group("agencies")) if match else None
    return rules.grammar.agencies_in(bare.group("agencies")) if bare else ()


def _kicked_agency_line(paragraph: str, rules: AgencyRules) -> bool:
    """An agency's name with a section kicker after it ("Anadolu Agency WORLD", "Anadolu
    Ajansi EN"), not an everyday name ("AP NEWS")."""
    kicker = _SECTION_KICKER.search(paragraph) if len(paragraph) <= _KICKED_LINE_CHARS else None
    if kicker is None:
        return False
    found = rules.bare_agencies.fullmatch(paragraph[: kicker.start()])
    return found is not None and not all(
        rules.cited_ambiguous.fullmatch(a) for a in rules.grammar.agencies_in(found.group(0))
    )


def is_dateline_paragraph(paragraph: str, rules: AgencyRules, place_namer: PlaceNamer | None) -> bool:
    """A paragraph that opens with a dateline attribution would take (so furniture
    removal leaves it, even when it is a "NUR SULTAN, Kazakhstan" line of its own)."""
    found = rules.grammar.match(paragraph)
    return (found is not None and _credible(found, paragraph, rules, place_namer)) or _lone_place(
        paragraph, place_namer
    )


def broken_off_datelines(paragraphs: list[str], place_namer: PlaceNamer | None) -> set[str]:
    """Known places in title case on a line of their own right above the story's lead
    ("New Delhi", "Ashkhabad"): datelines the page broke off from their paragraph, for
    furniture removal to leave. Not a city next to a number ("3 C" / "Астана": a weather
    widget), nor one above another short line (a menu)."""
    found = set()
    for index, paragraph in enumerate(paragraphs[: _DATELINE_PARAGRAPHS - 1]):
        if (
            paragraph.count(" ") > 2
            or paragraph.isupper()
            or not _lone_place(paragraph, place_namer, any_case=True)
        ):
            continue
        before = paragraphs[index - 1] if index else ""
        if len(paragraphs[index + 1].split()) >= _LEAD_WORDS and not re.search(r"\d", before):
            found.add(paragraph)
    return found


# Where photo credits are looked for: the text's head, where the pictures are.
_PICTURE_PARAGRAPHS = 16


def pictured_credits(paragraphs: list[str], rules: AgencyRules) -> set[str]:
    """Credit lines that are a picture's, by where they stand: a byline or an agency's name
    ("By Maxim Shubovich, AP", "AP") right under a caption the page prints twice (its alt
    text and its caption: "X. X.") or between two copies of one caption. Furniture removal
    takes the caption, so attribution no longer sees what the line belongs to."""
    found: set[str] = set()
    head = paragraphs[:_PICTURE_PARAGRAPHS]
    for index, paragraph in enumerate(head):
        if not index or len(paragraph) > _KICKED_LINE_CHARS:
            continue
        above = head[index - 1]
        below = head[index + 1] if index + 1 < len(head) else ""
        if not (_doubled(above) or (above == below and len(above.split()) >= _CAPTION_WORDS)):
            continue
        byline = _byline(paragraph, rules)
        if (byline and byline[1]) or rules.bare_agencies.fullmatch(paragraph):
            found.add(paragraph)
    return found


# A caption has a few words at least (a doubled "Photo Photo" is a label).
_CAPTION_WORDS = 6


def _doubled(paragraph: str) -> bool:
    """A paragraph that is one text printed twice ("A man walks. A man walks.")."""
    words = paragraph.split()
    half = len(words) // 2
    return len(words) >= 2 * _CAPTION_WORDS and len(words) % 2 == 0 and words[:half] == words[half:]


def _lone_place(paragraph: str, place_namer: PlaceNamer | None, any_case: bool = False) -> bool:
    """A known place in capitals on a line of its own ("БИШКЕК"): a dateline the page
    broke off from its paragraph. ``any_case``: also in title case ("New Delhi",
    "Ashkhabad"), which the caller allows only right above the story's lead. (The
    gazetteer names cities and regions, not countries: a lone "Kazakhstan" is a label.)"""
    text = paragraph.strip().rstrip(".,:-–— ")
    return (
        bool(text)
        and (text.isupper() or (any_case and text[:1].isupper()))
        and len(text.split()) <= 3
        and place_namer is not None
        and bool(place_namer(text))
    )


def _place_name(raw: str | None) -> str | None:
    """MOSCOW -> Moscow, NEW YORK -> New York, АЛМА-АТА -> Алма-Ата."""
    if not raw:
        return None
    if not raw.isupper():
        return raw
    words = re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), raw).split(" ")
    return " ".join(w.lower() if i and w.lower() in _PLACE_PARTICLES else w for i, w in enumerate(words))


# Where a dateline is looked for: the first paragraphs of the text, past chrome the
# furniture rules did not know (a headline repeat, a date line, a caption, share counts),
# but not past the story's lead: a paragraph this long that is not a dateline ends the search.
_DATELINE_PARAGRAPHS = 12
_LEAD_WORDS = 25
_LEADS_BEFORE_GIVING_UP = 2
# A place without an agency is believed only in capitals (MOSCOW:) or when the gazetteer
# knows it; more words than this are a sentence, not a place.
_MAX_PLACE_WORDS = 4

PlaceNamer = Callable[[str], str | None]


def _believable_place(raw: str, rules: AgencyRules, place_namer: PlaceNamer | None) -> bool:
    first = re.split(r"\s*/\s*", raw)[0]
    if first.casefold() in rules.not_places or rules.agency_named(first) or _BYLINE.match(first + " x"):
        return False
    if len(first.split()) > _MAX_PLACE_WORDS:
        return False
    if place_namer is not None and place_namer(first):
        return True
    return first.isupper() and len(first) >= 3


def _take_dateline(
    paragraphs: list[str],
    rules: AgencyRules,
    result: Attribution,
    agencies: list[str],
    place_namer: PlaceNamer | None = None,
) -> None:
    """Move the dateline at the start of the story (the first paragraphs, past chrome)
    into ``result``; the agency it names goes first in ``agencies``."""
    leads = 0
    for index in range(min(_DATELINE_PARAGRAPHS, len(paragraphs))):
        paragraph = paragraphs[index]
        if is_captioned(paragraph, rules):
            continue  # a caption's place and agency are the picture's
        past_lead = leads >= _LEADS_BEFORE_GIVING_UP
        found = next(
            (
                candidate
                for candidate in (
                    rules.grammar.match(paragraph),
                    _legacy_dateline(paragraph, rules),
                    _after_byline(paragraph, rules, result),
                )
                if candidate is not None
                and _credible(candidate, paragraph, rules, place_namer)
                and (
                    not past_lead
                    or _unmistakable(candidate, place_namer)
                    or _agency_led(candidate, paragraph, place_namer)
                )
            ),
            None,
        )
        byline = _byline_line(found, paragraph, rules, place_namer) if found is not None else ()
        if byline:
            # "PETER LEONARD - Associated Press": the writer and the agency on a line of
            # their own, no place; the dateline is still to come.
            agencies.extend(rules.agency_named(a) or a for a in byline)
            paragraphs[index] = ""
            continue
        if found is None and not past_lead:
            found = _stamped_place(paragraph, place_namer)
        lead_below = index + 1 < len(paragraphs) and len(paragraphs[index + 1].split()) >= _LEAD_WORDS
        if (
            found is None
            and not past_lead
            and index + 1 < len(paragraphs)
            and _lone_place(paragraph, place_namer, any_case=lead_below)
        ):
            found = Dateline(paragraph.strip().rstrip(".,:-–— "), None, None, (), len(paragraph))
        if found is not None and found.place and found.region and place_namer is not None:
            # "Узбекистан, Ташкент – ...": the country first, then the city.
            region = found.region.split(",")[0].strip()
            if not place_namer(found.place) and place_namer(region):
                found = replace(found, place=region)
        if found is not None:
            if found.place and not _unnamed_ideographs(found.place, place_namer):
                # BISHKEK/MOSCOW: Reuters files from two cities at once.
                result.dateline_place = "/".join(
                    (place_namer(part) if place_namer else None) or _place_name(part) or part
                    for part in re.split(r"\s*/\s*", found.place)
                )
            result.dateline_date = found.date
            named = [rules.agency_named(a) or a for a in found.agencies]
            agencies[:0] = list(dict.fromkeys(named))
            paragraphs[index] = paragraph[found.end :].lstrip()
            return
        if len(paragraph.split()) >= _LEAD_WORDS and not _BULLET.match(paragraph):
            leads += 1


# Highlights above the lead ("* During talks with Tokayev, Xi said ..."): a deck, not the lead.
_BULLET = re.compile(r"\s*[*•▪●■►]")
# A byline glued to the dateline: "By Aigerim Turgunbaeva BISHKEK (Reuters) -National ...".
# The names in title case, then the place in capitals.
_GLUED_BYLINE = re.compile(
    r"(?:By|BY)\s+(?P<names>[A-Z][a-z][\w'’.-]*(?:\s+(?:(?:and|&)\s+)?[A-Z][a-z][\w'’.-]*){1,5})\s+(?=[A-Z]{2})"
)


def _after_byline(paragraph: str, rules: AgencyRules, result: Attribution) -> Dateline | None:
    """The dateline after a byline glued in front of it, with an agency or a place and a
    date; the writers go to the credits."""
    byline = _GLUED_BYLINE.match(paragraph)
    if byline is None:
        return None
    found = rules.grammar.match(paragraph[byline.end() :])
    if found is None or not found.place or not (found.agencies or found.date):
        return None
    writers = [n.strip() for n in _NAME_SPLIT.split(byline.group("names")) if n.strip()]
    result.credits["writing"].extend(w for w in writers if w not in result.credits["writing"])
    return replace(found, end=found.end + byline.end())


def _byline_line(
    found: Dateline, paragraph: str, rules: AgencyRules, place_namer: PlaceNamer | None
) -> tuple[str, ...]:
    """The agencies of a dateline's shape that is a writer's byline: two or more words in
    capitals no gazetteer knows, then an agency and nothing else on the line ("PETER
    LEONARD - Associated Press"); () when it is none."""
    place = found.place or ""
    if place_namer is None or len(place.split()) < 2 or found.date or place_namer(place):
        return ()
    rest = paragraph[found.end :].strip()
    if found.agencies:
        return found.agencies if not rest else ()
    bare = rules.bare_agencies.fullmatch(rest) if rest else None
    return rules.grammar.agencies_in(bare.group("agencies")) if bare else ()


# A date line that ends with the filing place: "May 23, 2013 02:56 am | Updated ... IST - TASHKENT:".
_STAMPED_PLACE = re.compile(
    r"(?P<stamp>[^\n]{6,120}?\d[^\n]*?)\s[-–—]\s"
    r"(?P<place>[A-ZА-ЯЁ][A-ZА-ЯЁ'.-]+(?: [A-ZА-ЯЁ][A-ZА-ЯЁ'.-]+){0,2}):?\s*"
)
_STAMP_TIME = re.compile(r"\d{1,2}:\d{2}|\b\d{4}\b")
_STAMP_MAX_WORDS = 16


def _stamped_place(paragraph: str, place_namer: PlaceNamer | None) -> Dateline | None:
    """The filing place at the end of a date line of its own: a stamp with a time or a
    year, a dash, a place in capitals the gazetteer knows."""
    if place_namer is None or len(paragraph.split()) > _STAMP_MAX_WORDS:
        return None
    match = _STAMPED_PLACE.fullmatch(paragraph.strip())
    if match is None or not _STAMP_TIME.search(match.group("stamp")) or not place_namer(match.group("place")):
        return None
    return Dateline(match.group("place"), None, None, (), len(paragraph), "-")


def _unmistakable(found: Dateline, place_namer: PlaceNamer | None) -> bool:
    """A dateline no prose or label is mistaken for: a place in capitals the gazetteer
    knows, with its country or date, then a dash ("BISHKEK, Kyrgyzstan — "). Only such a
    one is believed below long paragraphs (a fact box, a teaser, a notice the furniture
    rules kept), where a weaker shape is more likely a sentence than the story's start."""
    place = (found.place or "").split("/")[0]
    return (
        not found.agencies
        and place.isupper()
        and bool(found.region or found.date)
        and found.separator == "-"
        and place_namer is not None
        and bool(place_namer(place))
    )


_TEASER_END = re.compile(r"(?:\.\.\.|…)\s*$")


def _agency_led(found: Dateline, paragraph: str, place_namer: PlaceNamer | None) -> bool:
    """A dateline with an agency in its slot and a known place, opening a paragraph as long
    as a lead: the story's own, below a deck and a caption the furniture rules kept
    (another story's teaser is cut short: "...")."""
    place = (found.place or "").split("/")[0]
    return (
        bool(found.agencies)
        and place_namer is not None
        and bool(place_namer(place))
        and len(paragraph.split()) >= _LEAD_WORDS
        and not _TEASER_END.search(paragraph)
    )


def _unnamed_ideographs(place: str, place_namer: PlaceNamer | None) -> bool:
    """A place in Chinese characters or Arabic script the gazetteer has no English name
    for: the column holds English exonyms, and a transliteration nobody queries by is
    worse than none."""
    return bool(re.search(r"[\u3400-\u9fff\u0600-\u06ff\u0750-\u077f]", place)) and not (
        place_namer and place_namer(place)
    )


# A figure with its unit after a place, and nothing else: a weather or rate widget's line.
_READING = re.compile(r"[+−-]?\d[\d.,]*\s*(?:[°º]\s*[CF]?|o[CF]|%)")


def _credible(found, paragraph: str, rules: AgencyRules, place_namer: PlaceNamer | None) -> bool:
    """Whether a dateline match is one: a place that is no label or agency name, and,
    without an agency, a place in capitals or known to the gazetteer, followed by text
    (or a "PLACE, Country" line of its own)."""
    if found.place and found.place.split("/")[0].casefold() in rules.not_places:
        return False
    if found.agencies:
        return True
    rest = paragraph[found.end :].strip()
    if not found.place:
        return False
    if rest and not re.search(r"[^\W\d_]", rest[:40]):
        return False  # a figure after the "place": a ticker ("UZS – -0,32%"), not a story
    if _READING.fullmatch(rest):
        return False  # a widget's reading: the weather ("Астана -10oC"), not a story
    if not rest:  # a dateline line of its own: only a known place with its country
        return bool(found.region and place_namer is not None and place_namer(found.place))
    known = place_namer is not None and bool(place_namer(found.place.split("/")[0]))
    # South Asian papers write a known city in title case with a colon before the lead
    # ("Astana: The Conference on Interaction ...", "Islamabad: Prime Minister ..."): a
    # dateline when a whole lead follows, not a label over a line.
    colon_lead = known and found.separator == ":" and rest[:1].isupper() and len(rest.split()) >= _LEAD_WORDS
    if (
        found.separator in (":", ".", " ")
        and not found.date
        and not (known and (found.place.isupper() or found.region))
        and not colon_lead
    ):
        # "BACKGROUND:", "МИД:", "New Delhi: The embassy said": a colon or a period after a
        # word reads as a label or prose unless the place is known (in capitals, or with
        # its country: "Ashgabat, Turkmenistan:").
        return False
    if found.date and found.separator == "-":
        return True  # "Stockholm, April 2, 2024 — ": a place, a date and a dash
    return _believable_place(found.place, rules, place_namer)


def _legacy_dateline(paragraph: str, rules: AgencyRules):
    """House styles a desk added to ``[forms].datelines`` that the grammar does not cover."""
    for pattern in rules.datelines:
        match = pattern.match(paragraph)
        if match and (match.groupdict().get("place") or "").casefold() not in rules.not_places:
            groups = match.groupdict()
            agency = groups.get("agency")
            if not agency and not groups.get("place"):
                continue
            if not agency and not (groups.get("place") or "").isupper():
                continue
            return Dateline(
                groups.get("place"), None, groups.get("date"), (agency,) if agency else (), match.end()
            )
    return None


# A source glued after the last sentence is found in this many closing characters.
_SIGNOFF_TAIL_CHARS = 120
# Trailing paragraphs looked at for a sign-off or source line (after the furniture went).
_SIGNOFF_PARAGRAPHS = 3


# Paragraphs at the top looked at for a credit line of its own ("Associated Press",
# "Source: Xinhua", "(AFP)") between the headline and the story: chrome may come first
# (captions, section names, decks), but not more than this, and not past the lead.
_TOP_CREDIT_PARAGRAPHS = 12
# A section kicker after the agency's name on its byline line: "Anadolu Agency WORLD".
_SECTION_KICKER = re.compile(r"\s+[A-Z]{2,}(?:\s+[A-Z]{2,})?$")
# A photo caption or credit names the photographer's agency, not the copy's:
# "Фото Сарвара Урмонова (УзА).", "Photo: AFP", "Foto: AP/dpa".
_PHOTO_CREDIT = re.compile(
    r"^\W*(?:photo|photos|file photo|фото|фотография|foto|fotoğraf|surat|сурет|сурат|суреттер|illustration)"
    r"(?![^\W\d_])|(?:photo|фото|foto)\s*(?:by|:)\s*\S+\s*$"
    # a caption's bracketed credit at its end: "[Image source=Yonhap News]", "(Photo credit: AFP)"
    r"|[\[(]\s*(?:image|photo|picture|фото)\s*(?:source|credit|courtesy)?\s*[=:][^\[\]()\n]{1,60}[\])]\s*$",
    re.IGNORECASE,
)


def is_photo_credit(paragraph: str) -> bool:
    """A caption or photo credit: the agency it names took the picture, not the story."""
    return _PHOTO_CREDIT.search(paragraph) is not None or says_it_is_a_picture(paragraph)


# A caption's credit sits in its closing characters.
_CAPTION_CREDIT_CHARS = 80


@per_rules()
def is_captioned(paragraph: str, rules: AgencyRules) -> bool:
    """A caption or photo credit (``is_photo_credit``), or a caption ending in the
    picture's credit: an agency, a slash and its photographer ("(Xinhua/Xie Huanchi)",
    "(AP Photo/Vladimir Voronin)"). Two agencies in the brackets ("(Kyodo/AFP)",
    "(Xinhua/AP)") are the copy's joint credit, not a picture's."""
    if is_photo_credit(paragraph):
        return True
    if len(paragraph) <= _CAPTION_CREDIT_CHARS and (slash := rules.slash_credit.fullmatch(paragraph.strip())):
        other = slash.group("who") or slash.group("before") or ""
        if not rules.grammar.agencies_in(other):  # "Xinhua/AP" is the copy's joint credit
            return True
    match = rules.caption_credit.search(paragraph, max(0, len(paragraph) - _CAPTION_CREDIT_CHARS))
    return match is not None and not rules.grammar.agencies_in(match.group("who"))


def _take_top_credits(kept: list[str], rules: AgencyRules, agencies: list[str]) -> None:
    """An agency named on a line of its own above the story (where a byline goes)."""
    leads = 0
    for index in range(min(_TOP_CREDIT_PARAGRAPHS, len(kept) - 1)):
        paragraph = fold_whitespace(kept[index])
        if len(paragraph.split()) >= _LEAD_WORDS:
            leads += 1
            if leads >= _LEADS_BEFORE_GIVING_UP:
                return
        if is_captioned(paragraph, rules):
            continue
        pointed = _read_more_agencies(paragraph, rules) or _dated_source_agencies(paragraph, rules)
        if pointed:
            agencies.extend(rules.agency_named(a) or a for a in pointed)
            kept[index] = ""
            continue
        # "Aigerim Seisembayeva, Kazinform" under the headline: the byline without its "By".
        if named := _named_signoff(paragraph, rules):
            agencies.append(named[1])
            kept[index] = ""
            continue
        found = (
            rules.source_line.fullmatch(paragraph)
            or rules.bare_agencies.fullmatch(paragraph)
            or rules.monitored_source.fullmatch(paragraph)
        )
        if found is None and _kicked_agency_line(paragraph, rules):
            found = rules.bare_agencies.fullmatch(_SECTION_KICKER.sub("", paragraph))
        if found is None:
            continue
        if found.re is rules.source_line and _under_caption(kept, index):
            continue
        named = found.groupdict().get("source") or found.groupdict().get("agencies") or ""
        # "AP" alone under a picture is its photo credit: a short or everyday name on its
        # own line at the top says nothing about the copy.
        written = rules.grammar.agencies_in(named)
        if found.re is rules.bare_agencies and all(rules.cited_ambiguous.fullmatch(a) for a in written):
            continue
        names = [rules.agency_named(a) or a for a in written]
        if names:
            agencies.extend(names)
            kept[index] = ""


def _under_caption(kept: list[str], index: int) -> bool:
    """The paragraph sits under a caption that says it is one ("... Archivbild" / "Quelle:
    AP/dpa"): its source is the picture's."""
    above = next((kept[j] for j in range(index - 1, -1, -1) if kept[j]), "")
    return says_it_is_a_picture(above)


# A sign-off line is short: a name or two and the agency.
_NAMED_SIGNOFF_CHARS = 60


def _named_signoff(paragraph: str, rules: AgencyRules) -> tuple[list[str], str] | None:
    """The writers and the agency of a "Name Surname, Agency" line, else None; an everyday
    name ("..., AP") or names that are agencies themselves say nothing."""
    if len(paragraph) > _NAMED_SIGNOFF_CHARS:
        return None
    match = rules.named_signoff.fullmatch(paragraph)
    if match is None or rules.cited_ambiguous.fullmatch(match.group("agencies")):
        return None
    names = match.group("names")
    if rules.grammar.agencies_in(names):
        return None
    return [names], rules.agency_named(match.group("agencies")) or match.group("agencies")


def _take_signoffs(kept: list[str], rules: AgencyRules, agencies: list[str], result: Attribution) -> None:
    """Source lines ("Source: Kazinform", "Источник: ТАСС"), bare agency lines ("AKIpress",
    "(Xinhua)", "AFP/Reuters") and sign-offs ending the last paragraph ("... — AFP")."""
    signed: list[str] = []
    for index in range(len(kept) - 1, max(-1, len(kept) - 1 - _SIGNOFF_PARAGRAPHS), -1):
        paragraph = fold_whitespace(kept[index])
        if is_captioned(paragraph, rules) or _under_caption(kept, index):
            continue
        source = rules.source_line.fullmatch(paragraph)
        bare = rules.bare_agencies.fullmatch(paragraph)
        pointed = _read_more_agencies(paragraph, rules) if source is None and bare is None else ()
        named = _named_signoff(paragraph, rules) if not (source or bare or pointed) else None
        if named is not None:
            writers, agency = named
            result.credits["writing"].extend(w for w in writers if w not in result.credits["writing"])
            signed.insert(0, agency)
            kept[index] = ""
        elif pointed:
            signed[:0] = [rules.agency_named(a) or a for a in pointed]
            kept[index] = ""
        elif source is not None:
            signed[:0] = [
                rules.agency_named(a) or a for a in rules.grammar.agencies_in(source.group("source"))
            ]
            kept[index] = ""
        elif bare is not None and (index > 0 or len(kept) > 1):
            signed[:0] = [
                rules.agency_named(a) or a for a in rules.grammar.agencies_in(bare.group("agencies"))
            ]
            kept[index] = ""
    for index, paragraph in enumerate(kept):
        glued = rules.glued_signoff.search(paragraph)
        if glued:
            signed.append(rules.agency_named(glued.group("agency")) or glued.group("agency"))
            kept[index] = paragraph[: glued.start()].rstrip()
    last = next((i for i in range(len(kept) - 1, -1, -1) if kept[i]), None)
    # (looked for in the paragraph's tail: a name and its arrow are short)
    tail = max(0, len(kept[last]) - _SIGNOFF_TAIL_CHARS) if last is not None else 0
    spaced = rules.spaced_signoff.search(kept[last], tail) if last is not None and not signed else None
    # An everyday name ("Trend", "AP") after a sentence is no sign-off.
    if (
        last is not None
        and spaced is not None
        and not rules.cited_ambiguous.fullmatch(name := spaced.group("agency"))
    ):
        signed.append(rules.agency_named(name) or name)
        kept[last] = kept[last][: spaced.start()].rstrip()
    if last is not None and not is_captioned(kept[last], rules):
        for pattern in rules.signoffs:
            # (a sign-off ends the paragraph: only its tail is searched)
            match = pattern.search(kept[last], max(0, len(kept[last]) - _SIGNOFF_TAIL_CHARS))
            # A sign-off ends the last paragraph ("... on Thursday. — AFP") or is one ("AFP").
            if match and (match.start() > 0 or len(kept) > 1):
                signed.insert(0, rules.agency_named(match.group("agency")) or match.group("agency"))
                kept[last] = kept[last][: match.start()].rstrip()
                break
    agencies.extend(dict.fromkeys(signed))


# Words that make a mention of an ambiguous agency name a citation ("reports Trend",
# "сообщает Тренд", "Dunyo xabariga ko'ra").
_CITING = re.compile(
    r"(?i:according\s+to|citing|cited|quoted|reported|reports|reporting|told|said|says|news\s+agency|"
    r"agency|сообща\w*|переда\w*|пишет|по\s+данным|со\s+ссылкой|агентств\w*|заявил\w*|"
    r"xabar\w*|ma'lum|habar\w*|bildir\w*|göre|haber\w*|ajans\w*|interview|интервью|сұхбат|suhbat|"
    r"агенттиг\w*|агенттіг\w*|agentlig\w*|報道|报道|援引|據|据|"
    # as per (Indian English); French, Spanish, Portuguese, German; Arabic; Armenian
    r"as\s+per|selon|d['’]après|rapport(?:e|é|ent)\w*|cité\w*|citant|citando|según|segundo|"
    r"inform(?:ó|a|ou)\b|laut|bericht\w*|meldet|"
    r"agence|agencia|agência|Agentur|وكالة|أفادت|ذكرت|نقلا|بحسب|وفقا|Ըստ|գործակալ\w*|հաղորդ\w*|"
    # Belarusian and Ukrainian: "паведамілі Sputnik", "повідомляє ТАСС", "перадае"
    r"паведам\w*|повідом\w*|перадае|передає)"
)
_CITING_WINDOW = 40
# The agency's own people or premises right before its name: the agency is what the story
# is about ("сотрудников редакции КазТАГ", "the director general of Anadolu Agency").
_AGENCY_STAFF = re.compile(
    r"(?i:(?:редакци\w*|сотрудник\w*|руководител\w*|(?:главн\w+\s+)?редактор\w*|директор\w*|"
    r"глав[аыуеой]|офис\w*|штаб-квартир\w*|основател\w*|учредител\w*|владел\w*)"
    r"(?:\s+(?:информационного|новостного|государственного|международного))?(?:\s+агентства)?"
    r"|(?:head|director(?:[- ]general)?|director general|editor(?:[- ]in[- ]chief)?|chief|staff|"
    r"employees|headquarters|offices?|founder|owner)\s+of(?:\s+the)?(?:\s+(?:state\s+)?news\s+agency)?)"
    r"\s*[«\"“]?\s*$"
)
_AGENCY_STAFF_CHARS = 60
# A photo credit closing a line: "... сезона» Фото: © Xinhua / Global Look Press / www...".
_PHOTO_TAIL = re.compile(
    r"(?i)(?<![^\W\d_])(?:photo(?:graph(?:er)?)?|фото|foto|surat|сурет)\s*(?:by\s|:|©)[^\n]{0,160}$"
)


def cited_agencies(text: str, rules: AgencyRules, exclude: set[str]) -> list[str]:
    """Agencies running text names (the story quotes them), in order of first mention.
    Names that are also everyday words count only next to a citing word."""
    found: dict[str, None] = {}
    # A photo credit names who took the picture ("Фото: © Xinhua / Global Look Press"), on
    # its own line or at the end of a caption's.
    text = "\n".join(_PHOTO_TAIL.sub("", line) for line in text.split("\n") if not is_captioned(line, rules))
    # An agency whose every mention names its own staff or office ("главный редактор КазТАГ",
    # "руководителя информационного агентства КазТАГ", "the head of Anadolu Agency") is
    # the story's subject, not its source.
    subject_only: dict[str, bool] = {}
    for match in rules.cited_plain.finditer(text):
        name = rules.agency_named(match.group("name"))
        if name and name not in exclude:
            found[name] = None
            head = _AGENCY_STAFF.search(text, max(0, match.start() - _AGENCY_STAFF_CHARS), match.start())
            subject_only[name] = subject_only.get(name, True) and head is not None
    for name, only in subject_only.items():
        if only:
            del found[name]
    for match in rules.cited_ambiguous.finditer(text):
        name = rules.agency_named(match.group("name"))
        if not name or name in exclude or name in found or subject_only.get(name):
            continue
        window = text[max(0, match.start() - _CITING_WINDOW) : match.end() + _CITING_WINDOW]
        if _CITING.search(window):
            found[name] = None
    return list(found)


def attribute(
    title: str,
    text: str,
    rules: AgencyRules,
    outlet_agency: str | None = None,
    feed_is_wire: bool = False,
    aggregator: bool = False,
    metadata_agency: str | None = None,
    metadata_place: str | None = None,
    place_namer: PlaceNamer | None = None,
) -> Attribution:
    """Attribution of one story. ``outlet_agency`` is the agency the publishing outlet itself
    is (TASS's own feed): its copy is wire copy but not syndicated. ``metadata_agency`` and
    ``metadata_place`` come from a wire format's own fields (ninjs ``infoSources``/``located``,
    NewsML-G2 ``infoSource``/``located``) and outrank anything read from the text, as does
    the agency of a ``kind = "wire"`` feed; ``place_namer`` gives a known place's English
    name (the gazetteer's), else None."""
    clean, flags, title_agency = clean_title(title, rules, aggregator)
    result = Attribution(title=clean, text=text, title_flags=flags)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    agencies: list[str] = []
    kept: list[str] = []
    for paragraph in paragraphs:
        credits = parse_credits(paragraph, rules) or _byline(paragraph, rules)
        if credits is not None:
            for role, names in credits[0].items():
                result.credits[role].extend(names)
            agencies.extend(credits[1])
            continue
        # The notes as one alternation first: most paragraphs are none, and that is one
        # regular expression instead of one per note form.
        note = (
            next((m for m in (p.fullmatch(paragraph) for p in rules.syndication) if m), None)
            if _may_be_note(paragraph, rules)
            else None
        )
        if note is not None:
            result.syndication_note = paragraph
            named = note.groupdict().get("agency")
            if named:
                agencies.append(rules.agency_named(named) or named)
            continue
        kept.append(paragraph)
    if kept:
        _take_dateline(kept, rules, result, agencies, place_namer)
        _take_signoffs(kept, rules, agencies, result)
        _take_top_credits(kept, rules, agencies)
    if title_agency:
        agencies.append(title_agency)
    if outlet_agency and not feed_is_wire:
        # A broadcaster or paper the registry also lists as an agency (RFE/RL, Daryo) signs
        # its own pages with its name ("September 27, 2007 (RFE/RL) --"): staff copy.
        agencies = [a for a in agencies if a != outlet_agency]
    result.text = "\n\n".join(p for p in kept if p)
    evidence = [
        rules.agency_in(metadata_agency) or metadata_agency if metadata_agency else None,
        outlet_agency if feed_is_wire else None,
        *agencies,
    ]
    result.wire_agency = next((a for a in evidence if a), None)
    if metadata_place:
        place = metadata_place.split(",")[0].strip()
        result.dateline_place = (place_namer(place) if place_namer else None) or _place_name(place)
    result.cited_agencies = cited_agencies(
        f"{result.title}\n{result.text}", rules, {a for a in (result.wire_agency, outlet_agency) if a}
    )
    result.syndicated = bool(
        (result.wire_agency and result.wire_agency != outlet_agency) or result.syndication_note
    )
    if result.wire_agency or result.syndication_note or feed_is_wire:
        result.origin = "wire"
    elif len(result.text.split()) >= MIN_WORDS_FOR_STAFF:
        result.origin = "staff"
    return result
