"""The backfill flow: load the past of some feeds, by hand, through the same path as ingest.

Three sources (``source``):
- ``archive``: replay raw payloads already landed (bronze) with today's parser and
  normaliser — after a normaliser fix, say. Entries whose derived text changed get a new
  revision; the rest is untouched. All of it is one commit.
- ``pages``: walk each feed's older pages (RFC 5005 ``prev-archive``/``next`` links, or the
  ``?paged=N`` / ``?page=N`` CMS conventions) until the start date is passed.
- ``sitemap``: walk the outlet's sitemap index and (news) sitemaps, fetch the articles
  whose date is in range and turn each page into an entry.

Whatever the source, entries are filtered to ``start..end`` (UTC dates, inclusive) and
go through ``dedupe_and_load`` like live ones, so re-running a backfill adds nothing.
Parameters are validated before any work: end before start, an unknown feed id or source,
and budgets out of range are refused with a message saying what to change.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote
from pydantic import Field

from flows.backfill_params import (
    DEFAULT_DAYS,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_PAGES,
    BackfillRequest,
    Source,
    validate_request,
)
from flows.enrich_stage import enrich_batch
from flows.ingest import (
    FeedOutcome,
    FeedReport,
    RunSummary,
    _new_run_id,
    _publish_artifact,
    dedupe_and_load,
    parse_and_normalise,
)
from flows.writer_slot import writer_slot
from tasks.backfill_pages import PageWalk, in_range
from tasks.catalog import DEFAULT_CATALOG, Feed, load_catalog
from tasks.fetch import FetchRequest, FetchResult, fetch_feeds
from tasks.normalise import NormalisedEntry, normalise_document, normalise_entry
from tasks.parse import ParsedDocument, parse_document
from tasks.reprocess import DIGEST_COLUMNS, mark_enrichment_changes
from tasks.settings import Settings, load_settings
from tasks.sitemap import article_entry, parse_sitemap, robots_sitemaps, site_root, wanted
from warehouse.raw_store import RawStore
from warehouse.views import open_reader, stored_appearance_columns
from warehouse.writer import Warehouse

# -- progress ------------------------------------------------------------------------


@dataclass
class BackfillProgress:
    """Counters the CLI's progress bar reads (the flow runs in the CLI's process)."""

    feeds_done: int = 0
    pages: int = 0
    items: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, feeds: int = 0, pages: int = 0, items: int = 0) -> None:
        with self._lock:
            self.feeds_done += feeds
            self.pages += pages
            self.items += items
        for listener in list(PROGRESS_LISTENERS):
            listener(self)


PROGRESS_LISTENERS: list[Callable[[BackfillProgress], None]] = []


# -- sources ---------------------------------------------------------------------------


def _fetch(feed: Feed, url: str, settings: Settings) -> FetchResult:
    request = FetchRequest(feed_id=feed.id, url=url, allow_private_network=feed.allow_private_network)
    return fetch_feeds([request], settings.fetch)[0]


def _entries_in_range(entries: list[NormalisedEntry], request: BackfillRequest) -> list[NormalisedEntry]:
    return [e for e in entries if in_range(e.published_at, request.start, request.end)]


def _parse_page(feed: Feed, result: FetchResult, settings: Settings) -> FeedOutcome:
    outcome = FeedOutcome(feed=feed, result=result)
    if result.body is not None:
        parse_and_normalise(outcome, settings)
    return outcome


class _Budget:
    def __init__(self, items: int):
        self.items_left = items
        self._lock = threading.Lock()

    def take(self, entries: list[NormalisedEntry]) -> list[NormalisedEntry]:
        with self._lock:
            kept = entries[: max(self.items_left, 0)]
            self.items_left -= len(kept)
            return kept

    @property
    def exhausted(self) -> bool:
        return self.items_left <= 0


def walk_pages(
    feed: Feed, request: BackfillRequest, settings: Settings, budget: _Budget, progress: BackfillProgress
) -> list[FeedOutcome]:
    """One feed's older pages, newest first, until the start date, the end of the archive or
    the budget. Every fetched page is landed raw and recorded as a fetch."""
    logger = get_run_logger()
    raw = RawStore(settings.data_dir / "lake")
    walk = PageWalk(feed_url=feed.url)
    url: str | None = feed.url
    outcomes: list[FeedOutcome] = []
    while url and walk.page <= request.max_pages and not budget.exhausted:
        result = _fetch(feed, url, settings)
        if result.body is not None:
            raw.land(result.body, result.body_sha256)
        outcome = _parse_page(feed, result, settings)
        progress.add(pages=1)
        if outcome.error:
            url = walk.page_failed(outcome.error)
            probing = url is not None or (walk.finished or "").endswith("not honoured)")
            if not probing:  # a failed probe of a CMS convention is not an error of the feed
                logger.warning("feed %s: backfill page %s failed: %s", feed.id, result.url, outcome.error)
                outcomes.append(outcome)
            continue
        dated = [e.published_at.date() for e in outcome.entries if not e.published_guessed]
        url = walk.next_url(
            result.body,
            result.final_url or result.url,
            [e.entry_id for e in outcome.entries],
            min(dated) if dated else None,
            request.start,
        )
        outcome.entries = budget.take(_entries_in_range(outcome.entries, request))
        progress.add(items=len(outcome.entries))
        outcomes.append(outcome)
    logger.info(
        "feed %s: walked %d page(s): %s", feed.id, walk.page, walk.finished or "page or item budget reached"
    )
    return outcomes


def _sitemap_urls(feed: Feed, settings: Settings) -> tuple[list[str], list[FeedOutcome]]:
    if feed.sitemap:
        return [feed.sitemap], []
    robots = _fetch(feed, site_root(feed.url) + "robots.txt", settings)
    listed = robots_sitemaps(robots.body.decode("utf-8", "replace"), robots.url) if robots.body else []
    return listed or [site_root(feed.url) + "sitemap.xml"], [FeedOutcome(feed=feed, result=robots)]


def walk_sitemaps(
    feed: Feed, request: BackfillRequest, settings: Settings, budget: _Budget, progress: BackfillProgress
) -> list[FeedOutcome]:
    """Sitemap index -> sitemaps -> articles dated in range, within the budgets."""
    logger = get_run_logger()
    raw = RawStore(settings.data_dir / "lake")
    queue, outcomes = _sitemap_urls(feed, settings)
    outcomes = [o for o in outcomes if o.result.ok]  # a missing robots.txt is normal
    seen: set[str] = set()
    articles = []
    sitemaps_read = 0
    while queue and sitemaps_read < request.max_pages:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        result = _fetch(feed, url, settings)
        sitemaps_read += 1
        progress.add(pages=1)
        outcome = FeedOutcome(feed=feed, result=result)
        outcomes.append(outcome)
        if result.body is None:
            logger.warning("feed %s: sitemap %s: %s", feed.id, url, result.error)
            continue
        raw.land(result.body, result.body_sha256)
        sitemap = parse_sitemap(result.body)
        if sitemap.error:
            outcome.content_error = f"sitemap {url}: {sitemap.error}"
            continue
        keep = [e for e in sitemap.entries if wanted(e, request.start, request.end, sitemap.kind == "index")]
        if sitemap.kind == "index":
            queue.extend(e.loc for e in keep)
        else:
            articles.extend(keep)
    articles = articles[: budget.items_left]
    requests = [
        FetchRequest(feed_id=feed.id, url=a.loc, allow_private_network=feed.allow_private_network)
        for a in articles
    ]
    for listed, result in zip(articles, fetch_feeds(requests, settings.fetch), strict=True):
        outcome = FeedOutcome(feed=feed, result=result)
        outcomes.append(outcome)
        progress.add(pages=1)
        if result.body is None:
            continue
        raw.land(result.body, result.body_sha256)
        try:
            entry = article_entry(result.body, result.final_url or result.url, listed)
        except Exception as error:  # one broken page is one recorded error
            outcome.content_error = f"article page not readable: {type(error).__name__}: {error}"
            continue
        outcome.document = ParsedDocument(format="html-article", title=entry.title, entries=[entry])
        normalised = normalise_entry(
            entry,
            feed,
            outcome.document,
            result.fetched_at,
            result.final_url or result.url,
            settings.normalise,
            raw_sha256=result.body_sha256,
        )
        outcome.entries = budget.take(_entries_in_range([normalised], request))
        progress.add(items=len(outcome.entries))
    logger.info("feed %s: read %d sitemap(s), %d article(s) in range", feed.id, sitemaps_read, len(articles))
    return outcomes


def replay_archive(
    feeds: list[Feed], request: BackfillRequest, settings: Settings, progress: BackfillProgress
) -> list[FeedOutcome]:
    """Re-parse and re-normalise stored raw payloads of these feeds fetched since ``start``
    (an entry published in range can only be in a payload fetched after it). When an entry
    is in several payloads, only its latest copy counts."""
    logger = get_run_logger()
    raw = RawStore(settings.data_dir / "lake")
    by_id = {feed.id: feed for feed in feeds}
    con = open_reader(settings.data_dir)
    try:
        rows = con.execute(
            """
            SELECT feed_id, body_sha256, arg_min(fetched_at, fetched_at) AS fetched_at,
                   arg_min(coalesce(final_url, url), fetched_at) AS url,
                   arg_min(content_type, fetched_at) AS content_type
            FROM fetches
            WHERE body_sha256 IS NOT NULL AND error IS NULL AND fetched_at >= ?
              AND list_contains(?, feed_id)
            GROUP BY feed_id, body_sha256
            ORDER BY fetched_at
            """,
            [datetime.combine(request.start, datetime.min.time(), UTC), list(by_id)],
        ).fetchall()
    finally:
        con.close()
    latest: dict[tuple[str, str], NormalisedEntry] = {}
    outcomes: dict[str, FeedOutcome] = {}
    for feed_id, sha256, fetched_at, url, content_type in rows:
        feed = by_id[feed_id]
        outcome = outcomes.setdefault(
            feed_id,
            FeedOutcome(feed=feed, result=FetchResult(feed_id=feed_id, url=feed.url, fetched_at=fetched_at)),
        )
        progress.add(pages=1)
        if not raw.exists(sha256):
            outcome.content_error = f"raw payload {sha256} is missing from {raw.root}; cannot replay it"
            logger.warning("feed %s: %s", feed_id, outcome.content_error)
            continue
        headers = {"content-type": content_type} if content_type else {}
        document = parse_document(raw.read(sha256), headers, url, settings.fetch.max_body_bytes, feed.format)
        if document.error:
            continue
        for entry in normalise_document(
            document, feed, fetched_at, url, settings.normalise, raw_sha256=sha256
        ):
            if in_range(entry.published_at, request.start, request.end):
                latest[(feed_id, entry.entry_id)] = entry
    for (feed_id, _), entry in latest.items():
        outcomes[feed_id].entries.append(entry)
    progress.add(feeds=len(feeds), items=len(latest))
    return list(outcomes.values())


@task(name="backfill-walk", cache_policy=NO_CACHE, persist_result=False)
def walk_feeds(
    feeds: list[Feed], request: BackfillRequest, settings: Settings, progress: BackfillProgress
) -> list[FeedOutcome]:
    """One batch of feeds walked (pages or sitemaps). One task per batch, never per page."""
    budget = _Budget(request.max_items)
    walker = walk_pages if request.source == "pages" else walk_sitemaps
    outcomes = []
    for feed in feeds:
        outcomes += walker(feed, request, settings, budget, progress)
        progress.add(feeds=1)
    return outcomes


@task(name="backfill-replay-archive", cache_policy=NO_CACHE, persist_result=False)
def replay_archive_task(
    feeds: list[Feed], request: BackfillRequest, settings: Settings, progress: BackfillProgress
) -> list[FeedOutcome]:
    return replay_archive(feeds, request, settings, progress)


# -- report ----------------------------------------------------------------------------


def per_feed_reports(reports: list[FeedReport]) -> list[FeedReport]:
    """One report row per feed (a backfill fetches many documents of each): entries summed,
    the status says how many documents, the first error is kept with a count of others."""
    merged: dict[str, FeedReport] = {}
    documents: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for report in reports:
        documents[report.feed_id] += 1
        errors[report.feed_id] += bool(report.error)
        kept = merged.setdefault(report.feed_id, replace(report, entries=0, error=None))
        kept.entries += report.entries
        kept.error = kept.error or report.error
    for feed_id, kept in merged.items():
        if kept.status != "replayed":
            kept.status = f"{documents[feed_id]} documents"
        if errors[feed_id] > 1:
            kept.error += f" (and {errors[feed_id] - 1} more failed documents)"
    return list(merged.values())


def backfill_markdown(
    request: BackfillRequest, summary: RunSummary, feeds: list[Feed], documents: int
) -> str:
    lines = [
        f"# Backfill {summary.run_id}",
        "",
        f"- **source**: `{request.source}`, **range**: {request.start} .. {request.end}",
        f"- **feeds**: {len(feeds)} ({', '.join(f.id for f in feeds[:20])}{' …' if len(feeds) > 20 else ''})",
        f"- **budgets**: {request.max_pages} pages per feed, {request.max_items} items",
        f"- **documents**: {documents}; **entries in range**: {summary.entries_seen}",
        f"- **new appearances**: {summary.new_appearances}, **updated**: {summary.updated_appearances}, "
        f"**new stories**: {summary.new_stories}, **merged duplicates**: {summary.duplicates_merged}",
        "",
    ]
    if summary.errors:
        lines += ["## Errors", "", "| feed | URL | error |", "|---|---|---|"]
        lines += [f"| {r.feed_id} | {r.url} | {(r.error or '').replace('|', '/')} |" for r in summary.errors]
    else:
        lines.append("No errors.")
    return "\n".join(lines)


@flow(name="backfill", log_prints=True)
def backfill(
    start: date | None = None,
    end: date | None = None,
    source: Source = "pages",
    feed_ids: list[str] | None = None,
    tags: list[str] | None = None,
    max_pages: Annotated[int, Field(ge=1, le=10_000)] = DEFAULT_MAX_PAGES,
    max_items: Annotated[int, Field(ge=1, le=1_000_000)] = DEFAULT_MAX_ITEMS,
    catalog: str | None = None,
    data_dir: str | None = None,
    catalog_substitutions: dict[str, str] | None = None,
) -> RunSummary:
    """Load feeds' past from stored payloads, older feed pages or sitemaps (by hand).
    Without ``start``/``end``: the last ``DEFAULT_DAYS`` days up to today (UTC)."""
    logger = get_run_logger()
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    request, feeds = validate_request(
        load_catalog(catalog or DEFAULT_CATALOG, catalog_substitutions),
        start=start,
        end=end,
        source=source,
        feed_ids=feed_ids,
        tags=tags,
        max_pages=max_pages,
        max_items=max_items,
    )
    settings = load_settings(data_dir)
    warehouse = Warehouse(settings.data_dir)
    run_id = _new_run_id()
    started_at = datetime.now(UTC)
    progress = BackfillProgress()
    logger.info(
        "backfill %s: %s for %d feed(s), %s .. %s",
        run_id,
        request.source,
        len(feeds),
        request.start,
        request.end,
    )
    if request.source == "archive":
        # Replay reads the lake the writer is about to change: under the writer lock.
        with writer_slot(warehouse, logger):
            outcomes = replay_archive_task(feeds, request, settings, progress)
            outcomes = enrich_batch(quote(outcomes), warehouse, settings)
            # Today's rules may change columns, not text: those entries get a revision too.
            replayed = [entry for outcome in outcomes for entry in outcome.entries]
            stored = stored_appearance_columns(
                settings.data_dir,
                [(e.feed_id, e.entry_id) for e in replayed],
                (*DIGEST_COLUMNS, "enrichment_digest"),
            )
            mark_enrichment_changes(replayed, stored)
            summary = dedupe_and_load(
                quote(outcomes),
                {},
                warehouse,
                run_id,
                started_at,
                settings,
                flow_name="backfill",
                record_fetches=False,
            )
    else:
        # Fetching needs no lock: a scheduled ingest keeps running while we walk pages.
        batches = [
            feeds[i : i + settings.feeds_per_task] for i in range(0, len(feeds), settings.feeds_per_task)
        ]
        futures = [walk_feeds.submit(batch, request, settings, progress) for batch in batches]
        outcomes = [outcome for future in futures for outcome in future.result()]
        outcomes = enrich_batch(quote(outcomes), warehouse, settings)
        with writer_slot(warehouse, logger):
            summary = dedupe_and_load(
                quote(outcomes), {}, warehouse, run_id, started_at, settings, flow_name="backfill"
            )
    documents = len(summary.feeds)
    summary.feeds = per_feed_reports(summary.feeds)
    summary.feeds_polled = len(summary.feeds)
    _publish_artifact(summary, key="backfill-summary")
    create_markdown_artifact(
        key="backfill-report",
        markdown=backfill_markdown(request, summary, feeds, documents),
        description=f"Backfill {run_id}: {request.source} {request.start}..{request.end}",
    )
    return summary
