"""Load: the batch's keys -> its slice of history -> one pure plan (tasks/story_plan.py) ->
lake rows and state -> one commit (warehouse/writer.py), idempotent by run id.

The decisions are pure; this module only moves data between them and the warehouse. The
dedupe rebuild (flows/rebuild.py) shares ``fill_clusters`` and the state helpers, and the
dedupe benchmark ``fill_batch`` and ``plan_stories``, with the ingest and backfill flows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newswire.flows.run import FeedOutcome, RunSummary, new_per_feed, summarise
from newswire.tasks import recluster, story_plan
from newswire.tasks.cluster import DedupePolicy
from newswire.tasks.dedupe import DedupePlan, History, KnownAppearance, KnownStory
from newswire.tasks.drop import DropPickup
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.recluster import ClusterPlan, ProfileMemo
from newswire.tasks.records import fetch_row
from newswire.tasks.schedule import next_feed_state
from newswire.tasks.settings import Settings
from newswire.tasks.wire_versions import drop_superseded, loaded_versions, newer_version_rule
from newswire.warehouse.records import (
    AppearanceKey,
    AppearanceState,
    BandRows,
    StoredHistory,
    StoryKey,
    StoryState,
)
from newswire.warehouse.writer import CommitBatch, Warehouse

# -- history -----------------------------------------------------------------------------


def known_history(stored: StoredHistory) -> History:
    """The dedupe stage's view (tasks/dedupe.py) of what the warehouse found."""
    return History(
        appearances_by_key={
            key: KnownAppearance(**found._asdict()) for key, found in stored.appearances_by_key.items()
        },
        story_ids_by_key=dict(stored.story_ids_by_key),
        stories={story_id: KnownStory(story_id, *state) for story_id, state in stored.stories.items()},
    )


def batch_keys(entries: list[NormalisedEntry]) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The appearance keys, story keys and wire guids a batch asks of the history."""
    appearance_keys = sorted({(e.feed_id, key) for e in entries for key in e.appearance_keys})
    story_keys = sorted({key for e in entries for key in e.story_keys})
    return appearance_keys, story_keys, [e.guid for e in entries if e.guid]


def read_batch_history(
    warehouse: Warehouse, entries: list[NormalisedEntry]
) -> tuple[list[NormalisedEntry], History, Callable[[NormalisedEntry], bool]]:
    """One history read for the batch: exact keys and wire versions. Returns the batch
    minus wire versions older than one already loaded (logged), the history, and the
    dedupe ``takes_over`` rule for newer versions."""
    stored = warehouse.read_history(*batch_keys(entries))
    current, superseded = drop_superseded(entries, stored.wire_versions)
    for entry in superseded:
        get_run_logger().info(
            "feed %s: %s version %s skipped, version %s is already loaded",
            entry.feed_id,
            entry.guid,
            entry.enrichment.get("wire_version"),
            stored.wire_versions[entry.guid],
        )
    return current, known_history(stored), newer_version_rule(current, stored.wire_versions)


def plan_stories(
    warehouse: Warehouse,
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    policy: DedupePolicy,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
    profiles: ProfileMemo | None = None,
) -> tuple[DedupePlan, ClusterPlan]:
    """The plan for a caller that holds its own exact-key history (the dedupe benchmark),
    with the warehouse as the near-duplicate index."""
    clustered = story_plan.plan(
        entries, history, seen_at, index=warehouse, policy=policy, takes_over=takes_over, profiles=profiles
    )
    return clustered.plan, clustered


# -- rows --------------------------------------------------------------------------------


def fill_clusters(batch: CommitBatch, clustered: ClusterPlan, now: datetime) -> None:
    """The lake rows a re-clustering writes (new and moved appearances, new, re-represented
    and merged stories) and its changes to the near-duplicate index."""
    batch.appearance_rows, batch.story_rows = recluster.lake_rows(clustered, batch.run_id, now)
    batch.cluster_members = clustered.members
    batch.cluster_bands = BandRows(clustered.band_keys, clustered.band_owners, clustered.band_appearances)


def merged_story_state(clustered: ClusterPlan) -> dict[str, StoryState]:
    """story_state of the stories a re-clustering merged into another."""
    return {sid: StoryState(*state) for sid, state in recluster.merged_state(clustered).items()}


def moved_appearance_state(clustered: ClusterPlan) -> dict[str, AppearanceState]:
    """appearance_state of stored appearances a re-clustering moved to another story."""
    return {aid: AppearanceState(*state) for aid, state in clustered.moved_state.items()}


def fill_batch(batch: CommitBatch, plan: DedupePlan, clustered: ClusterPlan, now: datetime) -> None:
    """Put into ``batch`` exactly what ``plan`` changes: lake rows, keys, state and the
    near-duplicate index (the flows add fetches and feed state around it)."""
    fill_clusters(batch, clustered, now)
    batch.appearance_keys = [AppearanceKey(*key) for key in plan.appearance_keys]
    batch.appearance_state = {
        w.appearance_id: AppearanceState(w.revision, w.entry.change_hash, w.story_id, w.first_seen_at)
        for w in plan.appearances
    } | moved_appearance_state(clustered)
    batch.story_keys = [StoryKey(*key) for key in plan.story_keys]
    batch.story_state = merged_story_state(clustered) | {
        w.story_id: StoryState(w.revision, w.representative.appearance_id, w.first_seen_at)
        for w in plan.stories
    }
    batch.story_redirects = clustered.merged


def add_wire_state(batch: CommitBatch, plan: DedupePlan, pickups: Iterable[DropPickup]) -> None:
    """Per-file fetch rows and drop-file state of the pickups, and the versions loaded."""
    pickups = list(pickups)
    batch.fetch_rows += [row for pickup in pickups for row in pickup.fetch_rows(batch.run_id)]
    batch.drop_files = [row for pickup in pickups for row in pickup.state_rows(batch.run_id)]
    batch.wire_versions = loaded_versions(w.entry for w in plan.appearances)


def fetch_rows(outcomes: list[FeedOutcome], run_id: str) -> list[dict[str, Any]]:
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


def feed_state_rows(
    outcomes: list[FeedOutcome],
    states: dict[str, dict[str, Any]],
    plan: DedupePlan,
    run_id: str,
    now: datetime,
    settings: Settings,
) -> list[dict[str, Any]]:
    """Each polled feed's next state (tasks/schedule.py): validators, health, next poll."""
    new_by_feed, _ = new_per_feed(plan)
    return [
        next_feed_state(
            outcome.feed,
            states.get(outcome.feed.id),
            outcome.result,
            outcome.parse_error,
            new_entries=new_by_feed.get(outcome.feed.id, 0),
            entries_seen=len(outcome.document.entries) if outcome.document else None,
            run_id=run_id,
            now=now,
            policy=settings.poll,
            entry_dates=[e.published_at for e in outcome.entries if not e.published_guessed],
            ttl_minutes=outcome.document.ttl_minutes if outcome.document else None,
        )
        for outcome in outcomes
    ]


# -- the step ----------------------------------------------------------------------------


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
    profiles: ProfileMemo | None = None,
) -> RunSummary:
    """Match the batch against the whole history and commit it in one atomic step.
    Backfills pass ``flow_name="backfill"``: their fetches are not polls of the feed, so
    its poll state is left alone; an archive replay fetched nothing (``record_fetches``).
    ``profiles``: the entries' near-duplicate profiles the CPU stage made."""
    now = datetime.now(UTC)
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    entries, history, takes_over = read_batch_history(warehouse, entries)
    policy = settings.desk.dedupe()
    plan, clustered = plan_stories(warehouse, entries, history, now, policy, takes_over, profiles)

    batch = CommitBatch(run_id=run_id, flow=flow_name, started_at=started_at)
    batch.fetch_rows = fetch_rows(outcomes, run_id) if record_fetches else []
    fill_batch(batch, plan, clustered, now)
    add_wire_state(batch, plan, (o.drop for o in outcomes if o.drop))
    batch.article_pages = [page for outcome in outcomes for page in outcome.article_pages]
    if flow_name == "ingest":
        batch.feed_state = feed_state_rows(outcomes, states, plan, run_id, now, settings)
    summary = summarise(run_id, outcomes, len(entries), plan, replayed=not record_fetches)
    batch.summary = summary.as_dict()
    warehouse.commit(batch)
    return summary
