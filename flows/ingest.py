"""The ingest flow: one poll of the feeds that are due, end to end.

The flow body reads as DESIGN.md's data flow: select due feeds -> fetch and land raw ->
parse -> normalise -> dedupe -> load -> report. Prefect tasks wrap *batches* of feeds,
never single stories: each task run costs the Prefect server several event writes, and a
few hundred of them stall its SQLite store (STACK-NOTES.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.enrich_stage import enrich_batch
from tasks.catalog import DEFAULT_CATALOG, Feed, load_catalog, select_feeds
from tasks.dedupe import History, KnownAppearance, KnownStory, plan_batch
from tasks.fetch import FetchRequest, FetchResult, fetch_feeds
from tasks.normalise import NormalisedEntry, normalise_document
from tasks.parse import ParsedDocument, parse_document
from tasks.records import appearance_row, fetch_row, story_row
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
    # A feed whose unchanged bytes failed to parse last time is still broken: the error is
    # carried so health and the summary keep saying so.
    carried_parse_error: str | None = None

    @property
    def parse_error(self) -> str | None:
        return self.document.error if self.document else self.carried_parse_error

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
            "errors": {report.feed_id: report.error for report in self.errors},
        }


def _new_run_id() -> str:
    prefect_id = flow_run.get_id()
    suffix = (prefect_id or uuid.uuid4().hex)[:8]
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{suffix}"


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
            outcome.carried_parse_error = states[feed.id]["last_error"]
        elif result.body is not None and not result.unchanged:
            outcome.document = parse_document(
                result.body,
                result.headers,
                result.final_url or result.url,
                settings.fetch.max_body_bytes,
                forced_format=feed.format,
            )
            if outcome.document.error:
                logger.warning(
                    "feed %s (%s): %s; the raw payload is kept (sha256 %s) for replay",
                    feed.id,
                    result.url,
                    outcome.document.error,
                    result.body_sha256,
                )
            else:
                outcome.entries = normalise_document(
                    outcome.document,
                    feed,
                    result.fetched_at,
                    result.final_url or result.url,
                    settings.normalise,
                    raw_sha256=result.body_sha256,
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
) -> RunSummary:
    """Match the batch against the whole history and commit it in one atomic step."""
    now = datetime.now(UTC)
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    plan = plan_batch(entries, _history_for(warehouse, entries), seen_at=now)

    batch = CommitBatch(run_id=run_id, flow="ingest", started_at=started_at)
    batch.appearance_rows = [appearance_row(w, run_id, now) for w in plan.appearances]
    batch.story_rows = [story_row(w, run_id, now) for w in plan.stories]
    batch.fetch_rows = [fetch_row(o.result, run_id, o.document) for o in outcomes]
    batch.appearance_keys = plan.appearance_keys
    batch.appearance_state = {
        w.appearance_id: (w.revision, w.entry.content_hash, w.story_id, w.first_seen_at)
        for w in plan.appearances
    }
    batch.story_keys = plan.story_keys
    batch.story_state = {
        w.story_id: (w.revision, w.representative.appearance_id, w.first_seen_at) for w in plan.stories
    }

    summary = RunSummary(run_id=run_id, feeds_polled=len(outcomes), entries_seen=len(entries))
    summary.new_appearances = plan.new_appearances
    summary.updated_appearances = plan.updated_appearances
    summary.new_stories = plan.new_stories
    summary.duplicates_merged = plan.merged
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
            )
        )
        if result.error:
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


def _publish_artifact(summary: RunSummary) -> None:
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
        key="ingest-summary",
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
    with warehouse.writer(on_wait=logger.warning):
        states = warehouse.feed_states()
        due = [feed for feed in feeds if force or is_due(feed, states.get(feed.id), started_at)]
        logger.info("run %s: %d of %d feeds due", run_id, len(due), len(feeds))
        batches = [due[i : i + settings.feeds_per_task] for i in range(0, len(due), settings.feeds_per_task)]
        futures = [fetch_parse_normalise.submit(batch, states, settings) for batch in batches]
        outcomes = [outcome for future in futures for outcome in future.result()]
        outcomes = enrich_batch(outcomes, warehouse, settings)
        summary = dedupe_and_load(outcomes, states, warehouse, run_id, started_at, settings)
    _publish_artifact(summary)
    return summary
