"""Near-duplicate story matching: verify LSH candidates and pick the story an entry joins.

Candidates come from the persisted LSH index (warehouse) and from stories created earlier
in the same batch. Each candidate is verified against the story's *reference profile* —
the fingerprint of its representative copy — never against whichever member happened to
share a band. That is the chaining guard: a story grows only by items that match its
representative, so A~B and B~C cannot glue an unrelated C onto A through B, and two
stories never merge behind anyone's back.

Verification (thresholds in feeds/dedupe.toml, reasons there and in docs/dedupe.md):
- containment of shingles (overlap / smaller set), not Jaccard: outlets cut wire copy at
  different paragraphs, and a 30 % cut shares ~0.3 of the full story by Jaccard;
- the numbers of the shorter text must be in the longer one (same-template daily
  reports differ almost only in their numbers);
- attribution: different wire agencies are different stories unless nearly identical;
- headline-only items (aggregators) match on an identical normalised headline only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tasks import minhash
from tasks.dedupe import DedupePlan, History, KnownStory, StoryWrite, appearance_id_for, story_id_for
from tasks.normalise import NormalisedEntry
from tasks.shingles import is_wire_update, normalised_title, shingle_hashes, words

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "feeds" / "dedupe.toml"
# Distinct numbers kept per story for the number check; a story with more is a table,
# and 64 of its numbers are plenty of evidence.
MAX_NUMBERS = 64


@dataclass(frozen=True)
class DedupePolicy:
    bands: int = 64
    rows: int = 2
    min_containment: float = 0.7
    conflicting_agency_containment: float = 0.95
    min_shingles: int = 20
    min_title_words: int = 5
    missing_numbers_share: float = 0.25
    full_copy_ratio: float = 1.25


def load_policy(path: Path | str | None = None) -> DedupePolicy:
    """The policy from feeds/dedupe.toml (or ``path``); unknown keys are an error so a typo
    cannot silently leave a default in force."""
    path = Path(path or DEFAULT_POLICY_FILE)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    values: dict[str, float | int] = {}
    known = set(DedupePolicy.__dataclass_fields__)
    for section, table in data.items():
        for key, value in table.items():
            if key not in known:
                raise ValueError(f"{path}: [{section}] {key}: unknown setting (known: {sorted(known)})")
            values[key] = value
    return DedupePolicy(**values)


@dataclass
class Profile:
    """What verification needs to know about one text: its signature and a few features.
    Stored per story (the representative's profile) in the warehouse's index."""

    signature: np.ndarray
    shingle_count: int
    title: str
    numbers: frozenset[str]
    wire_agency: str | None = None
    wire_original: bool = False


def _slug(text: str | None) -> str:
    return "".join(words(text or ""))


def profile_of(
    title: str, text: str, wire_agency: str | None = None, outlet_id: str | None = None
) -> Profile:
    """The profile of one item: ``text`` is the cleaned body, else the summary."""
    norm_title = normalised_title(title)
    hashes = shingle_hashes(f"{norm_title}\n{text}")
    numbers = sorted({w for w in words(text) if any(ch.isdigit() for ch in w)})[:MAX_NUMBERS]
    agency = _slug(wire_agency) or None
    return Profile(
        signature=minhash.signature(hashes),
        shingle_count=len(hashes),
        title=norm_title,
        numbers=frozenset(numbers),
        wire_agency=agency,
        wire_original=bool(agency) and agency == _slug(outlet_id),
    )


def entry_profile(entry: NormalisedEntry) -> Profile:
    return profile_of(
        entry.title, entry.body or entry.summary, entry.enrichment.get("wire_agency"), entry.outlet_id
    )


def index_keys(profile: Profile, policy: DedupePolicy) -> list[int]:
    """The LSH band keys of a profile, plus its headline key when the headline is specific."""
    keys = minhash.band_keys(profile.signature, policy.bands, policy.rows)[0].tolist()
    if len(profile.title.split()) >= policy.min_title_words:
        keys.append(minhash.title_key(profile.title))
    return keys


def match_score(item: Profile, story: Profile, policy: DedupePolicy) -> float | None:
    """How well ``item`` matches a story's reference profile (containment in 0..1), or
    None when it is not the same story."""
    short = min(item.shingle_count, story.shingle_count)
    if short < policy.min_shingles:
        same_headline = item.title == story.title and len(item.title.split()) >= policy.min_title_words
        return 1.0 if same_headline else None
    score = minhash.containment(item.signature, item.shingle_count, story.signature, story.shingle_count)
    needed = policy.min_containment
    if item.wire_agency and story.wire_agency and item.wire_agency != story.wire_agency:
        needed = policy.conflicting_agency_containment
    if score < needed:
        return None
    smaller, larger = (item, story) if item.shingle_count <= story.shingle_count else (story, item)
    missing = len(smaller.numbers - larger.numbers)
    if missing > policy.missing_numbers_share * len(smaller.numbers) + 1:
        return None
    return score


def better_representative(candidate: Profile, current: Profile, policy: DedupePolicy) -> bool:
    """Prefer the wire original, else the earliest full copy (entries arrive oldest first,
    so the current one is earlier): a later copy wins only by being much longer."""
    if candidate.wire_original != current.wire_original:
        return candidate.wire_original
    return candidate.shingle_count >= policy.full_copy_ratio * max(current.shingle_count, 1)


@dataclass
class StoryMatcher:
    """The ``match_story`` hook of ``tasks.dedupe.plan_batch`` for one batch.

    ``index`` maps band keys to story ids (the history's hits for this batch's keys, then
    every story this batch creates or re-profiles); ``profiles`` holds the reference
    profile of each of those stories. ``changed`` collects what the warehouse must store.
    """

    policy: DedupePolicy
    profiles: dict[str, Profile] = field(default_factory=dict)
    index: dict[int, set[str]] = field(default_factory=dict)
    # (story_id, entry) in batch order, for stories whose representative moved to `entry`
    promotions: list[tuple[str, NormalisedEntry]] = field(default_factory=list)
    _entry_profiles: dict[int, Profile] = field(default_factory=dict)

    def add_history(self, band_hits: Iterable[tuple[int, str]], profiles: dict[str, Profile]) -> None:
        for key, story_id in band_hits:
            self.index.setdefault(key, set()).add(story_id)
        self.profiles.update(profiles)

    def profile(self, entry: NormalisedEntry) -> Profile:
        found = self._entry_profiles.get(id(entry))
        if found is None:
            found = self._entry_profiles[id(entry)] = entry_profile(entry)
        return found

    def candidates(self, profile: Profile) -> set[str]:
        found: set[str] = set()
        for key in index_keys(profile, self.policy):
            found |= self.index.get(key, set())
        return {story_id for story_id in found if story_id in self.profiles}

    def best_story(self, profile: Profile) -> str | None:
        scored = []
        for story_id in self.candidates(profile):
            score = match_score(profile, self.profiles[story_id], self.policy)
            if score is not None:
                scored.append((score, story_id))
        return max(scored)[1] if scored else None

    def __call__(self, entry: NormalisedEntry) -> str | None:
        """The story ``entry`` joins, or None: then ``plan_batch`` starts a new story with
        the id ``story_id_for`` gives, which later entries of the batch can join."""
        item = self.profile(entry)
        story_id = self.best_story(item)
        if story_id is None:
            self.set_reference(story_id_for(entry, appearance_id_for(entry)), item)
            return None
        reference = self.profiles[story_id]
        if better_representative(item, reference, self.policy) or is_wire_update(entry.title):
            self.set_reference(story_id, item)
            self.promotions.append((story_id, entry))
        return story_id

    def set_reference(self, story_id: str, profile: Profile) -> None:
        """Make ``profile`` the one ``story_id`` is matched against, and index it."""
        self.profiles[story_id] = profile
        for key in index_keys(profile, self.policy):
            self.index.setdefault(key, set()).add(story_id)


def apply_promotions(plan: DedupePlan, history: History, matcher: StoryMatcher) -> int:
    """Story revisions for representatives the matcher moved (a full copy after a cut one,
    the wire original, an "UPDATE 1"): the story keeps its id, ``story_versions`` keeps the
    earlier representative. Returns how many revisions were added."""
    writes = {id(write.entry): write for write in plan.appearances}
    added = 0
    for story_id, entry in matcher.promotions:
        write = writes.get(id(entry))
        story = history.stories.get(story_id)
        if write is None or story is None or story.representative_appearance_id == write.appearance_id:
            continue
        revised = KnownStory(story_id, story.revision + 1, write.appearance_id, story.first_seen_at)
        history.stories[story_id] = revised
        plan.stories.append(StoryWrite(story_id, revised.revision, write, story.first_seen_at, is_new=False))
        added += 1
    return added


def profile_row(profile: Profile) -> tuple:
    """A profile as the warehouse stores it (warehouse/story_index.py ProfileRow)."""
    return (
        minhash.to_bytes(profile.signature),
        profile.shingle_count,
        profile.title,
        sorted(profile.numbers),
        profile.wire_agency,
        profile.wire_original,
    )


def profile_from_row(row: tuple) -> Profile:
    signature, shingle_count, title, numbers, wire_agency, wire_original = row
    return Profile(
        minhash.from_bytes(signature), shingle_count, title, frozenset(numbers), wire_agency, wire_original
    )
