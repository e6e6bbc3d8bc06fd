"""Helpers of the lifecycle tests: the previous (version 1) layout, and the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from newswire.warehouse.versions import VERSION_KEY


def stamp_parquet(path: Path, version: int) -> None:
    """Rewrite one Parquet file with another schema-version stamp (same rows)."""
    table = pq.read_table(path)
    metadata = dict(table.schema.metadata or {})
    metadata[VERSION_KEY] = str(version).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path, compression="zstd")


# What version 1 did not have: lake columns added since, and state tables (the
# near-duplicate index was per story then: story_profiles / story_bands).
COLUMNS_SINCE_V1 = {"cited_agencies", "enrichment_digest", "entry_warnings", "merged_into"}
TABLES_SINCE_V1 = ("article_pages", "appearance_profiles", "appearance_bands", "outlet_lines", "lake_files")


def to_previous_layout(data_dir: Path) -> None:
    """Make a warehouse what the version-1 code left: none of the state tables added
    since, ``meta.schema_version`` 1, every lake file without the columns added since and
    stamped 1."""
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"))
    for table in TABLES_SINCE_V1:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    # Nor the manifests readers go through now (warehouse/manifest.py).
    shutil.rmtree(data_dir / "lake" / "_manifests")
    for path in (data_dir / "lake").rglob("*.parquet"):
        if "state" not in path.parts:
            table = pq.read_table(path)
            pq.write_table(table.drop_columns(sorted(COLUMNS_SINCE_V1 & set(table.column_names))), path)
        stamp_parquet(path, 1)


def state_version(data_dir: Path) -> int:
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        con.close()
