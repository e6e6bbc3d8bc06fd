"""The persisted near-duplicate index in the writer's state database (tables in
``sql/state.sql``: ``appearance_profiles``, ``appearance_bands``) and the sorted run of
band keys beside it (``warehouse/band_runs.py``).

A batch's LSH keys are looked up where they are - binary search in the run, a hash join
against the small delta of recent rows - and come back as candidate appearances with
their profiles, read by primary key: the cost follows the batch's keys, not the size of
the history. The members of the components the batch verifies into come back with a
second query, and nothing else of the history is loaded into Python.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from newswire.warehouse import arrow_columns, band_runs
from newswire.warehouse.records import BandKey, BandRows

# A key shared by more appearances than this is not evidence of anything: a headline a
# desk reuses every day ("Currency exchange rates"), or a band of a boilerplate-only text.
# Its hits are dropped so one such key cannot bring thousands of candidates to every item;
# the item's other keys still find real copies.
MAX_STORIES_PER_KEY = 1000

MEMBER_COLUMNS = (
    "appearance_id",
    "component",
    "story_id",
    "fresh_story_id",
    "feed_id",
    "entry_id",
    "published_at",
    "update_level",
    "exact_keys",
    "signature",
    "shingle_count",
    "title",
    "numbers",
    "sentences",
    "wire_agency",
    "wire_original",
)
_UTC = pa.timestamp("us", tz="UTC")
_TYPES = {
    "component": pa.int64(),
    "published_at": _UTC,
    "update_level": pa.int32(),
    "exact_keys": pa.list_(pa.string()),
    "signature": pa.binary(),
    "shingle_count": pa.int32(),
    "numbers": pa.list_(pa.string()),
    "sentences": pa.list_(pa.uint32()),
    "wire_agency": pa.string(),
    "wire_original": pa.bool_(),
}


def appearance_key(appearance_id: str) -> int:
    """A 64-bit integer for an appearance id: the band table holds ~65 rows per
    appearance, and an integer there is a third of the size of the id string."""
    digest = hashlib.blake2b(appearance_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def candidates(con: duckdb.DuckDBPyConnection, keys: list[int]) -> list[dict[str, Any]]:
    """Every stored appearance that shares one of ``keys``, with its profile.

    The keys are looked up in the sorted run by binary search and joined against the
    small delta (``warehouse/band_runs.py``); the profiles of the hits are read by their
    primary key. Nothing here reads the whole index."""
    wanted = np.unique(np.asarray(keys, dtype=np.int64))
    run_keys, run_owners = band_runs.lookup(band_runs.current(con), wanted)
    con.register("batch_band_keys", arrow_columns.table({"key": arrow_columns.column(wanted, pa.int64())}))
    delta = con.execute(
        "SELECT b.key, b.appearance_key FROM batch_band_keys k JOIN appearance_bands b USING (key)"
    ).fetchnumpy()
    con.unregister("batch_band_keys")
    owners = _evidence(
        np.concatenate([run_keys, delta["key"].astype(np.int64)]),
        np.concatenate([run_owners, delta["appearance_key"].astype(np.int64)]),
    )
    return profiles(con, owners.tolist())


def _evidence(keys: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """The distinct appearances the hits name, without keys shared by more than
    ``MAX_STORIES_PER_KEY`` distinct appearances (no evidence of anything)."""
    if not len(keys):
        return owners
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order]
    distinct = np.r_[True, (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])]
    keys, owners = keys[distinct], owners[distinct]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    return np.unique(owners[np.repeat(sizes <= MAX_STORIES_PER_KEY, sizes)])


# Keys per IN list: DuckDB probes the primary-key index for an IN list of up to
# ``index_scan_max_count`` (2,048) constants and scans the table beyond that.
_POINT_LOOKUPS = 2000
# A row fetched by the index costs ~0.35 ms in ``exact_keys`` (a list of strings, whose
# compressed child segment DuckDB decodes again for every row it fetches) against ~0.1 ms
# for all the other columns together; a scan of (appearance_key, exact_keys) joined with
# the keys asked costs ~45 ns per stored row. Scanning is cheaper once more than one row
# in this many is asked for (with a margin of 4 for the estimate's error).
_SCAN_ROWS_PER_LIST_FETCH = 2000
_POINT_COLUMNS = tuple(name for name in MEMBER_COLUMNS if name != "exact_keys")


def profiles(con: duckdb.DuckDBPyConnection, owners: list[int]) -> list[dict[str, Any]]:
    """The stored rows (``MEMBER_COLUMNS``) of these appearance keys, by primary key;
    ``exact_keys`` by a scan of that column alone when many rows are asked for (a first
    poll's part asks for thousands: 27 s of a 500x50 first poll went to fetching it row by
    row, against 2.5 s now; a small steady-state batch keeps the point lookups)."""
    if not owners:
        return []
    scan_lists = len(owners) * _SCAN_ROWS_PER_LIST_FETCH >= _estimated_rows(con)
    point_columns = _POINT_COLUMNS if scan_lists else MEMBER_COLUMNS
    found: list[tuple] = []
    for start in range(0, len(owners), _POINT_LOOKUPS):
        chunk = ", ".join(str(int(key)) for key in owners[start : start + _POINT_LOOKUPS])
        found += con.execute(
            f"SELECT appearance_key, {', '.join(point_columns)} FROM appearance_profiles "
            f"WHERE appearance_key IN ({chunk})"
        ).fetchall()
    if not scan_lists:
        return [dict(zip(MEMBER_COLUMNS, row[1:], strict=True)) for row in found]
    exact_keys = dict(
        con.execute(
            "SELECT appearance_key, exact_keys FROM appearance_profiles "
            "WHERE appearance_key IN (SELECT unnest(?::BIGINT[]))",
            [[int(key) for key in owners]],
        ).fetchall()
    )
    rows = []
    for key, *values in found:
        row = dict(zip(point_columns, values, strict=True))
        rows.append({name: exact_keys[key] if name == "exact_keys" else row[name] for name in MEMBER_COLUMNS})
    return rows


def _estimated_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows in ``appearance_profiles`` as DuckDB's catalogue estimates them (no scan)."""
    found = con.execute(
        "SELECT estimated_size FROM duckdb_tables() "
        "WHERE database_name = current_database() AND table_name = 'appearance_profiles'"
    ).fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def members(
    con: duckdb.DuckDBPyConnection, components: list[int], story_ids: list[str]
) -> list[dict[str, Any]]:
    """Every appearance of ``components`` or of ``story_ids``, with its story's state
    (``story_revision``, ``story_representative``, ``story_first_seen``).

    In three narrow steps, because a query that selects the wide columns (signature,
    lists) while it filters reads them for the whole table: which appearance keys (two
    columns scanned), their rows by key, their stories' state by id."""
    con.register(
        "batch_components", arrow_columns.table({"component": arrow_columns.column(components, pa.int64())})
    )
    con.register(
        "batch_story_ids", arrow_columns.table({"story_id": arrow_columns.column(story_ids, pa.string())})
    )
    # Only the columns asked about are scanned: no story ids (a batch of new stories), no
    # scan of the story id strings.
    wanted = [
        condition
        for condition, values in (
            ("component IN (SELECT component FROM batch_components)", components),
            ("story_id IN (SELECT story_id FROM batch_story_ids)", story_ids),
        )
        if values
    ]
    owners = con.execute(
        f"SELECT appearance_key FROM appearance_profiles WHERE {' OR '.join(wanted) or 'false'}"
    ).fetchnumpy()["appearance_key"]
    con.unregister("batch_components")
    con.unregister("batch_story_ids")
    rows = profiles(con, owners.tolist())
    con.register("member_story_ids", arrow_columns.table({"story_id": sorted({r["story_id"] for r in rows})}))
    states = {
        story_id: (revision, representative, first_seen)
        for story_id, revision, representative, first_seen in con.execute("""
            SELECT story_id, revision, representative_appearance_id, first_seen_at FROM story_state
            WHERE story_id IN (SELECT story_id FROM member_story_ids)
        """).fetchall()
    }
    con.unregister("member_story_ids")
    for row in rows:
        row["story_revision"], row["story_representative"], row["story_first_seen"] = states.get(
            row["story_id"], (None, None, None)
        )
    return rows


def members_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {
        "appearance_key": arrow_columns.column([appearance_key(r["appearance_id"]) for r in rows], pa.int64())
    }
    for name in MEMBER_COLUMNS:
        columns[name] = arrow_columns.column([r[name] for r in rows], _TYPES.get(name, pa.string()))
    return arrow_columns.table(columns)


def bands_table(band_rows: BandRows | list[BandKey]) -> pa.Table:
    """~65 rows per appearance (10^6 for a large first poll): each appearance id hashed
    once, not once per row; ``BandRows`` arrays go in without a Python object per row."""
    if not isinstance(band_rows, BandRows):
        ids = sorted({aid for _, aid in band_rows})
        position = {aid: n for n, aid in enumerate(ids)}
        band_rows = BandRows(
            np.asarray([key for key, _ in band_rows], dtype=np.int64),
            np.asarray([position[aid] for _, aid in band_rows], dtype=np.int64),
            ids,
        )
    owners = np.asarray([appearance_key(aid) for aid in band_rows.appearance_ids], dtype=np.int64)
    return arrow_columns.table(
        {
            "key": arrow_columns.column(np.asarray(band_rows.keys, dtype=np.int64), pa.int64()),
            "appearance_key": arrow_columns.column(
                owners[band_rows.owners] if len(owners) else owners, pa.int64()
            ),
        }
    )


def apply(
    con: duckdb.DuckDBPyConnection,
    member_rows: dict[str, dict[str, Any]],
    band_rows: BandRows | list[BandKey],
    redirects: dict[str, str],
) -> None:
    """Store changed members (replacing their previous rows), add band keys, and point
    the exact keys of merged stories at the story they were merged into; runs inside the
    commit transaction. Old keys of a re-profiled appearance stay: they still point at it,
    and verification always uses its current profile."""
    if member_rows:
        # Delete, then insert: DuckDB's INSERT OR REPLACE of a row that exists costs ~2 ms
        # (it rewrites the list columns in place), 270x the delete and insert of the same
        # rows (5,000 stored rows replaced: 9.8 -> 0.04 s), and a batch that joins stored
        # stories replaces every member it moves.
        con.register("new_members", members_table(list(member_rows.values())))
        con.execute(
            "DELETE FROM appearance_profiles WHERE appearance_key IN (SELECT appearance_key FROM new_members)"
        )
        con.execute("INSERT INTO appearance_profiles SELECT * FROM new_members")
        con.unregister("new_members")
    if len(band_rows):
        con.register("new_bands", bands_table(band_rows))
        con.execute("INSERT INTO appearance_bands SELECT * FROM new_bands")
        con.unregister("new_bands")
        if band_runs.delta_rows(con) > band_runs.COMPACT_ROWS:
            band_runs.compact(con)
    if redirects:
        con.register(
            "story_redirects",
            arrow_columns.table({"old": list(redirects), "new": list(redirects.values())}),
        )
        con.execute("""
            UPDATE story_keys SET story_id = r.new FROM story_redirects r WHERE story_keys.story_id = r.old
        """)
        con.unregister("story_redirects")


def bulk_load(con: duckdb.DuckDBPyConnection, table: str, data: Any) -> None:
    """Append an Arrow table (or anything DuckDB can scan) to ``appearance_profiles`` or
    ``appearance_bands`` - for benchmarks, which then ``compact`` once."""
    if table not in ("appearance_profiles", "appearance_bands"):
        raise ValueError(f"not an index table: {table}")
    con.register("bulk_rows", data)
    con.execute(f"INSERT INTO {table} SELECT * FROM bulk_rows")
    con.unregister("bulk_rows")


def compact(con: duckdb.DuckDBPyConnection) -> None:
    """Merge the recent band rows into the sorted run now, in the caller's transaction
    (``apply`` does it by itself past ``band_runs.COMPACT_ROWS``)."""
    band_runs.compact(con)


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every cluster assignment (rebuild starts from here, inside its transaction)."""
    for table in ("appearance_bands", "appearance_profiles", "story_keys", "story_state"):
        con.execute(f"DELETE FROM {table}")
    band_runs.reset(con)
