"""The backfill flow: load the past of some feeds, by hand, through the same path as ingest.

Three sources (``source``):
- ``archive``: replay raw payloads already landed (bronze) with today's parser and
  normaliser — after a normaliser fix, say. Entries whose derived text changed get a new
  revision; the rest is untouched. All of it is one commit.
- ``pages``: walk each feed's older pages (RFC 5005 ``prev-archive``/``next`` links, or the
  ``?paged=N`` / ``?page=N`` CMS conventions) until the start date is passed.
- ``sitemap``: walk the outlet's sitemap index and (news) sitemaps, fetch the articles
  whose date is in range and turn each page into an entry.

Whatever the source (flows/steps/backfill_sources.py), entries are filtered to
``start..end`` (UTC dates, inclusive) and go through enrich and ``dedupe_and_load`` like
live ones (on the CPU task runner, committed in bounded parts: flows/steps/pipeline.py),
so re-running a backfill adds nothing.
Parameters are validated before any work: end before start, an unknown feed id or source,
and budgets out of range are refused with a message saying what to change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from prefect import get_run_logger
from pydantic import Field

from newswire.flows.run import FeedOutcome, RunSummary, new_run_id, publish_backfill_report
from newswire.flows.runtime.gc_tuning import run_collections
from newswire.flows.runtime.heartbeats import in_process_flow
from newswire.flows.runtime.writer_slot import writer_slot
from newswire.flows.steps.backfill_sources import BackfillProgress, replay_archive_task, walk_feeds
from newswire.flows.steps.enrich import mark_replayed_changes
from newswire.flows.steps.link import link_stories
from newswire.flows.steps.pipeline import LoadContext, prepare_and_load
from newswire.flows.steps.prepare import CpuBatch
from newswire.tasks.backfill_request import (
    DEFAULT_DAYS,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_PAGES,
    Source,
    validate_request,
)
from newswire.tasks.catalog import load_catalog
from newswire.tasks.settings import Settings, load_settings
from newswire.warehouse.writer import Warehouse


@in_process_flow(name="backfill", log_prints=True)
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
    settings = load_settings(data_dir)
    request, feeds = validate_request(
        load_catalog(catalog or settings.desk.catalog, catalog_substitutions),
        start=start,
        end=end,
        source=source,
        feed_ids=feed_ids,
        tags=tags,
        max_pages=max_pages,
        max_items=max_items,
    )
    warehouse = Warehouse(settings.data_dir)
    run_id = new_run_id()
    started_at = datetime.now(UTC)
    progress = BackfillProgress()
    logger.info("backfill %s: %s for %d feed(s), %s .. %s", run_id, source, len(feeds), start, end)
    context = LoadContext(warehouse, run_id, started_at, settings, flow_name="backfill")
    if request.source == "archive":
        # Replay reads the lake the writer is about to change: under the writer lock.
        with run_collections(), writer_slot(warehouse, settings, logger):
            outcomes = replay_archive_task(feeds, request, settings, progress)
            # Article pages too come from the raw store: a replay works with the sites down.
            context.offline, context.record_fetches = True, False
            # Today's rules may change columns, not text: those entries get a revision too.
            context.before_load = lambda part: mark_replayed_changes(part, settings)
            summary, commits = prepare_and_load(walked_batches(outcomes, warehouse, settings), context)
            link_stories(settings, commits)
    else:
        # Fetching needs no lock: a scheduled ingest keeps running while we walk pages.
        step = settings.feeds_per_task
        futures = [
            walk_feeds.submit(feeds[i : i + step], request, settings, progress)
            for i in range(0, len(feeds), step)
        ]
        outcomes = [outcome for future in futures for outcome in future.result()]
        # Enrichment and the commits interleave (bounded parts): under the writer slot.
        with run_collections(), writer_slot(warehouse, settings, logger):
            summary, commits = prepare_and_load(walked_batches(outcomes, warehouse, settings), context)
            link_stories(settings, commits)
    return publish_backfill_report(request, summary, feeds)


def walked_batches(
    outcomes: list[FeedOutcome], warehouse: Warehouse, settings: Settings
) -> Iterator[CpuBatch]:
    """CPU batches (enrichment and profiles; the walk parsed already) of
    ``feeds_per_task`` outcomes each, enriched against the outlets' history as it stood
    before the backfill."""
    histories = warehouse.outlet_line_counts(sorted({o.feed.outlet_id for o in outcomes}))
    step = settings.feeds_per_task
    for start in range(0, len(outcomes), step):
        chunk = outcomes[start : start + step]
        outlets = {o.feed.outlet_id for o in chunk}
        wanted = None if histories is None else {k: v for k, v in histories.items() if k in outlets}
        yield CpuBatch(chunk, settings, wanted, parse=False)
