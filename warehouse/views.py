"""The read side: SQL views over the Parquet lake, for ``newswire sql``, the DuckDB CLI and
anyone else.

Readers never open the writer's state database (DuckDB would refuse while a run holds it).
Every view is built from one manifest (warehouse/manifest.py): an explicit list of the
committed files of one committed state, with the state snapshots of that same moment. So
a query that joins ``stories`` with ``appearances`` or ``runs`` reads one snapshot, never
a mix, and a file a writer adds, compacts away or quarantines meanwhile changes nothing
for it. Two ways in:

- ``open_reader``: an in-memory connection with the views of the current manifest, built
  on open from the data dir's own lake (paths in the manifest are relative to the lake),
  so a copied or moved data dir reads its own files.
- ``data/newswire.duckdb``: a views-only catalogue the writer rebuilds after each run and
  swaps in atomically, for the DuckDB CLI. It is pinned to the manifest it was built
  from; once a newer one is current, every query on a connection that still has the old
  file open fails with "reopen" instead of silently answering from an old state.

On open the reader compares each listed file's size with the manifest (one listing per
table): a file that is missing or truncated is named in a warning and left out, and the
other tables and files keep answering (the writer quarantines it; warehouse/ledger.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from newswire.warehouse import arrow_columns, story_links, versions
from newswire.warehouse import manifest as manifests
from newswire.warehouse.lake import as_store, has_files, table_glob
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.schema import SCHEMA_VERSION, TABLES

log = logging.getLogger("newswire.warehouse")

CATALOG_FILE = "newswire.duckdb"
# The writer's lock file (warehouse/writer.py's LOCK_FILE).
WRITER_LOCK = "writer.lock"
STATE_SNAPSHOTS = tuple(manifests.STATE_SNAPSHOTS)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_columns(con: duckdb.DuckDBPyConnection, files_sql: str, spec) -> list[str]:
    """The schema's columns as the table's files have them (their footers only), with a
    typed NULL for a column no file has yet: a lake written by an older version still
    reads through the current views, and ``newswire migrate`` needs no file rewrite for
    added columns. Only the schema's columns: a stray file can never widen a view."""
    rows = con.execute(f"SELECT DISTINCT name FROM parquet_schema({files_sql})").fetchall()
    present = {name for (name,) in rows}
    columns = []
    for field in spec.schema:
        if field.name in present:
            columns.append(f'"{field.name}"')
            continue
        duck_type = con.from_arrow(
            arrow_columns.table({field.name: arrow_columns.column([], type=field.type)})
        ).types[0]
        columns.append(f'CAST(NULL AS {duck_type}) AS "{field.name}"')
    return columns


def _scan(con: duckdb.DuckDBPyConnection, files_sql: str, table: str, where: str = "") -> str:
    spec = TABLES[table]
    columns = ", ".join([*_file_columns(con, files_sql, spec), f'"{spec.partition}"'])
    return (
        f"(SELECT {columns} FROM read_parquet({files_sql}, hive_partitioning = true, "
        f"union_by_name = true, hive_types = {{'date': DATE}}){where})"
    )


def _latest(source: str, key: str) -> str:
    return f"SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY revision DESC) = 1"


def view_definitions(sources: dict[str, str]) -> dict[str, str]:
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


def _empty_source(con: duckdb.DuckDBPyConnection, name: str, as_table: bool) -> str:
    spec = TABLES[name]
    empty_name = f"_empty_{name}"
    empty = arrow_columns.table(
        {f.name: arrow_columns.column([], type=f.type) for f in spec.schema}
        | {spec.partition: arrow_columns.column([], type=pa.date32())}
    )
    if as_table:
        con.register("_arrow_empty", empty)
        con.execute(f"CREATE OR REPLACE TABLE {empty_name} AS SELECT * FROM _arrow_empty")
        con.unregister("_arrow_empty")
    else:
        con.register(empty_name, empty)
    return empty_name


def _pinned_manifest(store: LakeStore, version: int | None):
    """The manifest to read (current, or ``version``) and its readable files. A file
    missing from the current manifest because a writer has moved on since (a compaction
    moved it out) is no damage: take the newer manifest instead, so a reader never gets
    a partial state."""
    for attempt in range(12):
        manifest = (
            manifests.read_current(store) if version is None else manifests.read_version(store, version)
        )
        if manifest is None:
            return None, {}
        files, problems = readable_files(store, manifest)
        if not problems or version is not None:
            break
        if manifests.current_version(store) == manifest.version:
            if attempt >= 8:
                break  # still current after ~2 s: real damage, not a publish in progress
            time.sleep(0.25)  # a compaction mid-publish swaps its manifest in milliseconds
    for problem in problems:
        log.warning("%s", problem)
    for damage in manifest.quarantined:
        log.warning("lake file %s is quarantined (%s): its rows are left out", damage.path, damage.reason)
    return manifest, files


def readable_files(store: LakeStore, manifest: manifests.Manifest) -> tuple[dict[str, list[str]], list[str]]:
    """table -> the manifest's files that are there at their committed size (one listing
    per table), and what is wrong with the others (left out)."""
    problems: list[str] = []
    by_table: dict[str, list[str]] = {name: [] for name in TABLES}
    for table in by_table:
        listed = manifest.files_of(table)
        if not listed:
            continue
        sizes = {f.path: f.size for f in store.list_files(table)}
        for file in listed:
            size = sizes.get(file.path)
            if size == file.size:
                by_table[table].append(file.path)
                continue
            state = "missing" if size is None else f"{size} bytes, committed with {file.size}"
            problems.append(
                f"lake file {file.path} is {state}: left out of the views "
                "(the next ingest or maintain quarantines it)"
            )
    return by_table, problems


def _guard(store: LakeStore, version: int) -> str:
    """A condition every catalogue view carries: true while its manifest is current, an
    error telling the reader to reopen once a newer one is."""
    pointer = _quote(store.uri(manifests.CURRENT))
    message = _quote(
        f"newswire: this catalogue shows snapshot {version} of the lake at {store.url}, which has "
        "moved on (a run committed since it was opened): reopen newswire.duckdb. (If this data "
        "directory was copied or moved, run any newswire command on it to rebuild its catalogue.)"
    )
    return (
        f" WHERE (SELECT CASE WHEN max(version) = {version} THEN true ELSE error({message}) END "
        f"FROM read_json({pointer}, columns = {{'version': 'BIGINT', 'manifest': 'VARCHAR'}}))"
    )


def _create_views(
    con: duckdb.DuckDBPyConnection,
    store: LakeStore,
    as_tables: bool,
    guard: bool,
    version: int | None = None,
) -> int:
    """The views of the current manifest (or of a kept older ``version``); returns its
    version (0: legacy or empty lake)."""
    store.register(con)
    manifest, files = _pinned_manifest(store, version)
    if manifest is None:
        _create_legacy_views(con, store, as_tables)
        _create_link_views(con, store)
        return 0
    where = _guard(store, manifest.version) if guard else ""
    sources = {}
    for name in TABLES:
        if files[name]:
            files_sql = "[" + ", ".join(_quote(store.uri(path)) for path in files[name]) + "]"
            sources[name] = _scan(con, files_sql, name, where)
        else:
            sources[name] = _empty_source(con, name, as_tables)
    for name, select in view_definitions(sources).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    # Which committed state this connection reads (the stress test and operators ask).
    con.execute(
        f"CREATE OR REPLACE VIEW snapshot AS SELECT {manifest.version} AS version, "
        f"CAST({_quote(manifest.written_at)} AS TIMESTAMPTZ) AS written_at"
    )
    for name, path in manifest.state.items():
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_quote(store.uri(path))}){where}"
        )
    _create_link_views(con, store)
    return manifest.version


def _create_link_views(con: duckdb.DuckDBPyConnection, store: LakeStore) -> None:
    """Cross-language and event links (docs/linking.md), over the link index's latest
    snapshots: they are not part of a manifest (links never change a story's rows)."""
    for name, select in story_links.reader_views(store).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")


def _create_legacy_views(con: duckdb.DuckDBPyConnection, store: LakeStore, as_tables: bool) -> None:
    """A lake no writer of this version has published yet (no manifest): its files, of
    the runs its runs snapshot marks published. The next writer start writes a manifest."""
    runs = store.uri("state/runs.parquet")
    has_runs = store.exists("state/runs.parquet")
    sources = {}
    for name in TABLES:
        if not (has_runs and has_files(store, name)):
            sources[name] = _empty_source(con, name, as_tables)
            continue
        published = f" WHERE run_id IN (SELECT run_id FROM read_parquet({_quote(runs)}) WHERE published)"
        sources[name] = _scan(con, _quote(table_glob(Path(store.url), name)), name, published)
    for name, select in view_definitions(sources).items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    for name in STATE_SNAPSHOTS:
        path = f"state/{name}.parquet"
        if store.exists(path):
            con.execute(
                f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_quote(store.uri(path))})"
            )


def reader_version(store: LakeStore) -> int | None:
    """The schema version readers see: the current manifest's, and the stamp on the latest
    runs snapshot (a newer writer's); the first that is not this code's wins."""
    stamps = []
    manifest = manifests.read_current(store)
    if manifest is not None:
        stamps.append(manifest.schema_version)
    if store.exists("state/runs.parquet"):
        metadata = pq.read_schema(store.full("state/runs.parquet"), filesystem=store.fs).metadata or {}
        stamps.append(int(metadata.get(versions.VERSION_KEY, b"1")))
    differing = [stamp for stamp in stamps if stamp != SCHEMA_VERSION]
    return (differing or stamps or [None])[0]


def open_reader(
    data_dir: Path, store: LakeStore | None = None, version: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the views of the lake's current manifest (or of an
    older one still kept, ``version``; view ``snapshot`` says which). Never blocks on, or
    blocks, a writer. A lake of another schema version is refused
    (``versions.SchemaVersionError``)."""
    store = store or LakeStore.for_data_dir(data_dir)
    versions.check(data_dir, reader_version(store))
    _rebuild_misplaced_catalog(Path(data_dir), store)
    con = duckdb.connect(":memory:")
    _create_views(con, store, as_tables=False, guard=False, version=version)
    return con


def open_state_reader(data_dir: Path, store: LakeStore | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with only the writer-state snapshots of the current
    manifest (``runs``, ``feed_state``): what feed health reads after every run, without
    listing the lake's files and reading their footers for views it does not use (~0.1 s
    at 100 feeds, growing with the files). A lake without a manifest gets ``open_reader``."""
    store = store or LakeStore.for_data_dir(data_dir)
    versions.check(data_dir, reader_version(store))
    manifest = manifests.read_current(store)
    if manifest is None:
        return open_reader(data_dir, store)
    con = duckdb.connect(":memory:")
    store.register(con)
    for name, path in manifest.state.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_quote(store.uri(path))})")
    return con


def _rebuild_misplaced_catalog(data_dir: Path, store: LakeStore) -> None:
    """A copied or moved data dir's catalogue still points at the old place: rebuild it
    here, unless a writer is running (it rebuilds it itself) or the dir is read-only."""
    if not catalog_is_misplaced(data_dir):
        return
    try:
        with open(data_dir / WRITER_LOCK, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            try:
                write_catalog(data_dir, store)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError as error:  # BlockingIOError: a writer holds it; or not writable
        log.info("catalogue of %s not rebuilt (%s)", data_dir, error)


def write_catalog(data_dir: Path, store: LakeStore | Path | None = None) -> Path:
    """Rebuild ``newswire.duckdb`` (views only, pinned to the current manifest) and swap it
    in atomically: a DuckDB CLI that has the old file open keeps the old inode, and its
    queries are told to reopen once the lake has moved on."""
    data_dir = Path(data_dir).resolve()
    store = as_store(store) if store is not None else LakeStore.for_data_dir(data_dir)
    target = data_dir / CATALOG_FILE
    if not store.is_local:
        # The DuckDB CLI cannot read an object store offline (no httpfs for DuckDB 2.0):
        # an object-store lake is read through `newswire sql` or ``open_reader`` (README).
        target.unlink(missing_ok=True)
        return target
    temporary = data_dir / f".{CATALOG_FILE}.tmp-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(temporary))
        try:
            _create_views(con, store, as_tables=True, guard=True)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    (data_dir / CATALOG_ORIGIN).write_text(f"{data_dir}\n")
    return target


# The data dir a catalogue was built for: a copied or moved one is rebuilt on open.
CATALOG_ORIGIN = f".{CATALOG_FILE}.origin"


def catalog_is_misplaced(data_dir: Path) -> bool:
    data_dir = Path(data_dir).resolve()
    origin = data_dir / CATALOG_ORIGIN
    if not (data_dir / CATALOG_FILE).exists():
        return False
    return not origin.is_file() or origin.read_text().strip() != str(data_dir)
