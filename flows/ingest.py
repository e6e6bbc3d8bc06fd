"""The ingest flow: one poll of the feeds that are due, end to end.

The flow body reads as DESIGN.md's data flow: select due feeds -> fetch and land raw ->
parse -> normalise -> enrich -> dedupe -> load -> report. Prefect tasks wrap *batches* of feeds,
never single stories: each task run costs the Prefect server several event writes, and a
few hundred of them stall its SQLite store (STACK-NOTES.md).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from flows.dedupe import fill_batch, plan_stories
from flows.enrich_stage import enrich_batch
from flows.health import publish_feed_health_artifact
from flows.wire import add_wire_state, known_drop_files, pick_up_drops, without_superseded
from flows.writer_slot import writer_slot
from tasks.catalog import DEFAULT_CATALOG, Feed, load_catalog, select_feeds
from tasks.cluster import load_policy
from tasks.dedupe import History, KnownAppearance, KnownStory
from tasks.drop import DropPickup
from tasks.fetch import FetchRequest, FetchResult, fetch_feeds
from tasks.normalise import (
    IDENTITY_COLLISION,
    TEXT_REPAIRED,
    NormalisedEntry,
    count_warnings,
    normalise_document,
)
from tasks.parse import ParsedDocument, parse_document
from tasks.records import fetch_row
from tasks.schedule import is_due, next_feed_state, request_url
from tasks.settings import Settings, load_settings
from warehouse.failpoints import failpoint
from warehouse.raw_store import RawStore
from warehouse.writer import CommitBatch, Warehouse


@dataclass
class FeedOutcome:
    """What happened to one feed in this run, before dedupe."""

    feed: Feed
    result: FetchResult
    document: ParsedDocument | None = None
    entries: list[NormalisedEntry] = field(default_factory=list)
    # Why the feed's content could not be used when no document of this run says so:
    # unchanged bytes that failed to parse last time (still broken, so health and the
    # summary keep saying so), a drop folder's unreadable files, a sitemap or stored raw
    # payload a backfill could not read.
    content_error: str | None = None
    # A directory-drop feed: the files this run picked up (tasks/drop.py).
    drop: DropPickup | None = None

    @property
    def parse_error(self) -> str | None:
        return self.document.error if self.document else self.content_error

    @property
    def error(self) -> str | None:
        return self.result.error or self.parse_error


@dataclass
class FeedReport:
    feed_id: str
    url: str
    status: str
    entries: int = 0
    new_appearances: int = 0
    new_stories: int = 0
    error: str | None = None


@dataclass
class RunSummary:
    run_id: str
    feeds_polled: int = 0
    not_modified: int = 0
    unchanged: int = 0
    entries_seen: int = 0
    new_appearances: int = 0
    updated_appearances: int = 0
    new_stories: int = 0
    duplicates_merged: int = 0
    # Entries whose text had code points that cannot be stored (replaced, flagged), and
    # entries kept apart from another entry of their document with the same id.
    text_repaired: int = 0
    identity_collisions: int = 0
    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def errors(self) -> list[FeedReport]:
        return [report for report in self.feeds if report.error]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "feeds_polled": self.feeds_polled,
            "not_modified": self.not_modified,
            "unchanged": self.unchanged,
            "entries_seen": self.entries_seen,
            "new_appearances": self.new_appearances,
            "updated_appearances": self.updated_appearances,
            "new_stories": self.new_stories,
            "duplicates_merged": self.duplicates_merged,
            "text_repaired": self.text_repaired,
            "identity_collisions": self.identity_collisions,
            "errors": {report.feed_id: report.error for report in self.errors},
        }


def _new_run_id() -> str:
    prefect_id = flow_run.get_id()
    suffix = (prefect_id or uuid.uuid4().hex)[:8]
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{suffix}"


def parse_and_normalise(outcome: FeedOutcome, settings: Settings) -> None:
    """Parse the fetched body into ``outcome.document`` and, unless it is broken (then
    ``document.error`` says why), normalise its entries into ``outcome.entries``."""
    result, feed = outcome.result, outcome.feed
    base_url = result.final_url or result.url
    outcome.document = parse_document(
        result.body, result.headers, base_url, settings.fetch.max_body_bytes, forced_format=feed.format
    )
    if not outcome.document.error:
        outcome.entries = normalise_document(
            outcome.document,
            feed,
            result.fetched_at,
            base_url,
            settings.normalise,
            raw_sha256=result.body_sha256,
        )


@task(name="fetch-parse-normalise", cache_policy=NO_CACHE, persist_result=False)
def fetch_parse_normalise(
    feeds: list[Feed], states: dict[str, dict[str, Any]], settings: Settings
) -> list[FeedOutcome]:
    """One batch of feeds: fetch concurrently, land every payload raw, parse and
    normalise what changed."""
    logger = get_run_logger()
    requests = []
    for feed in feeds:
        state = states.get(feed.id) or {}
        # Validators are kept across a catalogue URL change: a server that answers 304 to
        # an ETag it issued, or the same bytes, has nothing new whatever the URL.
        requests.append(
            FetchRequest(
                feed_id=feed.id,
                url=request_url(feed, state),
                etag=state.get("etag"),
                last_modified=state.get("last_modified"),
                previous_body_sha256=state.get("last_body_sha256"),
                allow_private_network=feed.allow_private_network,
            )
        )
    results = fetch_feeds(requests, settings.fetch)
    raw = RawStore(settings.data_dir / "lake")
    outcomes = []
    for feed, result in zip(feeds, results, strict=True):
        outcome = FeedOutcome(feed=feed, result=result)
        if result.body is not None:
            raw.land(result.body, result.body_sha256)
        if result.error:
            logger.warning("feed %s (%s): fetch failed: %s", feed.id, result.url, result.error)
        elif result.unchanged and (states.get(feed.id) or {}).get("last_error_kind") == "parse":
            outcome.content_error = states[feed.id]["last_error"]
        elif result.body is not None and not result.unchanged:
            parse_and_normalise(outcome, settings)
            if outcome.document.error:
                logger.warning(
                    "feed %s (%s): %s; the raw payload is kept (sha256 %s) for replay",
                    feed.id,
                    result.url,
                    outcome.document.error,
                    result.body_sha256,
                )
        outcomes.append(outcome)
    failpoint("landed")
    return outcomes


def _history_for(warehouse: Warehouse, entries: list[NormalisedEntry]) -> History:
    appearance_keys = sorted({(e.feed_id, key) for e in entries for key in e.appearance_keys})
    story_keys = sorted({key for e in entries for key in e.story_keys})
    appearances, story_ids_by_key, stories = warehouse.lookup(appearance_keys, story_keys)
    return History(
        appearances_by_key={key: KnownAppearance(*value) for key, value in appearances.items()},
        story_ids_by_key=story_ids_by_key,
        stories={story_id: KnownStory(story_id, *value) for story_id, value in stories.items()},
    )


@task(name="dedupe-and-load", cache_policy=NO_CACHE, persist_result=False)
def dedupe_and_load(
    outcomes: list[FeedOutcome],
    states: dict[str, dict[str, Any]],
    warehouse: Warehouse,
    run_id: str,
    started_at: datetime,
    settings: Settings,
    flow_name: str = "ingest",
    record_fetches: bool = True,
) -> RunSummary:
    """Match the batch against the whole history and commit it in one atomic step.
    Backfills pass ``flow_name="backfill"``: their fetches are not polls of the feed, so
    its poll state is left alone; an archive replay fetched nothing (``record_fetches``)."""
    now = datetime.now(UTC)
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    entries, takes_over = without_superseded(warehouse, entries)
    history = _history_for(warehouse, entries)
    plan, matcher = plan_stories(warehouse, entries, history, now, load_policy(), takes_over=takes_over)

    batch = CommitBatch(run_id=run_id, flow=flow_name, started_at=started_at)
    batch.fetch_rows = _fetch_rows(outcomes, run_id) if record_fetches else []
    fill_batch(batch, plan, matcher, now)
    add_wire_state(batch, plan, [o.drop for o in outcomes if o.drop])

    summary = RunSummary(run_id=run_id, feeds_polled=len(outcomes), entries_seen=len(entries))
    summary.new_appearances = plan.new_appearances
    summary.updated_appearances = plan.updated_appearances
    summary.new_stories = plan.new_stories
    summary.duplicates_merged = plan.merged
    summary.text_repaired = count_warnings(entries, TEXT_REPAIRED)
    summary.identity_collisions = count_warnings(entries, IDENTITY_COLLISION)
    new_by_feed: dict[str, int] = {}
    stories_by_feed: dict[str, int] = {}
    for write in plan.appearances:
        if write.is_new:
            new_by_feed[write.entry.feed_id] = new_by_feed.get(write.entry.feed_id, 0) + 1
    for write in plan.stories:
        if write.is_new:
            feed_id = write.representative.entry.feed_id
            stories_by_feed[feed_id] = stories_by_feed.get(feed_id, 0) + 1
    for outcome in outcomes:
        result = outcome.result
        feed_id = outcome.feed.id
        summary.not_modified += result.not_modified
        summary.unchanged += result.unchanged and not result.not_modified
        if flow_name == "ingest":
            batch.feed_state.append(
                next_feed_state(
                    outcome.feed,
                    states.get(feed_id),
                    result,
                    outcome.parse_error,
                    new_entries=new_by_feed.get(feed_id, 0),
                    entries_seen=len(outcome.document.entries) if outcome.document else None,
                    run_id=run_id,
                    now=now,
                    policy=settings.poll,
                    entry_dates=[e.published_at for e in outcome.entries if not e.published_guessed],
                    ttl_minutes=outcome.document.ttl_minutes if outcome.document else None,
                )
            )
        if not record_fetches:
            status = "replayed"
        elif result.error:
            status = result.error_kind or "error"
        elif result.not_modified:
            status = "304"
        elif result.unchanged:
            status = "unchanged"
        elif outcome.parse_error:
            status = "parse error"
        else:
            status = str(result.status)
        summary.feeds.append(
            FeedReport(
                feed_id=feed_id,
                url=result.url,
                status=status,
                entries=len(outcome.entries),
                new_appearances=new_by_feed.get(feed_id, 0),
                new_stories=stories_by_feed.get(feed_id, 0),
                error=outcome.error,
            )
        )
    batch.summary = summary.as_dict()
    warehouse.commit(batch)
    return summary


def _fetch_rows(outcomes: list[FeedOutcome], run_id: str) -> list[dict[str, Any]]:
    """One row per fetch; a backfill fetches several pages of one feed, numbered after the
    first so every fetch_id stays unique."""
    rows, seen = [], Counter()
    for outcome in outcomes:
        row = fetch_row(outcome.result, run_id, outcome.document)
        seen[row["fetch_id"]] += 1
        if seen[row["fetch_id"]] > 1:
            row["fetch_id"] += f":{seen[row['fetch_id']]}"
        rows.append(row)
    return rows


def _publish_artifact(summary: RunSummary, key: str = "ingest-summary") -> None:
    rows = [
        {
            "feed": report.feed_id,
            "status": report.status,
            "entries": report.entries,
            "new appearances": report.new_appearances,
            "new stories": report.new_stories,
            "error": report.error or "",
        }
        for report in summary.feeds
    ]
    create_table_artifact(
        key=key,
        table=rows,
        description=(
            f"Run {summary.run_id}: {summary.feeds_polled} feeds polled, "
            f"{summary.not_modified} not modified, "
            f"{summary.new_appearances} new appearances, {summary.new_stories} new stories, "
            f"{summary.duplicates_merged} duplicates merged, {len(summary.errors)} feeds with errors."
        ),
    )


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
    logger = get_run_logger()
    settings = load_settings(data_dir)
    feeds = select_feeds(load_catalog(catalog or DEFAULT_CATALOG, catalog_substitutions), feed_ids, tags)
    warehouse = Warehouse(settings.data_dir)
    run_id = _new_run_id()
    started_at = datetime.now(UTC)
    with writer_slot(warehouse, logger):
        states = warehouse.feed_states()
        due = [feed for feed in feeds if force or is_due(feed, states.get(feed.id), started_at)]
        logger.info("run %s: %d of %d feeds due", run_id, len(due), len(feeds))
        polled, drops = [f for f in due if not f.path], [f for f in due if f.path]
        step = settings.feeds_per_task
        batches = [polled[i : i + step] for i in range(0, len(polled), step)]
        # quote(): Prefect would otherwise walk every entry of these large arguments looking
        # for futures — measured at 19 s for 25,000 entries (benchmarks/ingest.py).
        futures = [fetch_parse_normalise.submit(quote(batch), quote(states), settings) for batch in batches]
        drop_future = (
            pick_up_drops.submit(quote(drops), quote(known_drop_files(warehouse, drops)), settings)
            if drops
            else None
        )
        outcomes = [outcome for future in futures for outcome in future.result()]
        outcomes += [
            FeedOutcome(p.feed, p.result, entries=p.entries, content_error=p.parse_error, drop=p)
            for p in (drop_future.result() if drop_future else [])
        ]
        outcomes = enrich_batch(quote(outcomes), warehouse, settings)
        summary = dedupe_and_load(quote(outcomes), quote(states), warehouse, run_id, started_at, settings)
    _publish_artifact(summary)
    publish_feed_health_artifact(settings.data_dir)
    return summary
