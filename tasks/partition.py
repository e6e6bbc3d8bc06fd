"""Which appearances form one story, as a function of the appearances alone — never of
the order they arrived in.

A story is grown from a *leader*: the appearance that ranks first by ``leader_rank`` (the
wire original, then the newest wire update, then the fullest copy, then the earliest).
Appearances are taken in that rank order; each joins the best-matching leader it verifies
against (``tasks.cluster.match_score``), else it leads a story of its own. Verification is
always against a leader, never against whichever member shared a band — so A~B and B~C
cannot pull an unrelated C into A's story (the chaining guard), and two stories merge only
when their leaders confirm it.

Because the rank is a property of each appearance, the result depends only on the set:
ingesting feed by feed, in any order, or re-clustering everything (``dedupe --rebuild``)
gives the same partition. Incremental ingest re-runs this function on the *components* a
batch touches (appearances connected by verified pairs, ``group_components``): an appearance
outside them verifies against nothing inside, so it can neither join nor change a story
there, and the partition of the touched components equals that of the whole history.

Story ids are kept where they can be: a story keeps the id of the oldest story among its
members (``assign_story_ids``); a story whose members all went elsewhere is *merged into*
the story that took most of them, so no id disappears without a trace.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from newswire.tasks import minhash
from newswire.tasks.cluster import DedupePolicy, Profile, index_keys, match_score


@dataclass
class Member:
    """One appearance as clustering sees it."""

    appearance_id: str
    profile: Profile
    published_at: datetime
    feed_id: str
    entry_id: str
    # Exact story keys (canonical URL, content hash): members sharing one are one story.
    exact_keys: frozenset[str]
    # Its story now (None for an appearance this batch adds), and the id it would give a
    # story of its own.
    story_id: str | None
    fresh_story_id: str
    update_level: int = 0
    # The connected component it belongs to (0: not yet known).
    component: int = 0
    # Its LSH keys (``keys_of``) as one int64 array, shared by members with one profile:
    # a list of Python ints cost ~2.6 KB per member, this ~0.6 KB.
    keys: np.ndarray | None = field(default=None, repr=False, compare=False)


def _size_class(shingles: int, policy: DedupePolicy) -> int:
    """Copies within ``full_copy_ratio`` of each other's length are "equally full": the
    earlier one leads. A much longer one (the full story after a cut copy) leads."""
    return int(math.log(max(shingles, 1)) / math.log(policy.full_copy_ratio))


def leader_rank(member: Member, policy: DedupePolicy) -> tuple:
    """Lower ranks lead: the agency's own copy, the newest wire update, the fullest copy,
    the earliest, then ids (a total order, so ties never depend on arrival)."""
    return (
        not member.profile.wire_original,
        -member.update_level,
        -_size_class(member.profile.shingle_count, policy),
        member.published_at,
        member.feed_id,
        member.entry_id,
        member.appearance_id,
    )


def keys_of(member: Member, policy: DedupePolicy) -> np.ndarray:
    if member.keys is None:
        member.keys = np.asarray(index_keys(member.profile, policy), dtype=np.int64)
    return member.keys


def fill_keys(members: list[Member], policy: DedupePolicy) -> None:
    """``keys_of`` for every member at once: the band keys of all signatures in one numpy
    call (per item it was ten times slower, benchmarks/ingest.py), the same keys as
    ``index_keys`` gives one by one. Members sharing a profile share its key array, and
    every array is a view of one flat buffer (no object per key)."""
    todo = [m for m in members if m.keys is None]
    profiles = [p for p in {id(m.profile): m.profile for m in todo}.values()]
    banded = [p for p in profiles if p.shingle_count >= policy.min_shingles]
    band_row = {id(profile): row for row, profile in enumerate(banded)}
    matrix = (
        minhash.band_keys(np.stack([p.signature for p in banded]), policy.bands, policy.rows)
        if banded
        else None
    )
    titles = {
        id(p): minhash.title_key(p.title) for p in profiles if len(p.title.split()) >= policy.min_title_words
    }
    counts = [policy.bands * (id(p) in band_row) + (id(p) in titles) for p in profiles]
    flat = np.empty(sum(counts), dtype=np.int64)
    by_profile: dict[int, np.ndarray] = {}
    start = 0
    for profile, count in zip(profiles, counts, strict=True):
        keys = by_profile[id(profile)] = flat[start : start + count]
        if id(profile) in band_row:
            keys[: policy.bands] = matrix[band_row[id(profile)]]
        if id(profile) in titles:
            keys[-1] = titles[id(profile)]
        start += count
    for member in todo:
        member.keys = by_profile[id(member.profile)]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, node):
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Deterministic roots: the smaller node wins.
            low, high = sorted((ra, rb), key=repr)
            self.parent[high] = low


def _exact_units(members: list[Member]) -> list[list[Member]]:
    """Members that share an exact story key, as units that stay together."""
    union = _UnionFind()
    holder: dict[str, str] = {}
    for member in members:
        union.find(member.appearance_id)
        for key in member.exact_keys:
            if key in holder:
                union.union(member.appearance_id, holder[key])
            else:
                holder[key] = member.appearance_id
    units: dict[str, list[Member]] = {}
    for member in members:
        units.setdefault(union.find(member.appearance_id), []).append(member)
    return list(units.values())


@dataclass
class Cluster:
    leader: Member
    members: list[Member]


def partition(members: Iterable[Member], policy: DedupePolicy) -> list[Cluster]:
    """The stories of ``members`` (see the module docstring), leaders in rank order."""
    units = []
    for unit in _exact_units(list(members)):
        unit.sort(key=lambda m: leader_rank(m, policy))
        units.append(unit)
    units.sort(key=lambda unit: leader_rank(unit[0], policy))
    clusters: list[Cluster] = []
    index: dict[int, list[int]] = {}
    for unit in units:
        head = unit[0]
        best: tuple[float, int] | None = None
        seen: set[int] = set()
        for key in keys_of(head, policy).tolist():
            for position in index.get(key, ()):
                if position in seen:
                    continue
                seen.add(position)
                score = match_score(head.profile, clusters[position].leader.profile, policy)
                if score is not None and (best is None or (score, -position) > (best[0], -best[1])):
                    best = (score, position)
        if best is not None:
            clusters[best[1]].members.extend(unit)
            continue
        clusters.append(Cluster(head, list(unit)))
        for key in keys_of(head, policy).tolist():
            index.setdefault(key, []).append(len(clusters) - 1)
    return clusters


def verified(a: Member, b: Member, policy: DedupePolicy) -> bool:
    """The edge of the component graph: a shared LSH key (or exact key) and a match."""
    if a.exact_keys & b.exact_keys:
        return True
    # Two short arrays: a set of one is faster than numpy's sort-based isin.
    if set(keys_of(a, policy).tolist()).isdisjoint(keys_of(b, policy).tolist()):
        return False
    return match_score(a.profile, b.profile, policy) is not None


def group_components(members: list[Member], edges: Iterable[tuple[str, str]]) -> list[list[Member]]:
    """Connected groups of ``members``: those already in one stored component belong
    together, and so do the two ends of each edge (appearance ids). Each group's
    ``component`` becomes the smallest stored component id in it, or a new one."""
    union = _UnionFind()
    by_id = {m.appearance_id: m for m in members}
    for member in members:
        union.find(("a", member.appearance_id))
        if member.component:
            union.union(("a", member.appearance_id), ("c", member.component))
    for a, b in edges:
        if a in by_id and b in by_id:
            union.union(("a", a), ("a", b))
    groups: dict = {}
    for member in members:
        groups.setdefault(union.find(("a", member.appearance_id)), []).append(member)
    result = []
    for group in groups.values():
        stored = [m.component for m in group if m.component]
        component = min(stored) if stored else component_id(min(m.appearance_id for m in group))
        for member in group:
            member.component = component
        result.append(group)
    return result


def component_id(appearance_id: str) -> int:
    """A new component's id: a positive 63-bit hash of its first appearance."""
    import hashlib

    digest = hashlib.blake2b(f"component\x1f{appearance_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1 or 1


@dataclass
class StoryGroup:
    """One story after clustering: its id, members, leader, and the stories merged into it."""

    story_id: str
    leader: Member
    members: list[Member]
    is_new: bool
    absorbed: list[str] = field(default_factory=list)


def assign_story_ids(
    clusters: list[Cluster], story_age: dict[str, tuple], taken: set[str] | None = None
) -> tuple[list[StoryGroup], dict[str, str]]:
    """(stories, merged): each cluster, leaders in rank order, keeps the oldest story id
    (by ``story_age[id]``, then id) among its members that no earlier cluster kept, else
    gets its leader's fresh id. ``merged`` maps every story id no cluster kept to the
    story that holds most of its former members: the older story survives a merge.
    ``taken`` (ids earlier groups kept) gets the ids kept here added in place: a copy per
    group made a 25,000-story first poll quadratic."""
    taken = taken if taken is not None else set()
    groups = []
    for cluster in clusters:
        current = sorted(
            {m.story_id for m in cluster.members if m.story_id and m.story_id not in taken},
            key=lambda sid: (story_age.get(sid, ()), sid),
        )
        if current:
            story_id, is_new = current[0], False
        else:
            story_id, is_new = cluster.leader.fresh_story_id, True
            suffix = 1
            while story_id in taken:  # a split whose leader's own id is in use
                suffix += 1
                story_id = f"{cluster.leader.fresh_story_id}-{suffix}"
        taken.add(story_id)
        groups.append(StoryGroup(story_id, cluster.leader, cluster.members, is_new))
    merged: dict[str, str] = {}
    kept = {g.story_id for g in groups}
    former = sorted({m.story_id for g in groups for m in g.members if m.story_id} - kept)
    for old in former:
        holders = [(sum(m.story_id == old for m in g.members), -n, g) for n, g in enumerate(groups)]
        _, _, survivor = max(holders, key=lambda h: (h[0], h[1]))
        merged[old] = survivor.story_id
        survivor.absorbed.append(old)
    return groups, merged
