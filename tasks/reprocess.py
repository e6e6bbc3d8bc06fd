"""Applying improved enrichment rules to history (``newswire backfill --source archive``).

An archive replay re-parses stored payloads and enriches them with today's rules. Dedupe
writes a revision when an entry's change hash differs from the stored one, and that hash
is of the text: a new agency alias, a region file edit or a better gazetteer changes the
columns, not the text, and was not replayed. Here each replayed entry's enrichment is
compared with what is stored for it; where it differs the entry carries an
``enrichment_digest`` (a stored column), which enters its change hash
(tasks/wire_versions.py), so dedupe writes the revision. Where it is the same, the stored
digest is carried over, so an unchanged entry stays unchanged however often it is replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from newswire.tasks.normalise import NormalisedEntry

# The columns enrichment decides (and the text's language); the digest covers them all.
DIGEST_COLUMNS = (
    "language",
    "script",
    "title_flags",
    "wire_agency",
    "cited_agencies",
    "dateline_place",
    "dateline_date",
    "credits",
    "syndication_note",
    "syndicated",
    "origin",
    "countries",
    "primary_country",
    "in_region",
    "region_score",
)


def _normal(value: Any) -> Any:
    """One form for a value whether it came from enrichment or back from Parquet (lists,
    structs as dicts, empty credit roles, float noise)."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in sorted(value.items()) if v not in (None, [], {})}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    return value


def enrichment_digest(columns: dict[str, Any]) -> str:
    """A short hash of the enrichment columns (``DIGEST_COLUMNS``) of one appearance."""
    document = {name: _normal(columns.get(name)) for name in DIGEST_COLUMNS}
    payload = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def entry_columns(entry: NormalisedEntry) -> dict[str, Any]:
    return {**entry.enrichment, "language": entry.language}


def mark_enrichment_changes(
    entries: Iterable[NormalisedEntry], stored: dict[tuple[str, str], dict[str, Any]]
) -> int:
    """Give each replayed entry whose enrichment differs from its stored row (keyed by
    (feed id, entry id)) a new ``enrichment_digest``; carry the stored digest over where
    nothing changed. Returns how many entries changed."""
    changed = 0
    for entry in entries:
        row = stored.get((entry.feed_id, entry.entry_id))
        if row is None:
            continue
        if enrichment_digest(entry_columns(entry)) == enrichment_digest(row):
            if row.get("enrichment_digest"):
                entry.enrichment["enrichment_digest"] = row["enrichment_digest"]
            continue
        entry.enrichment["enrichment_digest"] = enrichment_digest(entry_columns(entry))
        changed += 1
    return changed
