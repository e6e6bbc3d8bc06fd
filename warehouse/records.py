"""Named records across the warehouse's interface: what a read gives back and what a commit
takes. A caller never decodes a row by position.

The state records are NamedTuples: callers use the names, and they are still the plain
rows DuckDB hands back and Arrow columns are built from (``zip(*records)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np


class ArchivedPayload(NamedTuple):
    """One distinct raw payload of a feed, as first fetched (for a backfill's archive replay)."""

    feed_id: str
    body_sha256: str
    fetched_at: datetime
    url: str
    content_type: str | None


class ArticlePage(NamedTuple):
    """article_pages: an article page fetched for full text, as landed in the raw store
    (the latest fetch per feed and URL), so an archive replay reads it offline."""

    feed_id: str
    url: str
    final_url: str | None
    body_sha256: str
    content_type: str | None
    fetched_at: datetime


class AppearanceState(NamedTuple):
    """appearance_state: the latest revision of an appearance the writer knows."""

    revision: int
    # NormalisedEntry.change_hash: the content hash, plus version and status for wire items.
    content_hash: str
    story_id: str
    first_seen_at: datetime


class StoredAppearance(NamedTuple):
    """An appearance found by one of a batch's appearance keys: its id and state."""

    appearance_id: str
    revision: int
    content_hash: str
    story_id: str
    first_seen_at: datetime


class StoryState(NamedTuple):
    """story_state: the latest revision of a story and its representative appearance."""

    revision: int
    representative_appearance_id: str
    first_seen_at: datetime


class BandKey(NamedTuple):
    """appearance_bands: one LSH band key of an appearance."""

    key: int
    appearance_id: str


@dataclass
class BandRows:
    """Many appearances' band keys at once: ``keys[i]`` belongs to
    ``appearance_ids[owners[i]]``. A first poll adds ~65 keys per appearance, 1.6 M for
    25,000 entries; as ``BandKey`` tuples they cost ~150 MB, as arrays ~20."""

    keys: np.ndarray
    owners: np.ndarray
    appearance_ids: list[str]

    def __len__(self) -> int:
        return len(self.keys)


class StoryKey(NamedTuple):
    """story_keys: an exact story key (canonical URL, content hash) and its story."""

    key: str
    story_id: str


class AppearanceKey(NamedTuple):
    """appearance_keys: an entry identity within a feed and its appearance."""

    feed_id: str
    key: str
    appearance_id: str


@dataclass
class StoredHistory:
    """The slice of history one batch touches, read in one connection (``read_history``)."""

    # (feed_id, appearance key) -> the appearance it belongs to
    appearances_by_key: dict[tuple[str, str], StoredAppearance] = field(default_factory=dict)
    story_ids_by_key: dict[str, str] = field(default_factory=dict)
    # story_id -> state, for every story the exact keys reach
    stories: dict[str, StoryState] = field(default_factory=dict)
    # guid -> highest wire version loaded
    wire_versions: dict[str, int] = field(default_factory=dict)


class PickedUpFile(NamedTuple):
    """drop_files: a file of a drop directory already picked up (tasks/drop.py compares a
    listing with these)."""

    sha256: str
    size: int
    mtime_ns: int
