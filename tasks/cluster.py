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

import re
import tomllib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newswire.tasks import minhash
from newswire.tasks.dedupe import appearance_id_for, story_id_for
from newswire.tasks.desk import DEFAULT_DESK
from newswire.tasks.normalise import NormalisedEntry
from newswire.tasks.shingles import is_wire_update, normalised_title, shingle_hashes, words

DEFAULT_POLICY_FILE = DEFAULT_DESK.dedupe_policy
# Distinct numbers (and sentence hashes) kept per story; a story with more is a table or a
# long read, and 64 of them are plenty of evidence.
MAX_NUMBERS = 64
MAX_SENTENCES = 64
# A sentence this long shared word for word is evidence of copying; shorter ones ("He
# declined to comment.") recur across unrelated stories.
MIN_SENTENCE_WORDS = 10
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
# Quotation marks of the region's outlets, folded to one before quoted spans are cut out.
_QUOTES = str.maketrans({c: '"' for c in "“”„«»‟″"})
_QUOTED = re.compile(r'"[^"\n]*"')


@dataclass(frozen=True)
class DedupePolicy:
    bands: int = 64
    rows: int = 2
    min_containment: float = 0.7
    min_containment_with_sentences: float = 0.35
    min_shared_sentences: int = 2
    conflicting_agency_containment: float = 0.95
    min_shingles: int = 20
    min_title_words: int = 5
    min_shared_numbers: float = 0.5
    full_copy_ratio: float = 1.25
    certain_containment: float = 0.9
    sentences_over_numbers: int = 3


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
    # CRC-32 of the comparison form of each long sentence
    sentences: frozenset[int] = frozenset()
    wire_agency: str | None = None
    wire_original: bool = False
    # Numbers in the (normalised) headline: "Exchange rates for 6 October".
    title_numbers: frozenset[str] = field(init=False)
    # LSH keys under the matcher's policy, filled on first use (StoryMatcher.keys).
    index_keys: list[int] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.title_numbers = frozenset(_NUMBER.findall(self.title))


_NUMBER = re.compile(r"\w*\d\w*")


def _sentences(text: str) -> list[list[str]]:
    """The long sentences of ``text`` (>= MIN_SENTENCE_WORDS words) as comparison-form
    words, with quoted speech cut out: independent reports of one event quote the same
    statement word for word, so a quote is no evidence that one text copies the other."""
    unquoted = _QUOTED.sub(" ", text.translate(_QUOTES))
    found = []
    for sentence in _SENTENCE_END.split(unquoted):
        tokens = words(sentence)
        if len(tokens) >= MIN_SENTENCE_WORDS:
            found.append(tokens)
    return found


def long_sentences(text: str) -> list[int]:
    return _sentence_hashes(_sentences(text))


def _sentence_hashes(sentences: list[list[str]]) -> list[int]:
    hashes = {zlib.crc32(" ".join(tokens).encode("utf-8")) for tokens in sentences}
    return sorted(hashes)[:MAX_SENTENCES]


def _prose_numbers(sentences: list[list[str]]) -> list[str]:
    """Distinct numbers of the text's long sentences: the figures of the story, not the
    dates, times and counters of an outlet's furniture lines around it."""
    return sorted({n for tokens in sentences for n in _NUMBER.findall(" ".join(tokens))})


def _slug(text: str | None) -> str:
    return "".join(words(text or ""))


def profile_of(
    title: str, text: str, wire_agency: str | None = None, outlet_id: str | None = None
) -> Profile:
    """The profile of one item: ``text`` is the cleaned body, else the summary."""
    norm_title = normalised_title(title)
    hashes = shingle_hashes(f"{norm_title}\n{text}")
    sentences = _sentences(text)
    agency = _slug(wire_agency) or None
    return Profile(
        signature=minhash.signature(hashes),
        shingle_count=len(hashes),
        title=norm_title,
        numbers=frozenset(_prose_numbers(sentences)[:MAX_NUMBERS]),
        sentences=frozenset(_sentence_hashes(sentences)),
        wire_agency=agency,
        wire_original=bool(agency) and agency == _slug(outlet_id),
    )


def entry_profile(entry: NormalisedEntry) -> Profile:
    return profile_of(
        entry.title, entry.body or entry.summary, entry.enrichment.get("wire_agency"), entry.outlet_id
    )


def profile_key(entry: NormalisedEntry) -> tuple:
    """What ``entry_profile`` depends on: equal keys give equal profiles."""
    agency = entry.enrichment.get("wire_agency")
    slug = _slug(agency)
    own = bool(slug) and slug == _slug(entry.outlet_id)
    return entry.title, entry.body or entry.summary, agency, own


def index_keys(profile: Profile, policy: DedupePolicy) -> list[int]:
    """The LSH band keys of a profile, plus its headline key when the headline is specific.
    A profile too short to verify by containment gets no band keys: it can only match by
    headline, and empty or one-word texts would otherwise all share every band."""
    keys = []
    if profile.shingle_count >= policy.min_shingles:
        keys = minhash.band_keys(profile.signature, policy.bands, policy.rows)[0].tolist()
    if len(profile.title.split()) >= policy.min_title_words:
        keys.append(minhash.title_key(profile.title))
    return keys


def _numbers_disagree(a: frozenset[str], b: frozenset[str], policy: DedupePolicy) -> bool:
    """Same-template reports (rates, weather, market close) share their wording and differ
    in their numbers. With at least 3 numbers on each side, fewer than ``min_shared_numbers``
    of the smaller set shared means different reports; copies keep their numbers (a cut copy
    keeps a subset, boilerplate adds a year or two)."""
    fewer = min(len(a), len(b))
    return fewer >= 3 and len(a & b) < policy.min_shared_numbers * fewer


def match_score(item: Profile, story: Profile, policy: DedupePolicy) -> float | None:
    """How well ``item`` matches a story's reference profile (containment in 0..1), or
    None when it is not the same story. Symmetric in its two profiles."""
    short = min(item.shingle_count, story.shingle_count)
    if short < policy.min_shingles:
        same_headline = item.title == story.title and len(item.title.split()) >= policy.min_title_words
        return 1.0 if same_headline else None
    score = minhash.containment(item.signature, item.shingle_count, story.signature, story.shingle_count)
    # Long sentences (quotes cut out) shared word for word are the copy's fingerprint.
    shared = len(item.sentences & story.sentences)
    certain = score >= policy.certain_containment and shared >= policy.min_shared_sentences
    # "Exchange rates for 6 October" and "... for 7 October": numbered headlines that share
    # no number are different reports, however alike the text - unless the body is
    # certainly the same story (a desk's own headline must never split a copy off).
    if (
        not certain
        and item.title_numbers
        and story.title_numbers
        and not item.title_numbers & story.title_numbers
    ):
        return None
    # Same-template reports share wording and differ in their figures; several whole
    # sentences in common outweigh the figures (a copy keeps its sentences).
    if shared < policy.sentences_over_numbers and _numbers_disagree(item.numbers, story.numbers, policy):
        return None
    if item.wire_agency and story.wire_agency and item.wire_agency != story.wire_agency:
        return score if score >= policy.conflicting_agency_containment else None
    if score >= policy.min_containment:
        return score
    # Boilerplate dilutes containment of a short cut copy; whole sentences shared word for
    # word confirm it (independent reports share a quote and stock phrases, not sentences).
    if score >= policy.min_containment_with_sentences and shared >= policy.min_shared_sentences:
        return score
    return None


def better_representative(candidate: Profile, current: Profile, policy: DedupePolicy) -> bool:
    """Prefer the wire original, else the earliest full copy (entries arrive oldest first,
    so the current one is earlier): a later copy wins only by being much longer."""
    if candidate.wire_original != current.wire_original:
        return candidate.wire_original
    return candidate.shingle_count >= policy.full_copy_ratio * max(current.shingle_count, 1)


@dataclass
class StoryMatcher:
    """A greedy ``match_story`` hook of ``tasks.dedupe.plan_batch`` for one batch, in
    arrival order: the first version of near-duplicate matching, kept as the in-memory
    baseline of ``benchmarks/dedupe_eval.py perf`` (production clusters with
    ``tasks.recluster``, which does not depend on arrival order).

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

    def keys(self, profile: Profile) -> list[int]:
        """``index_keys`` of a profile, computed once (a matcher has one policy)."""
        if profile.index_keys is None:
            profile.index_keys = index_keys(profile, self.policy)
        return profile.index_keys

    def candidates(self, profile: Profile) -> set[str]:
        found: set[str] = set()
        for key in self.keys(profile):
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
        for key in self.keys(profile):
            self.index.setdefault(key, set()).add(story_id)


def profile_from_row(row: tuple) -> Profile:
    signature, shingle_count, title, numbers, sentences, wire_agency, wire_original = row
    return Profile(
        minhash.from_bytes(signature),
        shingle_count,
        title,
        frozenset(numbers),
        frozenset(sentences),
        wire_agency,
        wire_original,
    )
