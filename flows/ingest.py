"""The ingest flow: one poll of the feeds that are due, end to end.

The body reads as DESIGN.md's data flow: select due feeds -> collect (fetch, land raw,
parse, normalise) -> enrich -> dedupe and load -> publish (the saved queries' feeds and
alerts) -> report. Prefect tasks wrap *batches* of feeds, never single stories: each task
run costs the Prefect server several event writes, and a few hundred of them stall its
SQLite store (STACK-NOTES.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from newswire.flows.run import RunSummary, new_run_id, publish_feed_health, publish_run_summary
from newswire.flows.runtime import stop
from newswire.flows.runtime.writer_slot import writer_slot
from newswire.flows.steps.collect import fetch_parse_normalise, known_drop_files, pick_up_drops
from newswire.flows.steps.enrich import enrich_batch
from newswire.flows.steps.link import link_stories
from newswire.flows.steps.load import dedupe_and_load
from newswire.flows.steps.publish import publish_outputs
from newswire.tasks.catalog import load_catalog, select_feeds
from newswire.tasks.schedule import is_due
from newswire.tasks.settings import load_settings
from newswire.warehouse.writer import Warehouse


@flow(name="ingest", log_prints=True)
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
    with writer_slot(warehouse, settings, logger):
        # 1. the feeds that are due
        states = warehouse.feed_states()
        due = [feed for feed in feeds if force or is_due(feed, states.get(feed.id), started_at)]
        logger.info("run %s: %d of %d feeds due", run_id, len(due), len(feeds))
        polled, drops = [f for f in due if not f.path], [f for f in due if f.path]
        # 2-5. collect, one task per batch of feeds. quote(): Prefect would otherwise walk
        # every entry of these large arguments looking for futures — measured at 19 s for
        # 25,000 entries (benchmarks/ingest.py).
        step = settings.feeds_per_task
        futures = [
            fetch_parse_normalise.submit(quote(polled[i : i + step]), quote(states), settings)
            for i in range(0, len(polled), step)
        ]
        if drops:
            futures.append(
                pick_up_drops.submit(quote(drops), quote(known_drop_files(warehouse, drops)), settings)
            )
        outcomes = [outcome for future in futures for outcome in future.result()]
        # 6. enrich; 7-8. dedupe against the whole history and load in one commit
        outcomes = enrich_batch(quote(outcomes), warehouse, settings)
        summary = dedupe_and_load(quote(outcomes), quote(states), warehouse, run_id, started_at, settings)
        # 8b. link the run's stories to their translations and events (docs/linking.md)
        link_stories(settings, run_id)
        # 9. what the desk reads: the saved queries' feeds and alerts, from what was committed
        publish_outputs(settings)
    # 10. report
    publish_run_summary(summary)
    publish_feed_health(settings.data_dir)
    return summary
