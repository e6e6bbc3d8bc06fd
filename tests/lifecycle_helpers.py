"""Helpers of the lifecycle tests: the previous (version 1) layout, and the CLI runner."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from warehouse.versions import VERSION_KEY


def stamp_parquet(path: Path, version: int) -> None:
    """Rewrite one Parquet file with another schema-version stamp (same rows)."""
    table = pq.read_table(path)
    metadata = dict(table.schema.metadata or {})
    metadata[VERSION_KEY] = str(version).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path, compression="zstd")


def to_previous_layout(data_dir: Path) -> None:
    """Make a warehouse exactly what the version-1 code left: no ``article_pages`` table,
    ``meta.schema_version`` 1, every Parquet file stamped 1 (the baseline tables and
    columns are the same files version 1 wrote)."""
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"))
    con.execute("DROP TABLE article_pages")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    for path in (data_dir / "lake").rglob("*.parquet"):
        stamp_parquet(path, 1)


def state_version(data_dir: Path) -> int:
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        con.close()
