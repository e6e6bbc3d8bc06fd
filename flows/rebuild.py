"""Re-cluster the whole history with the current dedupe policy (``newswire dedupe
--rebuild``), after a threshold change.

A maintenance job run in the CLI's process under the writer lock (no Prefect run: it is one
pure plan over every appearance and one commit). The decisions are pure
(tasks/story_plan.py); this module moves data between them and the warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.run import new_run_id
from flows.steps.load import attach_story_index
from tasks import story_plan
from tasks.cluster import DedupePolicy, StoryMatcher
from tasks.dedupe import AppearanceWrite, DedupePlan, History, StoryWrite
from tasks.normalise import NormalisedEntry, without_shared_url_keys
from tasks.records import appearance_row, story_row
from tasks.settings import load_settings
from warehouse.queries import current_appearances, current_stories
from warehouse.records import AppearanceState, StoryState
from warehouse.schema import ENRICHMENT_COLUMNS
from warehouse.writer import CommitBatch, Warehouse

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


def rebuild_clusters(
    data_dir: Path, policy: DedupePolicy | None = None, run_id: str | None = None
) -> RebuildReport:
    """Re-cluster every appearance in the lake with the current policy and rewrite what
    changed: appearances that move get a new revision with their new story_id, stories
    whose representative or membership changed get a new revision, and the exact-key and
    LSH state is replaced in the same commit. Running it twice writes nothing the second
    time.

    Holds the whole history's profiles in memory (~1 KB per appearance): a maintenance
    job, not the per-run path."""
    policy = policy or load_settings(data_dir).desk.dedupe()
    warehouse = Warehouse(data_dir)
    now = datetime.now(UTC)
    run_id = run_id or new_run_id("rebuild")
    report = RebuildReport(run_id=run_id)
    with warehouse.writer():
        rows = current_appearances(warehouse.data_dir)
        old_stories = current_stories(warehouse.data_dir)
        matcher = StoryMatcher(policy)
        plan = story_plan.plan(
            without_shared_url_keys([_entry_from_row(row) for row in rows]), History(), now, matcher
        )
        report.appearances = len(plan.appearances)
        batch = CommitBatch(run_id=run_id, flow="dedupe-rebuild", started_at=now, reset_clustering=True)
        old = {row["appearance_id"]: row for row in rows}
        members = _carry_appearances(batch, plan.appearances, old, report, now)
        final = {write.story_id: write for write in plan.stories}
        written = _carry_stories(batch, final, members, old, old_stories)
        report.stories = len(final)
        report.stories_written = len(written)
        report.stories_retired = len(set(old_stories) - set(final))
        batch.story_rows = [story_row(w, run_id, now) for w in written]
        batch.story_keys = plan.story_keys
        attach_story_index(batch, DedupePlan(stories=list(final.values())), matcher)
        batch.summary = report.as_dict()
        warehouse.commit(batch)
    log.info("dedupe rebuild %s: %s", run_id, report.as_dict())
    return report


def _carry_appearances(
    batch: CommitBatch,
    writes: list[AppearanceWrite],
    old: dict[str, dict[str, Any]],
    report: RebuildReport,
    now: datetime,
) -> dict[str, list[str]]:
    """Appearances keep their first sighting and revision; those that moved story get a new
    revision and row. Returns each story's member appearance ids."""
    members: dict[str, list[str]] = {}
    for write in writes:
        previous = old[write.appearance_id]
        write.first_seen_at = previous["first_seen_at"]
        write.revision = previous["revision"]
        members.setdefault(write.story_id, []).append(write.appearance_id)
        if write.story_id != previous["story_id"]:
            write.revision += 1
            report.reassigned_appearances += 1
            batch.appearance_rows.append(appearance_row(write, batch.run_id, now))
        batch.appearance_state[write.appearance_id] = AppearanceState(
            write.revision, write.entry.change_hash, write.story_id, write.first_seen_at
        )
    return members


def _carry_stories(
    batch: CommitBatch,
    final: dict[str, StoryWrite],
    members: dict[str, list[str]],
    old: dict[str, dict[str, Any]],
    old_stories: dict[str, StoryState],
) -> list[StoryWrite]:
    """Stories whose representative or membership changed get a new revision (returned,
    to be written); the rest keep theirs."""
    written = []
    for story_id, write in final.items():
        write.first_seen_at = min(old[a]["first_seen_at"] for a in members[story_id])
        previous = old_stories.get(story_id)
        moved = any(old[a]["story_id"] != story_id for a in members[story_id])
        representative = write.representative.appearance_id
        if previous is None or previous.representative_appearance_id != representative or moved:
            write.revision = (previous.revision if previous else 0) + 1
            written.append(write)
        else:
            write.revision = previous.revision
        batch.story_state[story_id] = StoryState(
            write.revision, write.representative.appearance_id, write.first_seen_at
        )
    return written
