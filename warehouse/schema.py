"""The lake's tables, declared once: columns, key, revision rule and partitioning.

Parquet is the contract with every reader (DuckDB, pandas, polars, Spark), so the schema
lives here as Arrow types and every writer goes through ``TableSpec.to_arrow``. Files are
append-only and immutable; a row that changes is written again with a higher
``revision``, and the views pick the latest revision per key. ``warehouse/SCHEMA.md``
documents every column and must change with ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from newswire.warehouse import arrow_columns

SCHEMA_VERSION = 2

TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())
CREDITS = pa.struct(
    [
        ("reporting", STRINGS),
        ("writing", STRINGS),
        ("editing", STRINGS),
        ("additional_reporting", STRINGS),
    ]
)
COUNTRY_MENTIONS = pa.list_(pa.struct([("code", pa.string()), ("mentions", pa.int32())]))
SUBJECTS = pa.list_(pa.struct([("scheme", pa.string()), ("code", pa.string()), ("name", pa.string())]))

# Columns filled by enrichment (attribution, language, region tags) and by wire formats.
# They exist from schema version 1 on, null until the stage that fills them runs, so adding
# a stage never changes the table layout readers depend on.
ENRICHMENT_FIELDS = [
    pa.field("script", pa.string()),
    pa.field("title_flags", STRINGS),
    pa.field("wire_agency", pa.string()),
    # Agencies the story only quotes ("according to Xinhua"): never the copy's source.
    pa.field("cited_agencies", STRINGS),
    pa.field("dateline_place", pa.string()),
    pa.field("dateline_date", pa.string()),
    pa.field("credits", CREDITS),
    pa.field("syndication_note", pa.string()),
    pa.field("syndicated", pa.bool_()),
    pa.field("origin", pa.string()),
    pa.field("countries", COUNTRY_MENTIONS),
    pa.field("primary_country", pa.string()),
    pa.field("in_region", pa.bool_()),
    pa.field("region_score", pa.float64()),
    pa.field("wire_version", pa.int32()),
    pa.field("urgency", pa.int32()),
    pa.field("pubstatus", pa.string()),
    pa.field("subjects", SUBJECTS),
    pa.field("withdrawn", pa.bool_()),
    # Set by an archive replay whose enrichment differs from the stored row's
    # (tasks/reprocess.py): part of the change hash, so the new enrichment is a revision.
    pa.field("enrichment_digest", pa.string()),
]
ENRICHMENT_COLUMNS = tuple(f.name for f in ENRICHMENT_FIELDS)

_TEXT_FIELDS = [
    pa.field("url", pa.string()),
    pa.field("canonical_url", pa.string()),
    pa.field("title", pa.string()),
    pa.field("summary", pa.string()),
    pa.field("body", pa.string()),
    pa.field("language", pa.string()),
    pa.field("authors", STRINGS),
    pa.field("categories", STRINGS),
    pa.field("published_at", TIMESTAMP),
    pa.field("published_guessed", pa.bool_()),
    pa.field("date_issue", pa.string()),
    pa.field("updated_at", TIMESTAMP),
    pa.field("content_hash", pa.string()),
    # What normalising repaired or decided (tasks/normalise.py NormalisedEntry.warnings).
    pa.field("entry_warnings", STRINGS),
]


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    # Column that orders versions of one key; the latest is the current row. None for
    # append-only logs (fetches) where every row is its own fact.
    revision: str | None
    # Hive partition column (not stored inside the files); a YYYY-MM-DD string.
    partition: str = "date"

    def to_arrow(self, rows: list[dict[str, Any]]) -> pa.Table:
        """Rows (dicts) as a table with exactly this schema; unknown keys are an error so a
        typo cannot silently drop a column."""
        names = set(self.schema.names)
        for row in rows[:1]:
            extra = set(row) - names - {self.partition}
            if extra:
                raise ValueError(f"{self.name}: columns not in the schema: {sorted(extra)}")
        columns = {name: [row.get(name) for row in rows] for name in self.schema.names}
        return arrow_columns.table(columns, schema=self.schema)


FETCHES = TableSpec(
    name="fetches",
    key=("fetch_id",),
    revision=None,
    schema=pa.schema(
        [
            pa.field("fetch_id", pa.string(), nullable=False),
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("feed_id", pa.string(), nullable=False),
            pa.field("url", pa.string()),
            pa.field("final_url", pa.string()),
            pa.field("fetched_at", TIMESTAMP),
            pa.field("status", pa.int32()),
            pa.field("not_modified", pa.bool_()),
            pa.field("unchanged", pa.bool_()),
            pa.field("bytes_received", pa.int64()),
            pa.field("body_bytes", pa.int64()),
            pa.field("body_sha256", pa.string()),
            pa.field("content_type", pa.string()),
            pa.field("etag", pa.string()),
            pa.field("last_modified", pa.string()),
            pa.field("elapsed_ms", pa.int64()),
            pa.field("attempts", pa.int32()),
            pa.field("redirects", STRINGS),
            pa.field("error_kind", pa.string()),
            pa.field("error", pa.string()),
            pa.field("parse_format", pa.string()),
            pa.field("parse_error", pa.string()),
            pa.field("parse_warnings", STRINGS),
            pa.field("entries_found", pa.int32()),
        ]
    ),
)

APPEARANCES = TableSpec(
    name="appearances",
    key=("appearance_id",),
    revision="revision",
    schema=pa.schema(
        [
            pa.field("appearance_id", pa.string(), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("story_id", pa.string(), nullable=False),
            pa.field("feed_id", pa.string(), nullable=False),
            pa.field("outlet_id", pa.string()),
            pa.field("entry_id", pa.string()),
            pa.field("guid", pa.string()),
            *_TEXT_FIELDS,
            pa.field("first_seen_at", TIMESTAMP),
            pa.field("changed_at", TIMESTAMP),
            pa.field("raw_sha256", pa.string()),
            pa.field("run_id", pa.string()),
            *ENRICHMENT_FIELDS,
        ]
    ),
)

STORIES = TableSpec(
    name="stories",
    key=("story_id",),
    revision="revision",
    schema=pa.schema(
        [
            pa.field("story_id", pa.string(), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("representative_appearance_id", pa.string()),
            pa.field("representative_feed_id", pa.string()),
            *_TEXT_FIELDS,
            pa.field("first_seen_at", TIMESTAMP),
            pa.field("changed_at", TIMESTAMP),
            # Near-duplicate signature (MinHash values), filled by the clustering stage.
            pa.field("signature", pa.binary()),
            pa.field("run_id", pa.string()),
            # Schema 2: set on the revision that merged this story into another (the
            # survivor's story_id); null for a live story.
            pa.field("merged_into", pa.string()),
            *ENRICHMENT_FIELDS,
        ]
    ),
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (FETCHES, APPEARANCES, STORIES)}
