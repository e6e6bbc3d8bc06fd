"""One pure call from a batch and its slice of history to what the warehouse must write:
exact keys (tasks/dedupe.py), near-duplicate matching and promotions (tasks/cluster.py),
and the wire take-over rule (tasks/wire_versions.py), composed in the order they apply.

No I/O: the caller reads the history (exact-key hits and near-duplicate candidates, already
added to ``matcher``) and commits the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tasks.cluster import StoryMatcher, apply_promotions
from tasks.dedupe import DedupePlan, History, plan_batch
from tasks.normalise import NormalisedEntry


def needs_matching(entry: NormalisedEntry, history: History) -> bool:
    """No exact key of the history explains the entry: near-duplicate matching decides."""
    known_appearance = any(
        (entry.feed_id, key) in history.appearances_by_key for key in entry.appearance_keys
    )
    known_story = any(key in history.story_ids_by_key for key in entry.story_keys)
    return not known_appearance and not known_story


def candidate_keys(entries: list[NormalisedEntry], history: History, matcher: StoryMatcher) -> list[int]:
    """The LSH keys to look up: those of every entry no exact key explains."""
    return sorted(
        {
            key
            for entry in entries
            if needs_matching(entry, history)
            for key in matcher.keys(matcher.profile(entry))
        }
    )


def plan(
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    matcher: StoryMatcher,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> DedupePlan:
    """Assign every entry to an appearance and a story (``plan_batch`` with ``matcher`` as
    its near-duplicate hook), then let wire originals take over their stories."""
    story_plan = plan_batch(entries, history, seen_at, match_story=matcher, takes_over=takes_over)
    apply_promotions(story_plan, history, matcher)
    return story_plan
