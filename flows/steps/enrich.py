"""The enrichment stage of ingest: cleaning, attribution and tagging of every entry of a
batch (tasks/enrich.py), then full text for the entries that want it.

Two halves. ``enrich_outcomes`` is pure CPU over one batch and runs wherever the CPU
batches run (flows/steps/prepare.py: a thread, a process, a Dask worker), with the
outlets' furniture history read beforehand by the writer. ``finish_enrichment`` runs in
the writer's process: it records the line sightings of entries not stored before, and
fetches, extracts and enriches the article pages (network and the state, so not on a
worker). Article pages go through the same fetcher as feeds — same limits, same per-host
politeness, same SSRF rule — and land in the raw store like feed payloads. An entry
already stored with the same feed text is not fetched again: dedupe would find it
unchanged and write nothing anyway. Every page fetched is recorded (``article_pages``)
so an archive replay reads it from the raw store instead of the network: a replay with
the site down keeps the bodies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from prefect import get_run_logger

from newswire.flows.steps.collect import fetch_and_land
from newswire.tasks.enrich import (
    EnrichMemo,
    count_sightings,
    enrich_entries,
    enrich_entry,
    entry_line_prints,
    needs_full_text,
)
from newswire.tasks.extract import extract_article
from newswire.tasks.fetch import FetchRequest, FetchResult
from newswire.tasks.furniture import OutletHistory
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.reprocess import DIGEST_COLUMNS, mark_enrichment_changes
from newswire.tasks.settings import Settings
from newswire.warehouse.queries import stored_appearance_columns
from newswire.warehouse.raw_store import CorruptPayload, RawStore
from newswire.warehouse.records import ArticlePage
from newswire.warehouse.writer import Warehouse


def _already_stored(entries: list[NormalisedEntry], warehouse: Warehouse) -> set[int]:
    """Positions (in ``entries``) of entries stored before with the same content hash."""
    keys = sorted({(entry.feed_id, key) for entry in entries for key in entry.appearance_keys})
    known = warehouse.read_history(keys, []).appearances_by_key if keys else {}
    stored = set()
    for position, entry in enumerate(entries):
        hashes = {
            known[(entry.feed_id, key)].content_hash
            for key in entry.appearance_keys
            if (entry.feed_id, key) in known
        }
        if entry.content_hash in hashes:
            stored.add(position)
    return stored


def cap_per_feed(wanted: list, settings: Settings, logger) -> list:
    """At most ``max_pages_per_feed`` new pages per feed this run; the rest keep their feed
    text (a feed that suddenly lists 500 items must not become 500 requests to one host)."""
    limit = settings.enrich.max_pages_per_feed
    per_feed: Counter[str] = Counter(outcome.feed.id for outcome, _, _ in wanted)
    for feed_id, count in per_feed.items():
        if count > limit:
            logger.warning(
                "feed %s: %d new entries want their article page, fetching %d this run "
                "(NEWSWIRE_ENRICH_MAX_PAGES_PER_FEED)",
                feed_id,
                count,
                limit,
            )
    taken: Counter[str] = Counter()
    capped = []
    for item in wanted:
        feed_id = item[0].feed.id
        if taken[feed_id] < limit:
            taken[feed_id] += 1
            capped.append(item)
    return capped


@dataclass
class WantedPage:
    """An entry that wants its article page: where it is in the batch, and a copy of it as
    normalised (the page's text is enriched from that, not from the feed's cleaned text)."""

    outcome_index: int
    position: int
    original: NormalisedEntry


@dataclass
class EnrichedBatch:
    """What the CPU half of enrichment hands the writer besides the entries it enriched
    in place: each entry's line fingerprints as the outlet printed them (None without
    the outlets' history), and the entries that want their article page."""

    prints: list[tuple[str, set[str]]] | None = None
    wanted: list[WantedPage] = field(default_factory=list)


def enrich_outcomes(
    outcomes: list, rules, histories: dict[str, dict[str, int]] | None, settings: Settings, logger
) -> EnrichedBatch:
    """Enrich every entry of ``outcomes`` in place, each outlet's furniture learnt from
    ``histories`` (its stored line counts, read by the writer before the run's batches;
    None: another process holds the state, nothing is learnt or recorded). Pure CPU."""
    enriched = EnrichedBatch(prints=None if histories is None else [])
    for index, outcome in enumerate(outcomes):
        for position, entry in enumerate(outcome.entries):
            if needs_full_text(entry, outcome.feed, settings.enrich):
                original = replace(entry, enrichment=dict(entry.enrichment))
                enriched.wanted.append(WantedPage(index, position, original))
    memo = EnrichMemo(rules)  # syndicated copies across the batch's feeds: enriched once
    for outcome in outcomes:
        if enriched.prints is not None:
            enriched.prints += [entry_line_prints(entry) for entry in outcome.entries]
        history = OutletHistory.for_stored_history((histories or {}).get(outcome.feed.outlet_id, {}))
        outcome.entries, problems = enrich_entries(outcome.entries, outcome.feed, rules, history, memo)
        for problem in problems:
            logger.warning("feed %s: %s", outcome.feed.id, problem)
    return enriched


def record_sightings(
    outcomes: list, prints: list | None, warehouse: Warehouse
) -> set[tuple[int, int]] | None:
    """Add the sightings of entries not stored before with the same content to the next
    commit; returns the (outcome index, position) of those stored before (None without
    the history), so the full-text step does not read the history again."""
    if prints is None:
        return None
    places = [(index, position) for index, o in enumerate(outcomes) for position in range(len(o.entries))]
    stored = _already_stored([outcomes[i].entries[position] for i, position in places], warehouse)
    warehouse.add_outlet_lines(count_sightings(p for i, p in enumerate(prints) if i not in stored))
    return {places[i] for i in stored}


def page_request(outcome, _position: int, original: NormalisedEntry) -> FetchRequest:
    return FetchRequest(
        feed_id=outcome.feed.id, url=original.url, allow_private_network=outcome.feed.allow_private_network
    )


def stored_pages(wanted: list, warehouse: Warehouse, settings: Settings) -> list[FetchResult | None]:
    """The wanted entries' article pages as the raw store holds them (None: not stored)."""
    raw = RawStore.for_data_dir(settings.data_dir)
    keys = {(outcome.feed.id, original.url) for outcome, _, original in wanted}
    pages = warehouse.article_pages(sorted(keys))
    results: list[FetchResult | None] = []
    for outcome, _, original in wanted:
        page = pages.get((outcome.feed.id, original.url))
        if page is None or not raw.exists(page.body_sha256):
            results.append(None)
            continue
        try:
            body = raw.read(page.body_sha256)
        except CorruptPayload as error:
            # A damaged stored page costs that page (the entry keeps its feed text).
            get_run_logger().warning("%s", error)
            results.append(None)
            continue
        results.append(
            FetchResult(
                feed_id=page.feed_id,
                url=page.url,
                fetched_at=page.fetched_at,
                final_url=page.final_url,
                status=200,
                body=body,
                body_sha256=page.body_sha256,
                headers={"content-type": page.content_type} if page.content_type else {},
            )
        )
    return results


def _article_pages(
    wanted: list, warehouse: Warehouse, settings: Settings, offline: bool, stored: set[int] | None, logger
):
    """The wanted entries' pages: fetched (skipping those stored before with the same
    content — ``stored``, or read here when the caller had none — at most the per-feed
    cap), or on a replay read from the raw store first.
    Returns (wanted, results, positions skipped as stored, positions read from the store)."""
    if offline:
        # A replay re-reads every page it wants from the raw store (no host is asked, so
        # neither the already-stored skip nor the per-feed cap applies).
        stored: set[int] = set()
        results = stored_pages(wanted, warehouse, settings)
        missing = [index for index, result in enumerate(results) if result is None]
        from_store = set(range(len(results))) - set(missing)
        fetched = fetch_and_land([page_request(*wanted[index]) for index in missing], settings)
        for index, result in zip(missing, fetched, strict=True):
            results[index] = result
        logger.info(
            "replay: %d article pages read from the raw store, %d fetched (not stored)",
            len(results) - len(missing),
            len(missing),
        )
    else:
        if stored is None:
            entries = [outcome.entries[position] for outcome, position, _ in wanted]
            stored = _already_stored(entries, warehouse)
        wanted = cap_per_feed(
            [item for index, item in enumerate(wanted) if index not in stored], settings, logger
        )
        results = fetch_and_land([page_request(*item) for item in wanted], settings)
        from_store = set()
    return wanted, results, stored, from_store


def finish_enrichment(
    outcomes: list, enriched: EnrichedBatch, warehouse: Warehouse, settings: Settings, offline: bool = False
) -> None:
    """The writer's half: the batch's line sightings for the next commit, then the article
    pages of the entries that want them, fetched (or on a replay read from the raw store),
    extracted and enriched in place."""
    logger = get_run_logger()
    known = record_sightings(outcomes, enriched.prints, warehouse)
    if not enriched.wanted:
        return
    rules = settings.desk.enrichment_rules()
    wanted = [(outcomes[w.outcome_index], w.position, w.original) for w in enriched.wanted]
    stored = None
    if known is not None:
        stored = {n for n, w in enumerate(enriched.wanted) if (w.outcome_index, w.position) in known}
    wanted, results, stored, from_store = _article_pages(wanted, warehouse, settings, offline, stored, logger)
    for index, ((outcome, _, _), result) in enumerate(zip(wanted, results, strict=True)):
        if result.ok and result.body is not None and result.body_sha256 and index not in from_store:
            outcome.article_pages.append(
                ArticlePage(
                    feed_id=result.feed_id,
                    url=result.url,
                    final_url=result.final_url,
                    body_sha256=result.body_sha256,
                    content_type=result.headers.get("content-type"),
                    fetched_at=result.fetched_at,
                )
            )
    tally: Counter[str] = Counter(skipped=len(stored))
    for (outcome, position, original), result in zip(wanted, results, strict=True):
        where = f"feed {outcome.feed.id}: article page {result.url}"
        if result.error or result.body is None:
            tally["failed"] += 1
            logger.warning("%s: %s; the entry keeps its feed text", where, result.error or "no body")
            continue
        page = extract_article(result.body, result.headers, result.final_url or result.url)
        if page.error:
            tally["failed"] += 1
            logger.warning("%s: %s; the entry keeps its feed text", where, page.error)
            continue
        try:
            outcome.entries[position] = enrich_entry(original, rules, outcome.feed, page)
            tally["extracted"] += 1
        except Exception as error:  # one odd page must not cost the batch
            tally["failed"] += 1
            logger.warning(
                "%s: enrichment failed (%s: %s); the entry keeps its feed text",
                where,
                type(error).__name__,
                error,
            )
    logger.info(
        "full text: %d pages extracted, %d failed, %d already stored (not fetched)",
        tally["extracted"],
        tally["failed"],
        tally["skipped"],
    )


def mark_replayed_changes(outcomes: list, settings: Settings) -> None:
    """Replayed entries whose enrichment today differs from their stored row (a region,
    agency or gazetteer change, not a text change) get an ``enrichment_digest`` that
    makes the load step write a revision (tasks/reprocess.py)."""
    replayed = [entry for outcome in outcomes for entry in outcome.entries]
    stored = stored_appearance_columns(
        settings.data_dir,
        [(e.feed_id, e.entry_id) for e in replayed],
        (*DIGEST_COLUMNS, "enrichment_digest"),
    )
    mark_enrichment_changes(replayed, stored)
