"""Wire versions and withdrawals, decided before dedupe.

An agency re-sends a story under the same guid with a higher ``version`` when it updates,
corrects or kills it (``pubstatus`` withheld/canceled). The newest version must become
the story's current row, and an older version that arrives later (files out of order in
a drop folder, a retransmission) must not overwrite it. Dedupe already turns a changed
re-sighting of an appearance into a new revision (and a new story revision when it is the
story's representative), so this module only has to:

- make a version or status change count as a change even when the text is identical
  (a kill notice often repeats the story): ``change_hash``;
- drop entries older than the newest version already loaded for their guid, and order
  the rest so versions of one guid are applied oldest first: ``drop_superseded``;
- say which versions a batch loaded, for the writer to remember: ``loaded_versions``;
- let a newer version become its story's representative even when the story's current
  representative is another copy (another feed of the agency, or an outlet's copy the
  wire item was merged into): ``newer_version_rule``, the dedupe ``takes_over`` hook.
  So an update or a kill reaches the story however the copies arrived.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any


def change_hash(content_hash: str, enrichment: dict[str, Any]) -> str:
    """The content hash, extended by the wire version and status when the entry has them,
    and by the enrichment digest a replay with changed rules gives it (tasks/reprocess.py)."""
    version, status = enrichment.get("wire_version"), enrichment.get("pubstatus")
    digest = enrichment.get("enrichment_digest")
    if version is None and status is None and digest is None:
        return content_hash
    parts = f"{content_hash}\x1f{version}\x1f{status}" + (f"\x1f{digest}" if digest else "")
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def wire_version_of(entry) -> int | None:
    return entry.enrichment.get("wire_version") if entry.guid else None


def drop_superseded(entries: list, known_versions: dict[str, int]) -> tuple[list, list]:
    """(entries to load, entries superseded by a newer version already loaded).

    ``known_versions`` maps guid -> the highest version loaded so far. An equal version
    passes: dedupe then treats it as unchanged, or as a same-version correction when the
    content differs."""
    ordered = sorted(entries, key=lambda e: wire_version_of(e) or 0)
    kept, superseded = [], []
    for entry in ordered:
        version = wire_version_of(entry)
        best = known_versions.get(entry.guid) if version is not None else None
        if best is not None and version < best:
            superseded.append(entry)
        else:
            kept.append(entry)
    return kept, superseded


def loaded_versions(entries: Iterable) -> dict[str, int]:
    """guid -> highest wire version among the entries a batch wrote."""
    versions: dict[str, int] = {}
    for entry in entries:
        version = wire_version_of(entry)
        if version is not None and version > versions.get(entry.guid, -1):
            versions[entry.guid] = version
    return versions


def newer_version_rule(entries: list, known_versions: dict[str, int]) -> Callable[[Any], bool]:
    """``takes_over(entry)``: True for a wire entry newer than a version of its guid
    already loaded (``known_versions``) or earlier in this batch. A guid's first version
    never takes over: it joins its story like any other copy."""
    batch_versions: dict[str, set[int]] = {}
    for entry in entries:
        version = wire_version_of(entry)
        if version is not None:
            batch_versions.setdefault(entry.guid, set()).add(version)

    def takes_over(entry) -> bool:
        version = wire_version_of(entry)
        if version is None:
            return False
        known = known_versions.get(entry.guid)
        if known is not None:
            return version > known
        return any(other < version for other in batch_versions.get(entry.guid, ()))

    return takes_over
