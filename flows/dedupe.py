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

from tasks import minhash
from tasks.cluster import (
    DedupePolicy,
    StoryMatcher,
    apply_promotions,
    load_policy,
    profile_from_row,
    profile_row,
)
from tasks.dedupe import DedupePlan, History, KnownStory, plan_batch
from tasks.normalise import NormalisedEntry, without_shared_url_keys
from tasks.records import appearance_row, story_row
from warehouse.schema import ENRICHMENT_COLUMNS
from warehouse.views import open_reader
from warehouse.writer import CommitBatch, Warehouse

log = logging.getLogger("newswire.dedupe")


def _needs_matching(entry: NormalisedEntry, history: History) -> bool:
    known_appearance = any(
        (entry.feed_id, key) in history.appearances_by_key for key in entry.appearance_keys
    )
    known_story = any(key in history.story_ids_by_key for key in entry.story_keys)
    return not known_appearance and not known_story


def plan_stories(
    warehouse: Warehouse,
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    policy: DedupePolicy,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> tuple[DedupePlan, StoryMatcher]:
    """``plan_batch`` with near-duplicate matching against the whole history: the LSH keys
    of every entry no exact key explains are looked up in one query."""
    matcher = StoryMatcher(policy)
    keys = sorted(
        {
            key
            for entry in entries
            if _needs_matching(entry, history)
            for key in matcher.keys(matcher.profile(entry))
        }
    )
    if keys:
        hits, profiles, states = warehouse.story_candidates(keys)
        matcher.add_history(hits, {sid: profile_from_row(row) for sid, row in profiles.items()})
        for story_id, state in states.items():
            history.stories.setdefault(story_id, KnownStory(story_id, *state))
    plan = plan_batch(entries, history, seen_at, match_story=matcher, takes_over=takes_over)
    apply_promotions(plan, history, matcher)
    return plan, matcher


def attach_story_index(batch: CommitBatch, plan: DedupePlan, matcher: StoryMatcher) -> None:
    """Each written story's profile is its (latest) representative's: store it, its band
    keys, and its signature in the story row."""
    signatures: dict[str, bytes] = {}
    for write in plan.stories:
        profile = matcher.profile(write.representative.entry)
        batch.story_profiles[write.story_id] = profile_row(profile)
        signatures[write.representative.appearance_id] = minhash.to_bytes(profile.signature)
    for write in plan.stories:
        profile = matcher.profile(write.representative.entry)
        batch.story_bands += [(key, write.story_id) for key in matcher.keys(profile)]
    for row in batch.story_rows:
        row["signature"] = signatures[row["representative_appearance_id"]]


def fill_batch(batch: CommitBatch, plan: DedupePlan, matcher: StoryMatcher, now: datetime) -> None:
    """Put into ``batch`` exactly what ``plan`` changes: lake rows, keys, state and the
    near-duplicate index (the ingest flow adds fetches and feed state around it)."""
    batch.appearance_rows = [appearance_row(w, batch.run_id, now) for w in plan.appearances]
    batch.story_rows = [story_row(w, batch.run_id, now) for w in plan.stories]
    batch.appearance_keys = plan.appearance_keys
    batch.appearance_state = {
        w.appearance_id: (w.revision, w.entry.change_hash, w.story_id, w.first_seen_at)
        for w in plan.appearances
    }
    batch.story_keys = plan.story_keys
    batch.story_state = {
        w.story_id: (w.revision, w.representative.appearance_id, w.first_seen_at) for w in plan.stories
    }
    attach_story_index(batch, plan, matcher)


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


def _entry_from_row(row: dict[str, Any]) -> NormalisedEntry:
    text = row["body"] or row["summary"] or ""
    title = row["title"] or ""
    return NormalisedEntry(
        feed_id=row["feed_id"],
        outlet_id=row["outlet_id"] or row["feed_id"],
        entry_id=row["entry_id"],
        guid=row["guid"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=title,
        summary=row["summary"] or "",
        body=row["body"] or "",
        published_at=row["published_at"],
        date_issue=row["date_issue"],
        updated_at=row["updated_at"],
        language=row["language"],
        authors=list(row["authors"] or []),
        categories=list(row["categories"] or []),
        content_hash=row["content_hash"],
        word_count=len(title.split()) + len(text.split()),
        raw_sha256=row["raw_sha256"],
        enrichment={c: row[c] for c in ENRICHMENT_COLUMNS if row.get(c) is not None},
        warnings=list(row.get("entry_warnings") or []),
    )


def _read_current(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, tuple[int, str]]]:
    con = open_reader(data_dir)
    try:
        cursor = con.execute("SELECT * FROM appearances ORDER BY published_at, feed_id, entry_id")
        columns = [d[0] for d in cursor.description]
        appearances = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        stories = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                "SELECT story_id, revision, representative_appearance_id FROM stories_all"
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
        entries = without_shared_url_keys([_entry_from_row(row) for row in rows])
        old = {row["appearance_id"]: row for row in rows}
        matcher = StoryMatcher(policy)
        history = History()
        plan = plan_batch(entries, history, now, match_story=matcher)
        apply_promotions(plan, history, matcher)
        report.appearances = len(plan.appearances)

        batch = CommitBatch(run_id=run_id, flow="dedupe-rebuild", started_at=now, reset_clustering=True)
        members: dict[str, list[str]] = {}
        for write in plan.appearances:
            previous = old[write.appearance_id]
            write.first_seen_at = previous["first_seen_at"]
            write.revision = previous["revision"]
            members.setdefault(write.story_id, []).append(write.appearance_id)
            if write.story_id != previous["story_id"]:
                write.revision += 1
                report.reassigned_appearances += 1
                batch.appearance_rows.append(appearance_row(write, run_id, now))
            batch.appearance_state[write.appearance_id] = (
                write.revision,
                write.entry.change_hash,
                write.story_id,
                write.first_seen_at,
            )
        final: dict[str, Any] = {}
        for write in plan.stories:
            final[write.story_id] = write
        report.stories = len(final)
        written = []
        for story_id, write in final.items():
            write.first_seen_at = min(old[a]["first_seen_at"] for a in members[story_id])
            previous = old_stories.get(story_id)
            moved = any(old[a]["story_id"] != story_id for a in members[story_id])
            if previous is None or previous[1] != write.representative.appearance_id or moved:
                write.revision = (previous[0] if previous else 0) + 1
                written.append(write)
            else:
                write.revision = previous[0]
            batch.story_state[story_id] = (
                write.revision,
                write.representative.appearance_id,
                write.first_seen_at,
            )
        report.stories_written = len(written)
        report.stories_retired = len(set(old_stories) - set(final))
        batch.story_rows = [story_row(w, run_id, now) for w in written]
        batch.story_keys = plan.story_keys
        final_plan = DedupePlan(stories=list(final.values()))
        attach_story_index(batch, final_plan, matcher)
        batch.summary = report.as_dict()
        warehouse.commit(batch)
    log.info("dedupe rebuild %s: %s", run_id, report.as_dict())
    return report
