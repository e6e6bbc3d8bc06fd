"""One call from a batch and its slice of history to what the warehouse must write:
exact keys and appearance revisions (tasks/dedupe.py), the wire take-over rule
(tasks/wire_versions.py), then the order-free near-duplicate re-clustering of every
component the batch touches (tasks/recluster.py, tasks/partition.py).

The decisions are pure. The caller reads the exact-key history (``read_history``) and
passes the stored near-duplicate index as ``index`` (``tasks.recluster.ClusterIndex``,
the warehouse in production): which stored components the clustering needs depends on
how the batch's candidates verify, so the index is asked during planning, never written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from newswire.tasks import recluster
from newswire.tasks.cluster import DedupePolicy
from newswire.tasks.dedupe import History
from newswire.tasks.normalise import NormalisedEntry, without_shared_url_keys
from newswire.tasks.recluster import ClusterIndex, ClusterPlan, ProfileMemo
from newswire.tasks.records import entry_from_row


def plan(
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    *,
    index: ClusterIndex,
    policy: DedupePolicy,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
    profiles: ProfileMemo | None = None,
) -> ClusterPlan:
    """Assign every entry to an appearance and a story: the stories are those a rebuild
    of the components it touches would make, whatever order the items arrived in.
    ``profiles``: near-duplicate profiles computed beforehand (the CPU stage's)."""
    return recluster.plan_stories(index, entries, history, seen_at, policy, takes_over, profiles)


def plan_rebuild(
    index: ClusterIndex,
    rows: list[dict[str, Any]],
    stories: dict[str, tuple],
    seen_at: datetime,
    policy: DedupePolicy,
) -> ClusterPlan:
    """Re-cluster every stored appearance (``rows``: their current lake rows) with
    ``policy``; canonical URLs that name no item (shared within a feed, a site's root)
    are no story key here either."""
    entries = without_shared_url_keys([entry_from_row(row, index.enrichment_columns) for row in rows])
    return recluster.plan_rebuild(index, entries, rows, stories, seen_at, policy)
