"""The read side: SQL views over the Parquet lake, for ``newswire sql``, the DuckDB CLI and
anyone else.

Readers never open the writer's state database (DuckDB would refuse while a run holds it).
They get either an in-memory connection with these views (``open_reader``) or
``data/newswire.duckdb``, a views-only catalogue the writer rebuilds and swaps in
atomically after each run (``write_catalog``), which the DuckDB CLI can open at any time.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from newswire.warehouse import story_links, versions
from newswire.warehouse.lake import has_files, table_glob
from newswire.warehouse.schema import TABLES

CATALOG_FILE = "newswire.duckdb"
STATE_SNAPSHOTS = ("feed_state", "runs")


def _file_columns(glob: str, spec) -> list[str]:
    """The schema's columns as the lake's files of one table have them (their footers
    only), with a typed NULL for a column no file has yet: a lake written by an older
    version still reads through the current views, and ``newswire migrate`` needs no file
    rewrite for added columns."""
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT DISTINCT name FROM parquet_schema('{glob}')").fetchall()
        present = {name for (name,) in rows}
        columns = []
        for field in spec.schema:
            if field.name in present:
                columns.append(f'"{field.name}"')
                continue
            duck_type = con.from_arrow(pa.table({field.name: pa.array([], type=field.type)})).types[0]
            columns.append(f'CAST(NULL AS {duck_type}) AS "{field.name}"')
    return columns


def _scan(lake_dir: Path, table: str) -> str:
    # Only the project's files (part-*.parquet, what the writer and compaction name them)
    # and only the schema's columns: a stray file in a partition (someone's COPY, a
    # plain-DuckDB export) can neither add rows nor widen the view's schema.
    glob = table_glob(lake_dir, table).replace("'", "''")
    spec = TABLES[table]
    columns = ", ".join([*_file_columns(glob, spec), f'"{spec.partition}"'])
    scan = (
        f"(SELECT {columns} FROM read_parquet('{glob}', hive_partitioning = true, "
        "union_by_name = true, hive_types = {'date': DATE}))"
    )
    runs = _state_snapshot_path(lake_dir, "runs")
    if not runs.exists():
        # Files but no runs snapshot: the first run died mid-publish. Nothing is published.
        return f"(SELECT * FROM {scan} WHERE false)"
    # A run's files are renamed into the lake one by one; its rows become visible only
    # when the writer swaps in the runs snapshot that marks it published (one atomic
    # rename). So a reader never sees half a run, even mid-publish or after a crash.
    runs_path = str(runs).replace("'", "''")
    return (
        f"(SELECT * FROM {scan} WHERE run_id IN "
        f"(SELECT run_id FROM read_parquet('{runs_path}') WHERE published))"
    )


def _latest(source: str, key: str) -> str:
    return f"SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY revision DESC) = 1"


def view_definitions(lake_dir: Path, sources: dict[str, str]) -> dict[str, str]:
    """View name -> SELECT. ``sources`` maps each lake table to the relation to read it from
    (a Parquet scan, or an empty typed table while the lake has no file for it yet)."""
    appearances_all = sources["appearances"]
    stories_all = sources["stories"]
    return {
        "fetches": f"SELECT * FROM {sources['fetches']}",
        "appearance_versions": f"SELECT * FROM {appearances_all}",
        "appearances": _latest(appearances_all, "appearance_id"),
        "story_versions": f"SELECT * FROM {stories_all}",
        # Every story at its latest revision, withdrawn ones included.
        "stories_all": _latest(stories_all, "story_id"),
        # The default view: one row per live story with every outlet that carried it.
        "stories": """
            SELECT s.*,
                   coalesce(a.appearance_count, 0) AS appearance_count,
                   coalesce(a.outlets, []) AS outlets,
                   coalesce(a.feeds, []) AS feeds,
                   a.last_seen_at
            FROM stories_all AS s
            LEFT JOIN (
                SELECT story_id,
                       count(*) AS appearance_count,
                       list(DISTINCT outlet_id ORDER BY outlet_id) AS outlets,
                       list(DISTINCT feed_id ORDER BY feed_id) AS feeds,
                       max(changed_at) AS last_seen_at
                FROM appearances
                GROUP BY story_id
            ) AS a USING (story_id)
            -- A story merged into another is shown once, as the survivor (stories_all and
            -- story_versions keep it, with merged_into); one left without appearances is gone.
            WHERE NOT coalesce(s.withdrawn, false) AND s.merged_into IS NULL AND a.story_id IS NOT NULL
        """,
    }


def _state_snapshot_path(lake_dir: Path, name: str) -> Path:
    return Path(lake_dir) / "state" / f"{name}.parquet"


def _create_views(con: duckdb.DuckDBPyConnection, lake_dir: Path, empty_as_tables: bool) -> None:
    sources: dict[str, str] = {}
    for name, spec in TABLES.items():
        if has_files(lake_dir, name):
            sources[name] = _scan(lake_dir, name)
            continue
        empty_name = f"_empty_{name}"
        empty = pa.table(
            {f.name: pa.array([], type=f.type) for f in spec.schema}
            | {spec.partition: pa.array([], type=pa.date32())}
        )
        if empty_as_tables:
            con.register("_arrow_empty", empty)
            con.execute(f"CREATE OR REPLACE TABLE {empty_name} AS SELECT * FROM _arrow_empty")
            con.unregister("_arrow_empty")
        else:
            con.register(empty_name, empty)
        sources[name] = empty_name
    for name, select in view_definitions(lake_dir, sources).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    for name in STATE_SNAPSHOTS:
        snapshot = _state_snapshot_path(lake_dir, name)
        if snapshot.exists():
            path = str(snapshot).replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    # Cross-language and event links (docs/linking.md): over the link index's snapshots.
    for name, select in story_links.reader_views(lake_dir).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")


def open_reader(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the lake's views. Never blocks on, or blocks, a writer.
    A lake of another schema version is refused (``versions.SchemaVersionError``)."""
    lake_dir = Path(data_dir).resolve() / "lake"
    versions.check(data_dir, versions.lake_version(lake_dir))
    con = duckdb.connect(":memory:")
    _create_views(con, lake_dir, empty_as_tables=False)
    return con


def write_catalog(data_dir: Path) -> Path:
    """Rebuild ``newswire.duckdb`` (views only, absolute paths) and swap it in atomically:
    a DuckDB CLI that has the old file open keeps reading the old inode undisturbed."""
    data_dir = Path(data_dir).resolve()
    target = data_dir / CATALOG_FILE
    temporary = data_dir / f".{CATALOG_FILE}.tmp-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    con = duckdb.connect(str(temporary))
    try:
        _create_views(con, data_dir / "lake", empty_as_tables=True)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(temporary, target)
    Path(f"{temporary}.wal").unlink(missing_ok=True)
    return target
