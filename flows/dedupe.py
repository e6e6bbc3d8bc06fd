"""Near-duplicate clustering wired to the warehouse: plan a batch against the persisted
index, and re-cluster the whole history (``newswire dedupe --rebuild``).

The decisions are pure (tasks/cluster.py, tasks/dedupe.py); this module only moves data
between them and the warehouse, so the ingest flow and the maintenance command share it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks import recluster
from tasks.cluster import DedupePolicy, load_policy
from tasks.dedupe import DedupePlan, History
from tasks.normalise import NormalisedEntry
from tasks.recluster import ClusterPlan
from warehouse.views import open_reader
from warehouse.writer import CommitBatch, Warehouse

log = logging.getLogger("newswire.dedupe")


def plan_stories(
    warehouse: Warehouse,
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    policy: DedupePolicy,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> tuple[DedupePlan, ClusterPlan]:
    """The batch's plan against the whole history (``tasks.recluster.plan_stories``, with
    the warehouse as the index)."""
    clustered = recluster.plan_stories(warehouse, entries, history, seen_at, policy, takes_over)
    return clustered.plan, clustered


def fill_batch(batch: CommitBatch, plan: DedupePlan, clustered: ClusterPlan, now: datetime) -> None:
    """Put into ``batch`` exactly what ``plan`` changes: lake rows, keys, state and the
    near-duplicate index (the ingest flow adds fetches and feed state around it)."""
    batch.appearance_rows, batch.story_rows = recluster.lake_rows(clustered, batch.run_id, now)
    batch.appearance_keys = plan.appearance_keys
    batch.appearance_state = {
        w.appearance_id: (w.revision, w.entry.change_hash, w.story_id, w.first_seen_at)
        for w in plan.appearances
    } | clustered.moved_state
    batch.story_keys = plan.story_keys
    batch.story_state = recluster.merged_state(clustered) | {
        w.story_id: (w.revision, w.representative.appearance_id, w.first_seen_at) for w in plan.stories
    }
    batch.cluster_members = clustered.members
    batch.cluster_bands = clustered.bands
    batch.story_redirects = clustered.merged


# -- rebuild --------------------------------------------------------------------------


@dataclass
class RebuildReport:
    run_id: str
    appearances: int = 0
    stories: int = 0
    reassigned_appearances: int = 0
    stories_written: int = 0
    stories_retired: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _read_current(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, tuple]]:
    con = open_reader(data_dir)
    try:
        cursor = con.execute("SELECT * FROM appearances ORDER BY published_at, feed_id, entry_id")
        columns = [d[0] for d in cursor.description]
        appearances = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        stories = {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute(
                "SELECT story_id, revision, representative_appearance_id, first_seen_at FROM stories_all "
                "WHERE merged_into IS NULL"
            ).fetchall()
        }
    finally:
        con.close()
    return appearances, stories


def rebuild_clusters(
    data_dir: Path, policy: DedupePolicy | None = None, run_id: str | None = None
) -> RebuildReport:
    """Re-cluster every appearance in the lake with the current policy (after a threshold
    change) and rewrite what changed: appearances that move get a new revision with their
    new story_id, stories whose representative or membership changed get a new revision,
    and the exact-key and LSH state is replaced in the same commit. Running it twice
    writes nothing the second time.

    Holds the whole history's profiles in memory (~1 KB per appearance): a maintenance
    job, not the per-run path."""
    policy = policy or load_policy()
    warehouse = Warehouse(data_dir)
    now = datetime.now(UTC)
    run_id = run_id or f"{now:%Y%m%dT%H%M%S}-rebuild-{uuid.uuid4().hex[:6]}"
    report = RebuildReport(run_id=run_id)
    with warehouse.writer():
        rows, old_stories = _read_current(warehouse.data_dir)
        clustered = recluster.plan_rebuild(warehouse, rows, old_stories, now, policy)
        batch = CommitBatch(run_id=run_id, flow="dedupe-rebuild", started_at=now, reset_clustering=True)
        batch.appearance_rows, batch.story_rows = recluster.lake_rows(clustered, run_id, now)
        batch.appearance_state = clustered.moved_state
        batch.story_state = recluster.merged_state(clustered) | clustered.story_state
        batch.story_keys = recluster.exact_keys(clustered)
        batch.cluster_members = clustered.members
        batch.cluster_bands = clustered.bands
        report.appearances = len(rows)
        report.stories = len(clustered.story_state)
        report.reassigned_appearances = len(clustered.moved_state)
        report.stories_written = len(clustered.plan.stories)
        report.stories_retired = len(set(old_stories) - set(clustered.story_state))
        batch.summary = report.as_dict()
        warehouse.commit(batch)
    log.info("dedupe rebuild %s: %s", run_id, report.as_dict())
    return report
