"""Re-cluster the whole history with the current dedupe policy (``newswire dedupe
--rebuild``), after a threshold change.

A maintenance job run in the CLI's process under the writer lock (no Prefect run: it is one
plan over every appearance and one commit). The decisions are pure
(tasks/story_plan.py, tasks/recluster.py); this module moves data between them and the
warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.flows.run import new_run_id
from newswire.flows.steps.load import fill_clusters, merged_story_state, moved_appearance_state
from newswire.tasks import recluster, story_plan
from newswire.tasks.cluster import DedupePolicy
from newswire.tasks.settings import load_settings
from newswire.warehouse.queries import current_appearances, current_stories
from newswire.warehouse.records import StoryKey, StoryState
from newswire.warehouse.writer import CommitBatch, Warehouse

log = logging.getLogger("newswire.dedupe")


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


def rebuild_clusters(
    data_dir: Path, policy: DedupePolicy | None = None, run_id: str | None = None
) -> RebuildReport:
    """Re-cluster every appearance in the lake with the current policy and rewrite what
    changed: appearances that move get a new revision with their new story_id, stories
    whose representative or membership changed get a new revision (stories found to be one
    are merged into the older), and the exact-key and LSH state is replaced in the same
    commit. Running it twice writes nothing the second time.

    Holds the whole history's profiles in memory (~1 KB per appearance): a maintenance
    job, not the per-run path."""
    policy = policy or load_settings(data_dir).desk.dedupe()
    warehouse = Warehouse(data_dir)
    now = datetime.now(UTC)
    run_id = run_id or new_run_id("rebuild")
    with warehouse.writer():
        rows = current_appearances(warehouse.data_dir)
        old_stories = current_stories(warehouse.data_dir)
        clustered = story_plan.plan_rebuild(warehouse, rows, old_stories, now, policy)
        batch = CommitBatch(run_id=run_id, flow="dedupe-rebuild", started_at=now, reset_clustering=True)
        fill_clusters(batch, clustered, now)
        batch.appearance_state = moved_appearance_state(clustered)
        batch.story_state = merged_story_state(clustered) | {
            sid: StoryState(*state) for sid, state in clustered.story_state.items()
        }
        batch.story_keys = [StoryKey(*key) for key in recluster.exact_keys(clustered)]
        report = RebuildReport(
            run_id=run_id,
            appearances=len(rows),
            stories=len(clustered.story_state),
            reassigned_appearances=len(clustered.moved_state),
            stories_written=len(clustered.plan.stories),
            stories_retired=len(set(old_stories) - set(clustered.story_state)),
        )
        batch.summary = report.as_dict()
        warehouse.commit(batch)
    log.info("dedupe rebuild %s: %s", run_id, report.as_dict())
    return report
