"""Backfill sources: the past of some feeds as ``FeedOutcome``s, ready for enrich and load.

- ``archive``: replay raw payloads already landed (bronze) with today's parser and
  normaliser.
- ``pages``: walk each feed's older pages (RFC 5005 links, ``?paged=N`` / ``?page=N``).
- ``sitemap``: walk the outlet's sitemap index and (news) sitemaps and turn each article
  page dated in range into an entry.

Every fetched document is landed raw (``fetch_and_land``) and becomes one outcome, so it is
recorded as a fetch. The walking decisions are pure (tasks/backfill_pages.py,
tasks/sitemap.py); one Prefect task per batch of feeds, never per page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newswire.flows.run import FeedOutcome
from newswire.flows.steps.collect import fetch_and_land, parse_and_normalise
from newswire.tasks.backfill_pages import PageWalk, in_range
from newswire.tasks.backfill_request import BackfillRequest
from newswire.tasks.catalog import Feed
from newswire.tasks.documents import ParsedDocument
from newswire.tasks.fetch import FetchRequest, FetchResult
from newswire.tasks.normalise import NormalisedEntry, normalise_document, normalise_entry
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import Settings
from newswire.tasks.sitemap import (
    SitemapEntry,
    article_entry,
    parse_sitemap,
    robots_sitemaps,
    site_root,
    wanted,
)
from newswire.warehouse.queries import archived_payloads
from newswire.warehouse.raw_store import CorruptPayload, RawStore

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


class ItemBudget:
    """The backfill's ``max_items``, shared by the feeds of one batch."""

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


# -- sources ---------------------------------------------------------------------------


def _fetch(feed: Feed, url: str, settings: Settings) -> FetchResult:
    request = FetchRequest(feed_id=feed.id, url=url, allow_private_network=feed.allow_private_network)
    return fetch_and_land([request], settings)[0]


def _entries_in_range(entries: list[NormalisedEntry], request: BackfillRequest) -> list[NormalisedEntry]:
    return [e for e in entries if in_range(e.published_at, request.start, request.end)]


def walk_pages(
    feed: Feed, request: BackfillRequest, settings: Settings, budget: ItemBudget, progress: BackfillProgress
) -> list[FeedOutcome]:
    """One feed's older pages, newest first, until the start date, the end of the archive or
    the budget. Every fetched page is landed raw and recorded as a fetch."""
    logger = get_run_logger()
    walk = PageWalk(feed_url=feed.url)
    url: str | None = feed.url
    outcomes: list[FeedOutcome] = []
    while url and walk.page <= request.max_pages and not budget.exhausted:
        result = _fetch(feed, url, settings)
        outcome = FeedOutcome(feed=feed, result=result)
        if result.body is not None:
            parse_and_normalise(outcome, settings)
        progress.add(pages=1)
        if outcome.error:
            url = walk.page_failed(outcome.error)
            # A failed probe of a CMS paging convention is not an error of the feed.
            if url is None and not walk.conventions_exhausted:
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
    feed: Feed, request: BackfillRequest, settings: Settings, budget: ItemBudget, progress: BackfillProgress
) -> list[FeedOutcome]:
    """Sitemap index -> sitemaps -> articles dated in range, within the budgets."""
    logger = get_run_logger()
    queue, outcomes = _sitemap_urls(feed, settings)
    outcomes = [o for o in outcomes if o.result.ok]  # a missing robots.txt is normal
    seen: set[str] = set()
    articles: list[SitemapEntry] = []
    while queue and len(seen) < request.max_pages:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        result = _fetch(feed, url, settings)
        progress.add(pages=1)
        outcome = FeedOutcome(feed=feed, result=result)
        outcomes.append(outcome)
        if result.body is None:
            logger.warning("feed %s: sitemap %s: %s", feed.id, url, result.error)
            continue
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
    outcomes += article_outcomes(feed, articles, request, settings, budget, progress)
    logger.info("feed %s: read %d sitemap(s), %d article(s) in range", feed.id, len(seen), len(articles))
    return outcomes


def article_outcomes(
    feed: Feed,
    articles: list[SitemapEntry],
    request: BackfillRequest,
    settings: Settings,
    budget: ItemBudget,
    progress: BackfillProgress,
) -> list[FeedOutcome]:
    """Fetch the article pages a sitemap listed and turn each into one entry."""
    requests = [
        FetchRequest(feed_id=feed.id, url=a.loc, allow_private_network=feed.allow_private_network)
        for a in articles
    ]
    outcomes = []
    for listed, result in zip(articles, fetch_and_land(requests, settings), strict=True):
        outcome = FeedOutcome(feed=feed, result=result)
        outcomes.append(outcome)
        progress.add(pages=1)
        if result.body is None:
            continue
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
    return outcomes


def replay_archive(
    feeds: list[Feed], request: BackfillRequest, settings: Settings, progress: BackfillProgress
) -> list[FeedOutcome]:
    """Re-parse and re-normalise stored raw payloads of these feeds fetched since ``start``
    (an entry published in range can only be in a payload fetched after it). When an entry
    is in several payloads, only its latest copy counts."""
    logger = get_run_logger()
    raw = RawStore.for_data_dir(settings.data_dir)
    by_id = {feed.id: feed for feed in feeds}
    since = datetime.combine(request.start, datetime.min.time(), UTC)
    latest: dict[tuple[str, str], NormalisedEntry] = {}
    outcomes: dict[str, FeedOutcome] = {}
    for payload in archived_payloads(settings.data_dir, list(by_id), since):
        feed = by_id[payload.feed_id]
        outcome = outcomes.setdefault(
            feed.id,
            FeedOutcome(
                feed=feed, result=FetchResult(feed_id=feed.id, url=feed.url, fetched_at=payload.fetched_at)
            ),
        )
        progress.add(pages=1)
        if not raw.exists(payload.body_sha256):
            outcome.content_error = (
                f"raw payload {payload.body_sha256} is missing from {raw.root}; cannot replay it"
            )
            logger.warning("feed %s: %s", feed.id, outcome.content_error)
            continue
        headers = {"content-type": payload.content_type} if payload.content_type else {}
        try:
            body = raw.read(payload.body_sha256)
        except CorruptPayload as error:
            # A damaged payload costs that payload (reported in the feed's row), not the run.
            outcome.content_error = f"{error} ({payload.url}, fetched {payload.fetched_at:%Y-%m-%d %H:%M})"
            logger.warning("feed %s: %s", feed.id, outcome.content_error)
            continue
        document = parse_document(
            body,
            headers,
            payload.url,
            settings.fetch.max_body_bytes,
            feed.format,
            settings.max_entries_per_feed,
            settings.fast_parse,
        )
        if document.error:
            # Reported like a poll reports it: in the feed's row of the run summary.
            outcome.content_error = (
                f"raw payload {payload.body_sha256} ({payload.url}, fetched "
                f"{payload.fetched_at:%Y-%m-%d %H:%M}) does not parse: {document.error}"
            )
            logger.warning("feed %s: %s", feed.id, outcome.content_error)
            continue
        for entry in normalise_document(
            document,
            feed,
            payload.fetched_at,
            payload.url,
            settings.normalise,
            raw_sha256=payload.body_sha256,
        ):
            if in_range(entry.published_at, request.start, request.end):
                latest[(feed.id, entry.entry_id)] = entry
    for (feed_id, _), entry in latest.items():
        outcomes[feed_id].entries.append(entry)
    progress.add(feeds=len(feeds), items=len(latest))
    return list(outcomes.values())


@task(name="backfill-walk", cache_policy=NO_CACHE, persist_result=False)
def walk_feeds(
    feeds: list[Feed], request: BackfillRequest, settings: Settings, progress: BackfillProgress
) -> list[FeedOutcome]:
    """One batch of feeds walked (pages or sitemaps). One task per batch, never per page."""
    budget = ItemBudget(request.max_items)
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
