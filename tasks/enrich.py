"""Enrichment: one entry point that turns a normalised entry into a clean, tagged story.

Order matters: furniture goes first (so a footer never reads as a sign-off), attribution
next (it takes datelines, credit lines and syndication notes out of the text and into
columns), then language, script and region tags on the clean text. Last, the content
hash and word count are recomputed from the clean text, so exact and near-duplicate
dedupe compare the story, not the outlet's wrapping.

The data files are loaded once per batch (``EnrichmentRules.load``), never per entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tasks.attribute import DEFAULT_AGENCIES, AgencyRules, attribute, load_agencies
from tasks.boilerplate import DEFAULT_BOILERPLATE, BoilerplateRules, load_boilerplate, remove_boilerplate
from tasks.catalog import Feed
from tasks.language import detect_language, detect_script
from tasks.normalise import NormalisedEntry
from tasks.tag import DEFAULT_REGION, Gazetteer, load_gazetteer, tag_region
from tasks.text import content_hash


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
        """The data files; each defaults to the environment (NEWSWIRE_ENRICH_REGION,
        NEWSWIRE_ENRICH_AGENCIES, NEWSWIRE_ENRICH_BOILERPLATE), then to feeds/."""
        return cls(
            boilerplate=load_boilerplate(
                boilerplate or os.environ.get("NEWSWIRE_ENRICH_BOILERPLATE") or DEFAULT_BOILERPLATE
            ),
            agencies=load_agencies(
                agencies or os.environ.get("NEWSWIRE_ENRICH_AGENCIES") or DEFAULT_AGENCIES
            ),
            gazetteer=load_gazetteer(region or os.environ.get("NEWSWIRE_ENRICH_REGION") or DEFAULT_REGION),
        )


def outlet_agency(feed: Feed | None, rules: AgencyRules) -> str | None:
    """The agency a feed's outlet is itself (the TASS feed is TASS), by its name or id."""
    if feed is None:
        return None
    return rules.agency_in(feed.name) or rules.agency_named(feed.outlet_id.replace("-", " "))


def enrich_entry(entry: NormalisedEntry, rules: EnrichmentRules, feed: Feed | None = None) -> NormalisedEntry:
    """Clean ``entry``'s title, summary and body in place, fill ``entry.enrichment`` and
    recompute its content hash and word count from the clean text. Returns the entry."""
    own_agency = outlet_agency(feed, rules.agencies)
    is_wire = feed is not None and feed.kind == "wire"
    aggregator = feed is not None and feed.kind == "aggregator"
    summary = remove_boilerplate(entry.summary, rules.boilerplate, entry.title)
    body = remove_boilerplate(entry.body, rules.boilerplate, entry.title)
    # Attribution reads the fullest text; the summary gets the same treatment so a
    # dateline or credit line does not survive there either.
    main = attribute(entry.title, body or summary, rules.agencies, own_agency, is_wire, aggregator)
    if body:
        summary = attribute(entry.title, summary, rules.agencies, own_agency, is_wire, aggregator).text
        body = main.text
    else:
        summary = main.text
    entry.title, entry.summary, entry.body = main.title, summary, body
    text = body or summary
    script = detect_script(f"{entry.title}\n{text}")
    entry.language = detect_language(f"{entry.title}\n{text}", entry.language, script)
    # The dateline place counts as a mention: a story filed from Dushanbe is about Tajikistan
    # even when the text goes on to say only "the summit".
    tags = tag_region(entry.title, f"{main.dateline_place or ''}\n{text}", rules.gazetteer)
    entry.enrichment.update({"script": script, **main.as_columns(), **tags.as_columns()})
    entry.content_hash = content_hash(entry.title, text)
    entry.word_count = len(entry.title.split()) + len(text.split())
    return entry


def enrich_entries(
    entries: list[NormalisedEntry], feed: Feed | None, rules: EnrichmentRules
) -> tuple[list[NormalisedEntry], list[str]]:
    """Every entry enriched; one that fails stays as normalised and costs one message
    (naming the entry) instead of the feed or the run."""
    problems = []
    for entry in entries:
        try:
            enrich_entry(entry, rules, feed)
        except Exception as error:  # a bug on one odd item must not drop the feed
            problems.append(
                f"entry {entry.entry_id} ({entry.url}): enrichment failed, stored as parsed: "
                f"{type(error).__name__}: {error}"
            )
    return entries, problems
