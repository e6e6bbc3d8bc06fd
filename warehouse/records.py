"""Named records across the warehouse's interface: what a caller gets back from a read, and
what it hands to a commit. A caller never decodes a row by position."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ArchivedPayload:
    """One distinct raw payload of a feed, as first fetched (for a backfill's archive replay)."""

    feed_id: str
    body_sha256: str
    fetched_at: datetime
    url: str
    content_type: str | None


@dataclass(frozen=True)
class StoredAppearance:
    """appearance_state: the latest revision of an appearance the writer knows."""

    appearance_id: str
    revision: int
    # NormalisedEntry.change_hash: the content hash, plus version and status for wire items.
    content_hash: str
    story_id: str
    first_seen_at: datetime


@dataclass(frozen=True)
class StoredStory:
    """story_state: the latest revision of a story and its representative appearance."""

    story_id: str
    revision: int
    representative_appearance_id: str
    first_seen_at: datetime | None = None


@dataclass(frozen=True)
class StoredProfile:
    """story_profiles: what near-duplicate verification needs of a story (tasks/cluster.py)."""

    signature: bytes
    shingle_count: int
    title: str
    numbers: list[str]
    sentences: list[int]
    wire_agency: str | None
    wire_original: bool


@dataclass
class StoredHistory:
    """The slice of history one batch touches, read in one connection (``read_history``)."""

    # (feed_id, appearance key) -> the appearance it belongs to
    appearances_by_key: dict[tuple[str, str], StoredAppearance] = field(default_factory=dict)
    story_ids_by_key: dict[str, str] = field(default_factory=dict)
    stories: dict[str, StoredStory] = field(default_factory=dict)
    # guid -> highest wire version loaded
    wire_versions: dict[str, int] = field(default_factory=dict)


@dataclass
class StoryCandidates:
    """Near-duplicate candidates of a batch's LSH keys (``story_index.lookup``)."""

    hits: list[tuple[int, str]] = field(default_factory=list)  # (band key, story_id)
    profiles: dict[str, StoredProfile] = field(default_factory=dict)
    stories: dict[str, StoredStory] = field(default_factory=dict)
