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
from dataclasses import dataclass, field
from pathlib import Path

from tasks.datafiles import DataFileError, compile_pattern, load_data_file
from tasks.desk import DEFAULT_DESK
from tasks.text import fold_whitespace

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

    def agency_named(self, text: str | None) -> str | None:
        """The normalised agency for an alias as written (any case), else None."""
        return self.names_by_alias.get(fold_whitespace(text or "").casefold())

    def agency_in(self, text: str) -> str | None:
        """The agency named anywhere in ``text`` as a whole word (for outlet names)."""
        match = re.search(rf"(?<!\w)(?:{self.agency_pattern})(?!\w)", text)
        return self.agency_named(match.group(0)) if match else None


def load_agencies(path: str | Path = DEFAULT_AGENCIES) -> AgencyRules:
    path = Path(path)
    document = load_data_file(path, "agency file")
    names_by_alias: dict[str, str] = {}
    for index, agency in enumerate(document.get("agency", [])):
        name = agency.get("name")
        if not isinstance(name, str) or not name:
            raise DataFileError(f"{path}: agency #{index + 1}: name must be a non-empty string")
        for alias in [name, *agency.get("aliases", [])]:
            names_by_alias[fold_whitespace(alias).casefold()] = name
    aliases = sorted({a for a in names_by_alias}, key=len, reverse=True)
    agency = "(?i:" + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in aliases) + ")"
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
    )


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

    def as_columns(self) -> dict[str, object]:
        has_credits = any(self.credits.values())
        return {
            "title_flags": self.title_flags,
            "wire_agency": self.wire_agency,
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


def parse_credits(paragraph: str, rules: AgencyRules) -> tuple[dict[str, list[str]], list[str]] | None:
    """Names per role and agencies named as a credit, when the paragraph is a credit line."""
    inner = paragraph.strip().rstrip(".").lstrip("-–— ").strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1].strip()
    matches = list(rules.credit_role.finditer(inner))
    if not matches or matches[0].start() != 0:
        return None
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


# Particles that stay lower case inside a place name: RIO DE JANEIRO -> Rio de Janeiro.
_PLACE_PARTICLES = frozenset({"de", "da", "do", "del", "la", "le", "of", "on", "upon", "am", "an", "der"})


def is_attribution_paragraph(paragraph: str, rules: AgencyRules) -> bool:
    """A credit line or syndication note: attribution takes it out of the text into
    columns, so boilerplate removal must leave it for attribution to see."""
    paragraph = fold_whitespace(paragraph)
    return parse_credits(paragraph, rules) is not None or any(
        p.fullmatch(paragraph) for p in rules.syndication
    )


def _place_name(raw: str | None) -> str | None:
    """MOSCOW -> Moscow, NEW YORK -> New York, АЛМА-АТА -> Алма-Ата."""
    if not raw:
        return None
    if not raw.isupper():
        return raw
    words = re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), raw).split(" ")
    return " ".join(w.lower() if i and w.lower() in _PLACE_PARTICLES else w for i, w in enumerate(words))


# A dateline may follow a byline or kicker ("By Jane Doe", "ANALYSIS"): a first paragraph
# this short is looked past.
_MAX_WORDS_BEFORE_DATELINE = 8


def _take_dateline(
    paragraphs: list[str], rules: AgencyRules, result: Attribution, agencies: list[str]
) -> None:
    """Move the dateline at the start of the text (first or second paragraph) into
    ``result``; the agency it names goes first in ``agencies``."""
    for index in range(min(2, len(paragraphs))):
        if index == 1 and len(paragraphs[0].split()) > _MAX_WORDS_BEFORE_DATELINE:
            return
        for pattern in rules.datelines:
            match = pattern.match(paragraphs[index])
            if match and (match.groupdict().get("place") or "").casefold() not in rules.not_places:
                groups = match.groupdict()
                result.dateline_place = _place_name(groups.get("place"))
                result.dateline_date = groups.get("date")
                if groups.get("agency"):
                    agencies.insert(0, rules.agency_named(groups["agency"]) or groups["agency"])
                paragraphs[index] = paragraphs[index][match.end() :].lstrip()
                return


def attribute(
    title: str,
    text: str,
    rules: AgencyRules,
    outlet_agency: str | None = None,
    feed_is_wire: bool = False,
    aggregator: bool = False,
) -> Attribution:
    """Attribution of one story. ``outlet_agency`` is the agency the publishing outlet itself
    is (TASS's own feed): its copy is wire copy but not syndicated."""
    clean, flags, title_agency = clean_title(title, rules, aggregator)
    result = Attribution(title=clean, text=text, title_flags=flags)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    agencies: list[str] = []
    kept: list[str] = []
    for paragraph in paragraphs:
        credits = parse_credits(paragraph, rules)
        if credits is not None:
            for role, names in credits[0].items():
                result.credits[role].extend(names)
            agencies.extend(credits[1])
            continue
        note = next((m for m in (p.fullmatch(paragraph) for p in rules.syndication) if m), None)
        if note is not None:
            result.syndication_note = paragraph
            named = note.groupdict().get("agency")
            if named:
                agencies.append(rules.agency_named(named) or named)
            continue
        kept.append(paragraph)
    if kept:
        _take_dateline(kept, rules, result, agencies)
        for pattern in rules.signoffs:
            match = pattern.search(kept[-1])
            # A sign-off ends the last paragraph ("... on Thursday. — AFP") or is one ("AFP").
            if match and (match.start() > 0 or len(kept) > 1):
                agencies.append(rules.agency_named(match.group("agency")) or match.group("agency"))
                kept[-1] = kept[-1][: match.start()].rstrip()
                break
    if title_agency:
        agencies.append(title_agency)
    result.text = "\n\n".join(p for p in kept if p)
    result.wire_agency = agencies[0] if agencies else (outlet_agency if feed_is_wire else None)
    result.syndicated = bool(
        (result.wire_agency and result.wire_agency != outlet_agency) or result.syndication_note
    )
    if result.wire_agency or result.syndication_note or feed_is_wire:
        result.origin = "wire"
    elif len(result.text.split()) >= MIN_WORDS_FOR_STAFF:
        result.origin = "staff"
    return result
