"""The enrichment stage of ingest: full text for the entries that want it, then cleaning,
attribution and tagging of every entry of the batch (tasks/enrich.py).

One Prefect task per batch (never per story, STACK-NOTES.md). Article pages go through
the same fetcher as feeds — same limits, same per-host politeness, same SSRF rule — and
land in the raw store like feed payloads. An entry already stored with the same feed text
is not fetched again: dedupe would find it unchanged and write nothing anyway.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.enrich import (
    EnrichmentRules,
    count_sightings,
    enrich_entries,
    enrich_entry,
    entry_line_prints,
    needs_full_text,
)
from tasks.extract import extract_article
from tasks.fetch import FetchRequest, fetch_feeds
from tasks.furniture import OutletHistory
from tasks.normalise import NormalisedEntry
from tasks.settings import Settings
from warehouse.raw_store import RawStore
from warehouse.writer import Warehouse


def _already_stored(entries: list[NormalisedEntry], warehouse: Warehouse) -> set[int]:
    """Positions (in ``entries``) of entries stored before with the same content hash."""
    keys = sorted({(entry.feed_id, key) for entry in entries for key in entry.appearance_keys})
    known = warehouse.lookup(keys, [])[0] if keys else {}
    stored = set()
    for position, entry in enumerate(entries):
        hashes = {
            known[(entry.feed_id, key)][2] for key in entry.appearance_keys if (entry.feed_id, key) in known
        }
        if entry.content_hash in hashes:
            stored.add(position)
    return stored


def _cap_per_feed(wanted: list, settings: Settings, logger) -> list:
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


@task(name="enrich", cache_policy=NO_CACHE, persist_result=False)
def enrich_batch(outcomes: list, warehouse: Warehouse, settings: Settings) -> list:
    """Enrich every entry of the batch's ``FeedOutcome``s in place; returns them."""
    logger = get_run_logger()
    rules = EnrichmentRules.load()
    # Outlet furniture learnt from history: read before, this run's sightings written with its commit.
    histories = warehouse.outlet_line_counts(sorted({o.feed.outlet_id for o in outcomes}))
    prints = []  # per entry, its lines as printed (before cleaning)
    # (outcome, position, the entry as normalised) for entries that want their page.
    wanted: list[tuple[object, int, NormalisedEntry]] = []
    for outcome in outcomes:
        for position, entry in enumerate(outcome.entries):
            if needs_full_text(entry, outcome.feed, settings.enrich):
                wanted.append((outcome, position, replace(entry, enrichment=dict(entry.enrichment))))
        prints += [entry_line_prints(entry) for entry in outcome.entries]
        history = OutletHistory.for_stored_history((histories or {}).get(outcome.feed.outlet_id, {}))
        outcome.entries, problems = enrich_entries(outcome.entries, outcome.feed, rules, history)
        for problem in problems:
            logger.warning("feed %s: %s", outcome.feed.id, problem)
    if histories is not None:  # None: another process holds the state, record nothing
        stored = _already_stored([entry for outcome in outcomes for entry in outcome.entries], warehouse)
        warehouse.add_outlet_lines(count_sightings(p for i, p in enumerate(prints) if i not in stored))
    if not wanted:
        return outcomes

    stored = _already_stored([outcome.entries[position] for outcome, position, _ in wanted], warehouse)
    wanted = _cap_per_feed(
        [item for index, item in enumerate(wanted) if index not in stored], settings, logger
    )
    requests = [
        FetchRequest(
            feed_id=outcome.feed.id,
            url=original.url,
            allow_private_network=outcome.feed.allow_private_network,
        )
        for outcome, _, original in wanted
    ]
    results = fetch_feeds(requests, settings.fetch) if requests else []
    raw = RawStore(settings.data_dir / "lake")
    tally: Counter[str] = Counter(skipped=len(stored))
    for (outcome, position, original), result in zip(wanted, results, strict=True):
        where = f"feed {outcome.feed.id}: article page {result.url}"
        if result.body is not None:
            raw.land(result.body, result.body_sha256)
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
    return outcomes
