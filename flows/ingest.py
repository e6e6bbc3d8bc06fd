"""The ingest flow: one poll of the feeds that are due, end to end.

The body reads as DESIGN.md's data flow: select due feeds -> collect (fetch, land raw,
parse, normalise) -> enrich -> dedupe and load -> publish (the saved queries' feeds and
alerts) -> report. Prefect tasks wrap *batches* of feeds, never single stories: each task
run costs the Prefect server several event writes, and a few hundred of them stall its
SQLite store (STACK-NOTES.md). Parse, normalise, enrichment and near-duplicate profiles
run on the CPU task runner (``NEWSWIRE_TASK_RUNNER``: threads, processes or Dask);
fetching and the writer stay in this process (flows/steps/pipeline.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

from prefect import get_run_logger
from prefect.utilities.annotations import quote

from newswire.flows.run import (
    FeedOutcome,
    RunSummary,
    new_run_id,
    publish_feed_health,
    publish_run_summary,
)
from newswire.flows.runtime import stop
from newswire.flows.runtime.gc_tuning import run_collections
from newswire.flows.runtime.heartbeats import in_process_flow
from newswire.flows.runtime.writer_slot import writer_slot
from newswire.flows.steps.collect import fetch_feed_batch, known_drop_files, pick_up_drops
from newswire.flows.steps.link import link_step
from newswire.flows.steps.pipeline import LoadContext, has_work, prepare_and_load
from newswire.flows.steps.prepare import CpuBatch
from newswire.flows.steps.publish import publish_step
from newswire.tasks.catalog import Feed, load_catalog, select_feeds
from newswire.tasks.schedule import is_due
from newswire.tasks.settings import Settings, load_settings
from newswire.warehouse.writer import Warehouse


@in_process_flow(name="ingest", log_prints=True)
def ingest(
    catalog: str | None = None,
    feed_ids: list[str] | None = None,
    tags: list[str] | None = None,
    data_dir: str | None = None,
    force: bool = False,
    catalog_substitutions: dict[str, str] | None = None,
) -> RunSummary:
    """Poll the feeds that are due (all selected feeds with ``force``) and load what is new."""
    stop.take_over_signals()  # Ctrl-C/SIGTERM from the CLI: stop gently (flows/runtime/stop.py)
    logger = get_run_logger()
    settings = load_settings(data_dir)
    feeds = select_feeds(
        load_catalog(catalog or settings.desk.catalog, catalog_substitutions), feed_ids, tags
    )
    warehouse = Warehouse(settings.data_dir)
    run_id = new_run_id()
    started_at = datetime.now(UTC)
    # (the collector frozen past the long-lived objects for the run: flows/runtime/gc_tuning.py)
    with run_collections(), writer_slot(warehouse, settings, logger):
        # 1. the feeds that are due
        states = warehouse.feed_states()
        due = [feed for feed in feeds if force or is_due(feed, states.get(feed.id), started_at)]
        logger.info("run %s: %d of %d feeds due", run_id, len(due), len(feeds))
        polled, drops = [f for f in due if not f.path], [f for f in due if f.path]
        # The outlets' furniture history as it stood before this run: every batch is
        # enriched against the same history, whatever runner or part it lands in. Read
        # when the first batch with entries asks for it, before any part commits: an
        # unchanged re-poll never reads it.
        outlets = sorted({feed.outlet_id for feed in due})
        histories = cache(lambda: warehouse.outlet_line_counts(outlets))
        drop_outcomes = (
            pick_up_drops(quote(drops), quote(known_drop_files(warehouse, drops)), settings) if drops else []
        )
        context = LoadContext(warehouse, run_id, started_at, settings, states=states)
        # 2-8. fetch a batch of feeds, land raw; parse, normalise, enrich and profile it on
        # the CPU task runner; dedupe against the whole history and commit, in bounded
        # parts (flows/steps/pipeline.py)
        batches = poll_batches(polled, drop_outcomes, states, histories, settings)
        summary, commits = prepare_and_load(batches, context)
        # 8b. link the run's stories to their translations and events (docs/linking.md)
        link_step(settings, commits)
        # 9. what the desk reads: the saved queries' feeds and alerts, from what was committed
        publish_step(settings)
    # 10. report
    publish_run_summary(summary)
    publish_feed_health(settings.data_dir)
    return summary


def feeds_per_batch(feeds: int, settings: Settings) -> int:
    """Feeds per CPU batch: ``feeds_per_task`` at most, but small enough that every worker
    gets about four batches (a run of 500 feeds on 2 workers is 8 batches, not 5 that
    leave one worker idle at the end); never one per story (STACK-NOTES.md)."""
    workers = 1 if settings.task_runner == "thread" else settings.cpu_workers
    return max(1, min(settings.feeds_per_task, math.ceil(feeds / (4 * workers))))


def poll_batches(
    polled: list[Feed],
    drop_outcomes: list[FeedOutcome],
    states: dict[str, dict[str, Any]],
    histories: Callable[[], dict[str, dict[str, int]] | None],
    settings: Settings,
) -> Iterator[CpuBatch]:
    """The poll's CPU batches, each fetched (and landed raw) only when asked for. quote():
    Prefect would otherwise walk every entry of these large arguments looking for
    futures — measured at 19 s for 25,000 entries (benchmarks/ingest.py). ``histories``
    reads the outlets' stored line counts (once; the caller memoises it), asked only by a
    batch with something to enrich."""

    def batch(outcomes: list[FeedOutcome], parse: bool) -> CpuBatch:
        prepared = CpuBatch(outcomes, settings, {}, parse=parse)
        if has_work(prepared):
            stored = histories()
            outlets = {o.feed.outlet_id for o in outcomes}
            prepared.histories = None if stored is None else {k: v for k, v in stored.items() if k in outlets}
        return prepared

    step = feeds_per_batch(len(polled), settings)
    for start in range(0, len(polled), step):
        chunk = polled[start : start + step]
        yield batch(fetch_feed_batch(quote(chunk), quote(states), settings), parse=True)
    if drop_outcomes:
        yield batch(drop_outcomes, parse=False)
