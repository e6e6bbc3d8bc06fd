"""A batch's stories, re-clustered over the components it touches (tasks/partition.py),
against a stored index the caller provides — the warehouse in production.

``plan_stories`` is what ingest calls: exact keys and appearance revisions first
(``tasks.dedupe.plan_batch``), then near-duplicate clustering of every component the
batch's appearances verify into. The result says, as data, which appearances move, which
stories are new, which get a new representative, and which are merged into which — the
warehouse writes it in the run's one commit (``fill_batch``). ``plan_rebuild`` is the same
clustering over the whole history.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from newswire.tasks import minhash
from newswire.tasks.cluster import (
    DedupePolicy,
    Profile,
    better_representative,
    entry_profile,
    profile_from_row,
    profile_key,
)
from newswire.tasks.dedupe import (
    AppearanceWrite,
    DedupePlan,
    History,
    StoryWrite,
    plan_batch,
    story_id_for,
)
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.partition import (
    Member,
    StoryGroup,
    assign_story_ids,
    fill_keys,
    group_components,
    keys_of,
    partition,
    verified,
)
from newswire.tasks.records import appearance_row, entry_from_row, story_row
from newswire.tasks.shingles import update_level

# The columns of a stored member, in the order the index keeps them
# (warehouse/story_index.py MEMBER_COLUMNS).
PROFILE_FIELDS = (
    "signature",
    "shingle_count",
    "title",
    "numbers",
    "sentences",
    "wire_agency",
    "wire_original",
)


class ClusterIndex(Protocol):
    """What planning needs from storage (``warehouse.writer.Warehouse`` implements it)."""

    def cluster_candidates(self, keys: list[int]) -> list[dict[str, Any]]: ...

    def cluster_members(self, components: list[int], story_ids: list[str]) -> list[dict[str, Any]]: ...

    def current_rows(self, table: str, ids: list[str]) -> list[dict[str, Any]]: ...

    # Lake columns that hold enrichment (warehouse/schema.py ENRICHMENT_COLUMNS).
    enrichment_columns: tuple[str, ...]


def member_of_row(row: dict[str, Any]) -> Member:
    return Member(
        appearance_id=row["appearance_id"],
        profile=profile_from_row(tuple(row[f] for f in PROFILE_FIELDS)),
        published_at=row["published_at"],
        feed_id=row["feed_id"],
        entry_id=row["entry_id"],
        exact_keys=frozenset(row["exact_keys"] or ()),
        story_id=row["story_id"],
        fresh_story_id=row["fresh_story_id"],
        update_level=row["update_level"],
        component=row["component"],
    )


def member_row(member: Member) -> dict[str, Any]:
    """A member as the index stores it."""
    p = member.profile
    return {
        "appearance_id": member.appearance_id,
        "component": member.component,
        "story_id": member.story_id,
        "fresh_story_id": member.fresh_story_id,
        "feed_id": member.feed_id,
        "entry_id": member.entry_id,
        "published_at": member.published_at,
        "update_level": member.update_level,
        "exact_keys": sorted(member.exact_keys),
        "signature": minhash.to_bytes(p.signature),
        "shingle_count": p.shingle_count,
        "title": p.title,
        "numbers": sorted(p.numbers),
        "sentences": sorted(p.sentences),
        "wire_agency": p.wire_agency,
        "wire_original": p.wire_original,
    }


class ProfileMemo:
    """``entry_profile`` once per distinct text: syndicated copies carry the same title and
    body, and a profile depends on nothing else but the agency and whether the outlet is
    that agency (``profile_key``)."""

    def __init__(self) -> None:
        self._found: dict[tuple, Profile] = {}

    def __call__(self, entry: NormalisedEntry) -> Profile:
        key = profile_key(entry)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = entry_profile(entry)
        return found

    def remember(self, entry: NormalisedEntry, profile: Profile) -> None:
        """``profile`` is ``entry``'s, computed elsewhere (a CPU worker, as the entry was
        then): kept under the entry's current key, so an entry changed since (its page's
        full text) is profiled again rather than matched by a stale profile."""
        self._found.setdefault(profile_key(entry), profile)


def member_of_entry(
    entry: NormalisedEntry, appearance_id: str, story_id: str | None, profiles: ProfileMemo | None = None
) -> Member:
    return Member(
        appearance_id=appearance_id,
        profile=(profiles or entry_profile)(entry),
        published_at=entry.published_at,
        feed_id=entry.feed_id,
        entry_id=entry.entry_id,
        exact_keys=frozenset(entry.story_keys),
        story_id=story_id,
        fresh_story_id=story_id_for(entry, appearance_id),
        update_level=update_level(entry.title),
    )


@dataclass
class ClusterPlan:
    """Everything a batch changes, for ``fill_batch``."""

    plan: DedupePlan
    # appearance_id -> member row: every member of a re-clustered component (story or
    # component may have changed) and every new one.
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Band keys of new or changed appearances: ``band_keys[i]`` belongs to
    # ``band_appearances[band_owners[i]]``. Arrays, not a tuple per key (~65 per appearance:
    # 1.6 M tuples for a 25,000-entry first poll).
    band_keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    band_owners: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    band_appearances: list[str] = field(default_factory=list)
    # story id -> the story it was merged into.
    merged: dict[str, str] = field(default_factory=dict)
    # Lake rows written as they are, with a new revision: stored appearances that moved to
    # another story, and stories merged into another (``merged_into`` set).
    appearance_rows: list[dict[str, Any]] = field(default_factory=list)
    merged_story_rows: list[dict[str, Any]] = field(default_factory=list)
    # appearance_id -> state tuple for stored appearances that moved.
    moved_state: dict[str, tuple] = field(default_factory=dict)
    # Profiles of written representatives (appearance_id -> signature bytes).
    signatures: dict[str, bytes] = field(default_factory=dict)
    # story_id -> (revision, representative, first_seen_at) of every story re-clustered.
    story_state: dict[str, tuple] = field(default_factory=dict)


@dataclass
class _StoryState:
    revision: int
    representative: str
    first_seen_at: datetime


def _display_choice(members: list[Member], policy: DedupePolicy) -> Member:
    """The copy a new story shows: the wire original, the latest wire update, else the
    earliest of the full copies (within ``full_copy_ratio`` of the longest)."""
    pool = [m for m in members if m.profile.wire_original] or members
    top = max(m.update_level for m in pool)
    pool = [m for m in pool if m.update_level == top]
    longest = max(m.profile.shingle_count for m in pool)
    full = [m for m in pool if m.profile.shingle_count * policy.full_copy_ratio >= longest]
    return min(full, key=lambda m: (m.published_at, m.feed_id, m.entry_id, m.appearance_id))


def _representative(group: StoryGroup, state: _StoryState | None, forced: str | None, policy) -> Member:
    """The copy the story row shows: a newer wire version this batch forced, else the
    current one while no member is clearly better (the wire original, a later update or
    a much fuller copy), else the best by ``_display_choice``."""
    by_id = {m.appearance_id: m for m in group.members}
    if forced in by_id:
        return by_id[forced]
    best = _display_choice(group.members, policy)
    current = by_id.get(state.representative) if state else None
    if current is None:
        return best
    if best is not current and (
        better_representative(best.profile, current.profile, policy)
        or best.update_level > current.update_level
    ):
        return best
    return current


def _edges(members: list[Member], policy: DedupePolicy) -> list[tuple[str, str]]:
    """Verified pairs among ``members``, found through shared LSH or exact keys.

    The in-batch index is one flat array of (key, member) sorted by key, not a dict of
    Python lists per key (1.6 M of them for a 25,000-entry first poll): members sharing a
    key are neighbours in it, and each distinct pair is verified once."""
    fill_keys(members, policy)
    owners: list[np.ndarray] = []
    flat: list[np.ndarray] = []
    for position, member in enumerate(members):
        keys = keys_of(member, policy)
        if member.exact_keys:
            extra = np.asarray([_exact_key_code(key) for key in member.exact_keys], dtype=np.int64)
            keys = np.concatenate([keys, extra])
        if len(keys):
            flat.append(keys)
            owners.append(np.full(len(keys), position, dtype=np.int64))
    if not flat:
        return []
    pairs = _sharing_pairs(np.concatenate(flat), np.concatenate(owners))
    edges = []
    for first, second in pairs.tolist():
        a, b = members[second], members[first]
        if verified(a, b, policy):
            edges.append((a.appearance_id, b.appearance_id))
    return edges


def _exact_key_code(key: str) -> int:
    """An exact story key in the int64 key space of the in-batch index; a collision with
    an LSH key only proposes a pair that ``verified`` then checks."""
    return int.from_bytes(
        hashlib.blake2b(b"exact\x1f" + key.encode(), digest_size=8).digest(), "little", signed=True
    )


def _sharing_pairs(keys: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Distinct (i, j), i < j, of owners that share at least one key: int64[n, 2]."""
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order]
    # Only runs of two or more equal keys propose pairs.
    same_next = keys[1:] == keys[:-1]
    in_run = np.zeros(len(keys), dtype=bool)
    in_run[1:] |= same_next
    in_run[:-1] |= same_next
    keys, owners = keys[in_run], owners[in_run]
    if not len(keys):
        return np.empty((0, 2), dtype=np.int64)
    # Each element pairs with the elements before it in its run of equal keys.
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    before = np.arange(len(keys)) - run_start
    later = np.repeat(np.arange(len(keys)), before)
    offsets = np.arange(len(later)) - np.repeat(np.cumsum(before) - before, before)
    earlier = run_start[later] + offsets
    pairs = np.stack([owners[earlier], owners[later]], axis=1)
    pairs = np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1)
    return np.unique(pairs, axis=0)


def plan_stories(
    index: ClusterIndex,
    entries: list[NormalisedEntry],
    history: History,
    seen_at: datetime,
    policy: DedupePolicy,
    takes_over: Callable[[NormalisedEntry], bool] | None = None,
    profiles: ProfileMemo | None = None,
) -> ClusterPlan:
    """The batch's appearances (``plan_batch``: exact keys, revisions, wire versions),
    then its stories: every component its appearances verify into is re-clustered with
    them (``tasks.partition``), so the stories are those a rebuild would make.
    ``profiles``: the entries' profiles where the CPU stage made them already."""
    plan = plan_batch(entries, history, seen_at, takes_over=takes_over)
    new_stories = {w.story_id for w in plan.stories if w.is_new}
    forced = {w.story_id: w.representative.appearance_id for w in plan.stories if not w.is_new}
    profiles = profiles or ProfileMemo()
    batch = [
        member_of_entry(w.entry, w.appearance_id, None if w.story_id in new_stories else w.story_id, profiles)
        for w in plan.appearances
    ]
    writes = {w.appearance_id: w for w in plan.appearances}
    fill_keys(batch, policy)
    flat = np.concatenate([keys_of(m, policy) for m in batch]) if batch else np.empty(0, dtype=np.int64)
    keys = np.unique(flat).tolist()
    hits = [member_of_row(row) for row in index.cluster_candidates(keys)] if keys else []
    # The batch members holding each key a stored hit holds (a first poll finds no
    # history: nothing to build), from the flat key array rather than member by member.
    by_key: dict[int, list[Member]] = defaultdict(list)
    if hits:
        owner = np.repeat(np.arange(len(batch)), [len(keys_of(m, policy)) for m in batch])
        shared = np.isin(flat, np.concatenate([keys_of(hit, policy) for hit in hits]))
        for key, position in zip(flat[shared].tolist(), owner[shared].tolist(), strict=True):
            by_key[key].append(batch[position])
    del flat
    # Edges to the history: batch members that verify against a stored appearance.
    edges = []
    for hit in hits:
        near = {m.appearance_id: m for key in keys_of(hit, policy).tolist() for m in by_key.get(key, ())}
        edges += [(aid, hit.appearance_id) for aid, m in near.items() if verified(m, hit, policy)]
    joined = {b for _, b in edges}
    components = sorted({hit.component for hit in hits if hit.appearance_id in joined})
    touched_stories = sorted({m.story_id for m in batch if m.story_id})
    rows = index.cluster_members(components, touched_stories) if components or touched_stories else []
    stored = []
    for row in rows:
        if row["appearance_id"] in writes:  # a revised appearance keeps its component
            next(m for m in batch if m.appearance_id == row["appearance_id"]).component = row["component"]
        else:
            stored.append(member_of_row(row))
    # Exact keys and revisions tie a batch member to its story's stored members.
    first_of_story = {}
    for member in stored:
        first_of_story.setdefault(member.story_id, member.appearance_id)
    edges += [(m.appearance_id, first_of_story[m.story_id]) for m in batch if m.story_id in first_of_story]
    state = {
        row["story_id"]: _StoryState(
            row["story_revision"], row["story_representative"], row["story_first_seen"]
        )
        for row in rows
        if row["story_revision"] is not None
    }
    for story_id, known in history.stories.items():
        if story_id not in new_stories:
            state.setdefault(
                story_id, _StoryState(known.revision, known.representative_appearance_id, known.first_seen_at)
            )
    groups = group_components(stored + batch, edges + _edges(batch, policy))
    result = ClusterPlan(
        plan=DedupePlan(
            appearances=plan.appearances,
            appearance_keys=plan.appearance_keys,
            story_keys=plan.story_keys,
            unchanged=plan.unchanged,
        )
    )
    provisional = {aid: w.story_id for aid, w in writes.items()}
    _apply(result, groups, state, forced, writes, index, seen_at, policy, {m.appearance_id for m in batch})
    # New exact keys were registered under the story plan_batch gave; point them at the
    # story the appearance ended in (a near-duplicate match, or a merge's survivor).
    final = {provisional[aid]: w.story_id for aid, w in writes.items()}
    result.plan.story_keys = [
        (key, final.get(story_id, result.merged.get(story_id, story_id))) for key, story_id in plan.story_keys
    ]
    return result


def plan_rebuild(
    index: ClusterIndex,
    entries: list[NormalisedEntry],
    rows: list[dict[str, Any]],
    stories: dict[str, tuple],
    seen_at: datetime,
    policy: DedupePolicy,
) -> ClusterPlan:
    """Re-cluster every appearance (``rows``: their current lake rows, ``entries`` the
    same as entries) with ``policy``; ``stories`` maps story_id -> (revision,
    representative_appearance_id, first_seen_at). The same partition incremental ingest
    keeps; every member and band is returned, for a writer that starts the index afresh."""
    profiles = ProfileMemo()
    members = [
        member_of_entry(entry, row["appearance_id"], row["story_id"], profiles)
        for entry, row in zip(entries, rows, strict=True)
    ]
    state = {sid: _StoryState(*value) for sid, value in stories.items()}
    groups = group_components(members, _edges(members, policy))
    result = ClusterPlan(plan=DedupePlan())
    _apply(result, groups, state, {}, {}, index, seen_at, policy, {m.appearance_id for m in members})
    return result


def _apply(
    result: ClusterPlan,
    groups: list[list[Member]],
    state: dict[str, _StoryState],
    forced: dict[str, str],
    writes: dict[str, AppearanceWrite],
    index: ClusterIndex,
    seen_at: datetime,
    policy: DedupePolicy,
    indexed: set[str],
) -> None:
    """Partition each group and turn the outcome into writes. ``writes`` are the batch's
    appearance writes (their story ids are set here); ``indexed`` the appearances whose
    band keys are new to the index."""
    # Older first: first seen earlier, then the longer history (a split's new story shares
    # its members' first_seen_at with the story it left).
    age = {sid: (s.first_seen_at, -s.revision) for sid, s in state.items()}
    taken: set[str] = set()
    stories: list[tuple[StoryGroup, Member]] = []
    for group in groups:
        story_groups, merged = assign_story_ids(partition(group, policy), age, taken)
        result.merged.update(merged)
        for story in story_groups:
            rep = _representative(story, state.get(story.story_id), forced.get(story.story_id), policy)
            stories.append((story, rep))
    final = {m.appearance_id: story.story_id for story, _ in stories for m in story.members}
    members = {m.appearance_id: m for story, _ in stories for m in story.members}
    moved = sorted(
        aid for aid, m in members.items() if aid not in writes and m.story_id and m.story_id != final[aid]
    )
    # A story gets a new row when it is new, has a new representative, its representative's
    # text changed in this batch, or it absorbed another story.
    to_write = []
    for story, rep in stories:
        known = state.get(story.story_id)
        revised = rep.appearance_id in writes and not writes[rep.appearance_id].is_new
        if known is None or known.representative != rep.appearance_id or revised or story.absorbed:
            to_write.append((story, rep, known))
        elif known is not None:
            result.story_state[story.story_id] = (known.revision, known.representative, known.first_seen_at)
    need = sorted(
        set(moved) | {rep.appearance_id for _, rep, _ in to_write if rep.appearance_id not in writes}
    )
    lake = {row["appearance_id"]: row for row in index.current_rows("appearances", need)} if need else {}
    for aid in moved:
        row = dict(lake[aid])
        row.update(story_id=final[aid], revision=row["revision"] + 1, changed_at=seen_at)
        result.appearance_rows.append(row)
        result.moved_state[aid] = (row["revision"], row["content_hash"], final[aid], row["first_seen_at"])
    for aid, write in writes.items():
        write.story_id = final.get(aid, write.story_id)
    plan = result.plan
    for story, rep, known in to_write:
        if rep.appearance_id in writes:
            representative = writes[rep.appearance_id]
        else:
            row = lake[rep.appearance_id]
            representative = AppearanceWrite(
                entry_from_row(row, index.enrichment_columns),
                rep.appearance_id,
                row["revision"],
                final[rep.appearance_id],
                row["first_seen_at"],
                is_new=False,
            )
        first_seen = known.first_seen_at if known else seen_at
        for old in story.absorbed:
            if old in state:
                first_seen = min(first_seen, state[old].first_seen_at)
        revision = (known.revision if known else 0) + 1
        plan.stories.append(StoryWrite(story.story_id, revision, representative, first_seen, known is None))
        result.story_state[story.story_id] = (revision, rep.appearance_id, first_seen)
        result.signatures[rep.appearance_id] = minhash.to_bytes(rep.profile.signature)
    # Duplicates merged: new appearances that joined a story rather than starting one.
    new_by_story: dict[str, int] = {}
    for write in writes.values():
        if write.is_new:
            new_by_story[write.story_id] = new_by_story.get(write.story_id, 0) + 1
    new_ids = {w.story_id for w in plan.stories if w.is_new}
    plan.merged = sum(count - (story_id in new_ids) for story_id, count in new_by_story.items())
    if result.merged:
        for row in index.current_rows("stories", sorted(result.merged)):
            row = dict(row)
            row.update(
                revision=row["revision"] + 1, merged_into=result.merged[row["story_id"]], changed_at=seen_at
            )
            result.merged_story_rows.append(row)
    band_keys = []
    for aid, member in members.items():
        member.story_id = final[aid]
        result.members[aid] = member_row(member)
        if aid in indexed and len(keys_of(member, policy)):
            band_keys.append(keys_of(member, policy))
            result.band_appearances.append(aid)
    if band_keys:
        result.band_keys = np.concatenate(band_keys)
        result.band_owners = np.repeat(
            np.arange(len(band_keys), dtype=np.int32), [len(keys) for keys in band_keys]
        )


def exact_keys(result: ClusterPlan) -> list[tuple[str, str]]:
    """(exact story key, story_id) for every member: the story_keys a rebuild starts with."""
    found: dict[str, str] = {}
    for row in result.members.values():
        for key in row["exact_keys"]:
            found.setdefault(key, row["story_id"])
    return sorted(found.items())


def merged_state(result: ClusterPlan) -> dict[str, tuple]:
    """story_state of merged stories: their new revision, same representative."""
    return {
        row["story_id"]: (row["revision"], row["representative_appearance_id"], row["first_seen_at"])
        for row in result.merged_story_rows
    }


def lake_rows(result: ClusterPlan, run_id: str, now: datetime) -> tuple[list[dict], list[dict]]:
    """(appearance rows, story rows) the plan writes to the lake."""

    def as_written(row: dict[str, Any]) -> dict[str, Any]:
        return dict(row, run_id=run_id, date=row["published_at"].strftime("%Y-%m-%d"))

    appearances = [appearance_row(w, run_id, now) for w in result.plan.appearances]
    appearances += [as_written(row) for row in result.appearance_rows]
    stories = []
    for write in result.plan.stories:
        row = story_row(write, run_id, now)
        row["signature"] = result.signatures.get(write.representative.appearance_id)
        stories.append(row)
    stories += [as_written(row) for row in result.merged_story_rows]
    return appearances, stories
