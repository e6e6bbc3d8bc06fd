"""Enrichment: one entry point that turns a normalised entry into a clean, tagged story.

Order matters: furniture goes first (so a footer never reads as a sign-off), attribution
next (it takes datelines, credit lines and syndication notes out of the text and into
columns), then language, script and region tags on the clean text. Last, the content
hash and word count are recomputed from the clean text, so exact and near-duplicate
dedupe compare the story, not the outlet's wrapping.

The data files are loaded once per batch (``EnrichmentRules.load``), never per entry.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from newswire.tasks.attribute import (
    DEFAULT_AGENCIES,
    AgencyRules,
    Attribution,
    attribute,
    broken_off_datelines,
    is_attribution_paragraph,
    is_dateline_paragraph,
    load_agencies,
    pictured_credits,
)
from newswire.tasks.boilerplate import (
    DEFAULT_BOILERPLATE,
    BoilerplateRules,
    load_boilerplate,
    remove_boilerplate,
    split_paragraphs,
)
from newswire.tasks.catalog import Feed
from newswire.tasks.encoding import repair_mojibake
from newswire.tasks.extract import ArticlePage
from newswire.tasks.furniture import OutletHistory, line_prints
from newswire.tasks.homoglyphs import fold_homoglyphs
from newswire.tasks.language import detect_language, detect_script
from newswire.tasks.memo import Same
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.primary import PrimaryEvidence, outlet_home
from newswire.tasks.settings import EnrichPolicy
from newswire.tasks.tag import DEFAULT_REGION, Gazetteer, load_gazetteer, primary_evidence, tags_of
from newswire.tasks.text import content_hash
from newswire.tasks.urls import canonical_url


@dataclass(frozen=True)
class EnrichmentRules:
    boilerplate: BoilerplateRules
    agencies: AgencyRules
    gazetteer: Gazetteer

    @classmethod
    def load(
        cls,
        region: str | Path | None = None,
        agencies: str | Path | None = None,
        boilerplate: str | Path | None = None,
    ) -> EnrichmentRules:
        """The data files; each defaults to the default desk's (a run passes its desk's,
        ``DeskProfile.enrichment_rules``, tasks/desk.py)."""
        return cls(
            boilerplate=load_boilerplate(boilerplate or DEFAULT_BOILERPLATE),
            agencies=load_agencies(agencies or DEFAULT_AGENCIES),
            gazetteer=load_gazetteer(region or DEFAULT_REGION),
        )


def draft_entry(
    title: str, summary: str = "", body: str = "", language: str | None = None, entry_id: str = "draft"
) -> NormalisedEntry:
    """An entry from bare text, for enriching something that did not come from a feed
    (``newswire enrich FILE``, labelled sets, tests)."""
    return NormalisedEntry(
        feed_id="adhoc",
        outlet_id="adhoc",
        entry_id=entry_id,
        guid=None,
        url=None,
        canonical_url=None,
        title=title,
        summary=summary,
        body=body,
        published_at=datetime.now(UTC),
        date_issue=None,
        updated_at=None,
        language=language,
        authors=[],
        categories=[],
        content_hash="",
        word_count=0,
    )


def outlet_agency(feed: Feed | None, rules: AgencyRules) -> str | None:
    """The agency a feed's outlet is itself (the TASS feed is TASS): by the agency's own
    domains (``domains`` in feeds/agencies.toml) for the feed's URL or outlet, else by
    its name or id. Once per feed (every entry of a feed asks; the name is searched with
    the whole agency alternation)."""
    return None if feed is None else _outlet_agency(feed, Same(rules))


@lru_cache(maxsize=4096)
def _outlet_agency(feed: Feed, same_rules: Same) -> str | None:
    rules: AgencyRules = same_rules.value
    host = urlsplit(feed.url).hostname if feed.url.startswith(("http://", "https://")) else None
    known = (
        rules.agency_for_host(host)
        or rules.agency_for_host(feed.outlet_id)
        or rules.agency_in(feed.name)
        or rules.agency_named(feed.outlet_id.replace("-", " "))
    )
    if known or feed.kind != "wire":
        return known
    # An agency the registry does not know yet still publishes its own copy: its feed's
    # name says which ("Avesta (English)" -> Avesta). A bare site name (avesta.tj) is no
    # agency's spelling: then nothing, rather than a name no desk would query by.
    return _name_of_unlisted_agency(feed.name)


def _name_of_unlisted_agency(name: str) -> str | None:
    name = re.split(r"\s+[(|\-–—]", name.strip())[0].strip()
    if not name or re.fullmatch(r"[\w-]+(\.[\w-]+)+", name):
        return None
    return name


def enrich_entry(
    entry: NormalisedEntry,
    rules: EnrichmentRules,
    feed: Feed | None = None,
    article: ArticlePage | None = None,
    history: OutletHistory | None = None,
    own_item_counted: bool = False,
) -> NormalisedEntry:
    """Clean ``entry``'s title, summary and body in place, fill ``entry.enrichment`` and
    recompute its content hash and word count from the clean text. Returns the entry.

    ``history``: line fingerprints of the outlet's other items (its furniture);
    ``own_item_counted`` when this entry's own lines are among them (scoring a set).

    With an ``article`` (the extracted page), the page text becomes the body and its
    canonical URL the entry's; the content hash stays that of the feed's clean text, so a
    later poll that does not fetch the page again finds the entry unchanged.
    """
    return _enrich(entry, rules, feed, article, history, own_item_counted)[0]


def _enrich(
    entry: NormalisedEntry,
    rules: EnrichmentRules,
    feed: Feed | None,
    article: ArticlePage | None,
    history: OutletHistory | None,
    own_item_counted: bool,
) -> tuple[NormalisedEntry, EnrichedText]:
    own_agency = outlet_agency(feed, rules.agencies)
    is_wire = feed is not None and feed.kind == "wire"
    aggregator = feed is not None and feed.kind == "aggregator"
    # The wire format's own metadata (ninjs infoSources/located, NewsML-G2 infoSource/
    # located, set by the parser) is the strongest evidence of who and where: read it
    # before the columns are rewritten below.
    metadata_agency = entry.enrichment.get("wire_agency")
    metadata_place = entry.enrichment.get("dateline_place")
    # Text stored as mojibake by the source's CMS (UTF-8 read as a code page) is repaired
    # first; charset problems of the document itself were fixed before parsing. Cyrillic
    # look-alike letters typed inside Latin words ("ТASS") are folded next.
    entry.title, entry.summary, entry.body = (
        fold_homoglyphs(repair_mojibake(t)) for t in (entry.title, entry.summary, entry.body)
    )
    raw_title = entry.title

    def is_attribution(paragraph: str) -> bool:
        return is_attribution_paragraph(paragraph, rules.agencies) or is_dateline_paragraph(
            paragraph, rules.agencies, rules.gazetteer.place_name
        )

    def clean(text: str) -> Attribution:
        # (the first paragraphs are enough: a dateline sits above the lead)
        head = split_paragraphs(text[:HEAD_CHARS])
        broken_off = broken_off_datelines(head, rules.gazetteer.place_name)
        # A photographer's credit under a caption names no source of the story: it goes
        # with the caption, and attribution never reads it.
        pictured = pictured_credits(head, rules.agencies)
        stripped = remove_boilerplate(
            text,
            rules.boilerplate,
            raw_title,
            (lambda p: p in broken_off or (p not in pictured and is_attribution(p)))
            if broken_off or pictured
            else is_attribution,
            history,
            own_item_counted,
            opens_story=lambda p: is_dateline_paragraph(p, rules.agencies, rules.gazetteer.place_name),
        )
        if pictured:
            stripped = "\n\n".join(p for p in stripped.split("\n\n") if p not in pictured)
        return attribute(
            raw_title,
            stripped,
            rules.agencies,
            own_agency,
            is_wire,
            aggregator,
            metadata_agency=metadata_agency,
            metadata_place=metadata_place,
            place_namer=rules.gazetteer.place_name,
        )

    page_text = (
        fold_homoglyphs(repair_mojibake(article.text)) if article is not None and not article.error else ""
    )
    # Attribution reads the fullest text; the others get the same cleaning so a dateline
    # or credit line survives nowhere.
    main = clean(page_text or entry.body or entry.summary)
    feed_body = (clean(entry.body).text if page_text else main.text) if entry.body else ""
    summary = clean(entry.summary).text if (page_text or entry.body) else main.text
    feed_text = feed_body or summary
    entry.title, entry.summary, entry.body = (
        main.title,
        summary,
        main.text if (page_text or entry.body) else "",
    )
    if page_text:
        apply_page_metadata(entry, article)
    text = entry.body or entry.summary
    script, entry.language = script_and_language(f"{entry.title}\n{text}", entry.language)
    # The dateline place counts as a mention: a story filed from Dushanbe is about Tajikistan
    # even when the text goes on to say only "the summit".
    # The outlet's home country is evidence too: a Kazakh site's "Russia and Kazakhstan sign
    # ..." leans to Kazakhstan, a Russian site's to Russia, by as much as dev says.
    home = outlet_home(
        feed.country if feed else None, entry.url or (feed.url if feed else None), rules.gazetteer.countries
    )
    tags = region_columns(entry.title, text, Same(rules.gazetteer), main.dateline_place, home)
    result = EnrichedText(
        title=entry.title,
        summary=entry.summary,
        body=entry.body,
        language=entry.language,
        # (``tags`` is built for this entry: region_columns remembers the mentions, not
        # the columns, so there is nothing shared to copy)
        columns={"script": script, **main.as_columns(), **tags},
        content_hash=content_hash(entry.title, feed_text),
        word_count=len(entry.title.split()) + len(feed_text.split()),
    )
    result.apply(entry, copy_columns=False)
    return entry, result


@dataclass(frozen=True)
class EnrichedText:
    """What enriching an entry (without its article page) wrote: the clean text, the
    language and the enrichment columns. A syndicated copy with the same input gets the
    same, applied (``EnrichMemo``) instead of computed again."""

    title: str
    summary: str
    body: str
    language: str | None
    columns: dict[str, object]
    content_hash: str
    word_count: int

    def apply(self, entry: NormalisedEntry, copy_columns: bool = True) -> None:
        entry.title, entry.summary, entry.body, entry.language = (
            self.title,
            self.summary,
            self.body,
            self.language,
        )
        # (each entry its own lists: a later step may change one entry's columns)
        entry.enrichment.update(copy.deepcopy(self.columns) if copy_columns else self.columns)
        entry.content_hash, entry.word_count = self.content_hash, self.word_count


class EnrichMemo:
    """``enrich_entry`` once per distinct input within one batch: syndicated copies of a
    story reach it from several feeds with the same text, and a feed may list an item
    twice. The key is everything the result depends on (``enrich_key``); a copy gets the
    first one's result. Lives for one batch: its keys hold the batch's texts, nothing
    more. An entry whose enrichment fails is not remembered (each copy fails alone, with
    its own message)."""

    def __init__(self, rules: EnrichmentRules) -> None:
        self.rules = rules
        self._found: dict[tuple, EnrichedText] = {}

    def enrich(
        self, entry: NormalisedEntry, feed: Feed | None, history: OutletHistory | None = None
    ) -> NormalisedEntry:
        key = self.key(entry, feed, history)
        found = self._found.get(key)
        if found is not None:
            found.apply(entry)
            return entry
        _, self._found[key] = _enrich(entry, self.rules, feed, None, history, False)
        return entry

    def key(self, entry: NormalisedEntry, feed: Feed | None, history: OutletHistory | None) -> tuple:
        """What ``enrich_entry(entry, rules, feed, history=history)`` reads: the entry's
        texts, declared language and wire metadata, the outlet's own agency, the feed's
        kind, the outlet's home country (from the entry's URL when the catalog names
        none) and the outlet's furniture history."""
        feed_key = (None,) if feed is None else (outlet_agency(feed, self.rules.agencies), feed.kind)
        home = outlet_home(
            feed.country if feed else None,
            entry.url or (feed.url if feed else None),
            self.rules.gazetteer.countries,
        )
        return (
            entry.title,
            entry.summary,
            entry.body,
            entry.language,
            _hashable(entry.enrichment.get("wire_agency")),
            _hashable(entry.enrichment.get("dateline_place")),
            *feed_key,
            home,
            _history_key(history),
        )


def _hashable(value: object) -> object:
    return repr(value) if isinstance(value, (list, dict, set)) else value


def _history_key(history: OutletHistory | None) -> tuple | None:
    """An outlet history as a key: by what it holds when it holds nothing (a first poll,
    every outlet alike), else by identity (the object is kept alive by the key, so the
    identity is not reused while the memo lives)."""
    if history is None:
        return None
    return (history.min_items, history.min_items_long, Same(history.seen) if history.seen else None)


# Where a dateline broken off onto its own line is looked for: the text's head.
HEAD_CHARS = 3000


# Syndicated copies reach language id and tagging with the same clean text: each distinct
# text is classified and tagged once (both are pure functions of the text), which also
# covers a feed re-listing its items. Bounded, so a long backfill cannot grow it.
TEXT_MEMO_SIZE = 16_384


@lru_cache(maxsize=TEXT_MEMO_SIZE)
def script_and_language(text: str, declared: str | None) -> tuple[str | None, str | None]:
    """(script, language) of a clean text, as ``detect_script`` and ``detect_language``."""
    script = detect_script(text)
    return script, detect_language(text, declared, script)


@lru_cache(maxsize=TEXT_MEMO_SIZE)
def _mentions(title: str, text: str, gazetteer: Same, dateline: str | None) -> PrimaryEvidence:
    """The countries a text names, where and how often: once per distinct text, whichever
    outlet carries it (the outlet's home country only weighs in the ranking)."""
    return primary_evidence(title, text, gazetteer.value, dateline)


def region_columns(
    title: str, text: str, gazetteer: Same, dateline: str | None = None, home: str | None = None
) -> dict[str, object]:
    """``tag_region(...).as_columns()``, the mentions found once per distinct text and
    ranked for this outlet's ``home`` country."""
    evidence = replace(_mentions(title, text, gazetteer, dateline), home=home)
    return tags_of(evidence, gazetteer.value).as_columns()


def apply_page_metadata(entry: NormalisedEntry, article: ArticlePage) -> None:
    """What the page knows better than the feed: its canonical URL (the URL key), the
    author when the feed named none, the language when the feed declared none."""
    if article.canonical_url:
        entry.canonical_url = canonical_url(article.canonical_url, base=article.url) or entry.canonical_url
    if not entry.authors and article.author:
        entry.authors = [article.author]
    if not entry.language and article.language:
        entry.language = article.language


def enrich_entries(
    entries: list[NormalisedEntry],
    feed: Feed | None,
    rules: EnrichmentRules,
    history: OutletHistory | None = None,
    memo: EnrichMemo | None = None,
) -> tuple[list[NormalisedEntry], list[str]]:
    """Every entry enriched; one that fails stays as normalised and costs one message
    (naming the entry) instead of the feed or the run. ``history``: the outlet's line
    fingerprints from earlier runs (its furniture). ``memo``: the batch's, shared by its
    feeds so a syndicated copy is enriched once (``EnrichMemo``, made here without one)."""
    problems = []
    memo = memo or EnrichMemo(rules)
    for entry in entries:
        try:
            memo.enrich(entry, feed, history)
        except Exception as error:  # a bug on one odd item must not drop the feed
            problems.append(
                f"entry {entry.entry_id} ({entry.url}): enrichment failed, stored as parsed: "
                f"{type(error).__name__}: {error}"
            )
    return entries, problems


def entry_line_prints(entry: NormalisedEntry) -> tuple[str, set[str]]:
    """(outlet id, fingerprints of the entry's lines as the outlet printed them): read
    before cleaning, what the entry adds to its outlet's history."""
    return entry.outlet_id, line_prints(entry.body) | line_prints(entry.summary)


def count_sightings(prints: Iterable[tuple[str, set[str]]]) -> dict[tuple[str, str], int]:
    """(outlet id, fingerprint) -> on how many of the entries the line was seen."""
    counts: dict[tuple[str, str], int] = {}
    for outlet_id, fingerprints in prints:
        for print_ in fingerprints:
            counts[(outlet_id, print_)] = counts.get((outlet_id, print_), 0) + 1
    return counts


def needs_full_text(entry: NormalisedEntry, feed: Feed, policy: EnrichPolicy) -> bool:
    """Whether to fetch the entry's article page: always for ``full_text`` feeds, else
    when the feed's text is shorter than the policy's threshold (0 = never)."""
    if not entry.url or not entry.url.startswith(("http://", "https://")):
        return False
    if feed.full_text:
        return True
    words = len((entry.body or entry.summary).split())
    return 0 < words < policy.full_text_below_words or (policy.full_text_below_words > 0 and words == 0)
