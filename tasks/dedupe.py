"""Deciding, for a batch of normalised entries, what is new, what changed and which story
each belongs to — as a pure function of the batch and what history already knows.

Two levels (DESIGN.md, "appearances vs stories"):
- an *appearance* is one entry in one feed, identified within the feed by its entry id or
  canonical URL; seeing it again updates it (a new revision) or does nothing;
- a *story* is one piece of journalism, found by exact keys across all feeds: canonical
  URL, then a hash of the normalised title + text.
Near-duplicate matching plugs in as ``match_story`` for entries no exact key finds.

The warehouse looks the batch's keys up in one query and applies the resulting plan in one
transaction, so the decision logic here stays testable without a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from newswire.tasks.normalise import NormalisedEntry


@dataclass(frozen=True)
class KnownAppearance:
    appearance_id: str
    revision: int
    # NormalisedEntry.change_hash: the content hash, plus version and status for wire items.
    content_hash: str
    story_id: str
    first_seen_at: datetime


@dataclass(frozen=True)
class KnownStory:
    story_id: str
    revision: int
    representative_appearance_id: str
    first_seen_at: datetime


@dataclass
class History:
    """The slice of history a batch touches, looked up by the batch's own keys."""

    appearances_by_key: dict[tuple[str, str], KnownAppearance] = field(default_factory=dict)
    story_ids_by_key: dict[str, str] = field(default_factory=dict)
    stories: dict[str, KnownStory] = field(default_factory=dict)


@dataclass
class AppearanceWrite:
    entry: NormalisedEntry
    appearance_id: str
    revision: int
    story_id: str
    first_seen_at: datetime
    is_new: bool


@dataclass
class StoryWrite:
    story_id: str
    revision: int
    representative: AppearanceWrite
    first_seen_at: datetime
    is_new: bool


@dataclass
class DedupePlan:
    appearances: list[AppearanceWrite] = field(default_factory=list)
    stories: list[StoryWrite] = field(default_factory=list)
    appearance_keys: list[tuple[str, str, str]] = field(default_factory=list)
    story_keys: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    # New appearances that joined a story already known (from history or earlier in the batch).
    merged: int = 0

    @property
    def new_appearances(self) -> int:
        return sum(1 for a in self.appearances if a.is_new)

    @property
    def updated_appearances(self) -> int:
        return sum(1 for a in self.appearances if not a.is_new)

    @property
    def new_stories(self) -> int:
        return sum(1 for s in self.stories if s.is_new)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def appearance_id_for(entry: NormalisedEntry) -> str:
    return "a" + _digest(entry.feed_id, entry.entry_id)


def story_id_for(entry: NormalisedEntry, appearance_id: str) -> str:
    keys = entry.story_keys
    return "s" + _digest(keys[0] if keys else appearance_id)


def plan_batch(
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    match_story: Callable[[NormalisedEntry], str | None] | None = None,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> DedupePlan:
    """Assign every entry to an appearance and a story.

    Entries are taken oldest first so the earliest copy of a story becomes its
    representative. ``history`` is updated in place with what the plan adds, so a key seen
    twice in one batch resolves to the same appearance/story. ``takes_over(entry)`` says
    an entry must become its story's representative even though the story has one (a
    newer wire version of the story's guid, tasks/wire_versions.py).
    """
    plan = DedupePlan()
    claimed: set[str] = set()  # appearances an entry of this batch already is
    for entry in sorted(entries, key=lambda e: (e.published_at, e.feed_id, e.entry_id)):
        known = _find_appearance(entry, history, claimed)
        if known is not None:
            _revisit(entry, known, history, plan, seen_at, takes_over)
        else:
            _first_sighting(entry, history, plan, seen_at, match_story, takes_over)
        claimed.add(appearance_id_for(entry) if known is None else known.appearance_id)
    return plan


def _find_appearance(entry: NormalisedEntry, history: History, claimed: set[str]) -> KnownAppearance | None:
    """The appearance ``entry`` is, by its id, else by its URL. A URL is the same
    appearance under a new guid only when the content agrees and no other entry of this
    batch is that appearance already: distinct guids sharing a link stay distinct."""
    for key in entry.appearance_keys:
        found = history.appearances_by_key.get((entry.feed_id, key))
        if found is None:
            continue
        if (
            key.startswith("url:")
            and entry.guid
            and (found.content_hash != entry.change_hash or found.appearance_id in claimed)
        ):
            continue
        return found
    return None


def _remember_keys(
    entry: NormalisedEntry, appearance: KnownAppearance, history: History, plan: DedupePlan
) -> None:
    for key in entry.appearance_keys:
        if (entry.feed_id, key) not in history.appearances_by_key:
            plan.appearance_keys.append((entry.feed_id, key, appearance.appearance_id))
        history.appearances_by_key[(entry.feed_id, key)] = appearance


def _revisit(
    entry: NormalisedEntry,
    known: KnownAppearance,
    history: History,
    plan: DedupePlan,
    seen_at: datetime,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> None:
    if known.content_hash == entry.change_hash:
        plan.unchanged += 1
        _remember_keys(entry, known, history, plan)
        return
    updated = KnownAppearance(
        appearance_id=known.appearance_id,
        revision=known.revision + 1,
        content_hash=entry.change_hash,
        story_id=known.story_id,
        first_seen_at=known.first_seen_at,
    )
    _remember_keys(entry, updated, history, plan)
    write = AppearanceWrite(
        entry=entry,
        appearance_id=updated.appearance_id,
        revision=updated.revision,
        story_id=updated.story_id,
        first_seen_at=updated.first_seen_at,
        is_new=False,
    )
    plan.appearances.append(write)
    story = history.stories.get(known.story_id)
    if story is not None and (
        story.representative_appearance_id == known.appearance_id or (takes_over and takes_over(entry))
    ):
        _revise_story(story, write, history, plan)


def _revise_story(story: KnownStory, write: AppearanceWrite, history: History, plan: DedupePlan) -> None:
    """A new story revision whose representative is ``write``'s appearance."""
    revised = KnownStory(story.story_id, story.revision + 1, write.appearance_id, story.first_seen_at)
    history.stories[story.story_id] = revised
    plan.stories.append(
        StoryWrite(story.story_id, revised.revision, write, story.first_seen_at, is_new=False)
    )


def _first_sighting(
    entry: NormalisedEntry,
    history: History,
    plan: DedupePlan,
    seen_at: datetime,
    match_story: Callable[[NormalisedEntry], str | None] | None,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
) -> None:
    appearance_id = appearance_id_for(entry)
    story_id = next(
        (history.story_ids_by_key[k] for k in entry.story_keys if k in history.story_ids_by_key), None
    )
    if story_id is None and match_story is not None:
        story_id = match_story(entry)
    is_new_story = story_id is None
    if story_id is None:
        story_id = story_id_for(entry, appearance_id)
    known = KnownAppearance(appearance_id, 1, entry.change_hash, story_id, seen_at)
    _remember_keys(entry, known, history, plan)
    write = AppearanceWrite(entry, appearance_id, 1, story_id, seen_at, is_new=True)
    plan.appearances.append(write)
    for key in entry.story_keys:
        if key not in history.story_ids_by_key:
            history.story_ids_by_key[key] = story_id
            plan.story_keys.append((key, story_id))
    if is_new_story:
        history.stories[story_id] = KnownStory(story_id, 1, appearance_id, seen_at)
        plan.stories.append(StoryWrite(story_id, 1, write, seen_at, is_new=True))
    else:
        plan.merged += 1
        story = history.stories.get(story_id)
        if story is not None and takes_over and takes_over(entry):
            _revise_story(story, write, history, plan)
