"""The persisted near-duplicate index in the writer's state database (tables in
``sql/state.sql``: ``appearance_profiles``, ``appearance_bands``).

A batch's LSH keys go in as one Arrow table and come back as candidate appearances with
their profiles in one join: the join builds its hash table on the batch side and streams
the band table once, so a batch costs one sequential scan and no per-item query. The
members of the components the batch verifies into come back with a second query, and
nothing else of the history is loaded into Python.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import pyarrow as pa

from newswire.warehouse.records import BandKey

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


def _dicts(cursor) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def candidates(con: duckdb.DuckDBPyConnection, keys: list[int]) -> list[dict[str, Any]]:
    """Every stored appearance that shares one of ``keys``, with its profile."""
    con.register("batch_band_keys", pa.table({"key": pa.array(sorted(set(keys)), pa.int64())}))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE band_hits AS
        SELECT DISTINCT b.key, b.appearance_key FROM batch_band_keys k JOIN appearance_bands b USING (key)
    """)
    con.execute(
        "DELETE FROM band_hits WHERE key IN (SELECT key FROM band_hits GROUP BY key HAVING count(*) > ?)",
        [MAX_STORIES_PER_KEY],
    )
    rows = _dicts(
        con.execute(f"""
            SELECT {", ".join("p." + c for c in MEMBER_COLUMNS)}
            FROM (SELECT DISTINCT appearance_key FROM band_hits) h
            JOIN appearance_profiles p USING (appearance_key)
        """)
    )
    con.execute("DROP TABLE band_hits")
    con.unregister("batch_band_keys")
    return rows


def members(
    con: duckdb.DuckDBPyConnection, components: list[int], story_ids: list[str]
) -> list[dict[str, Any]]:
    """Every appearance of ``components`` or of ``story_ids``, with its story's state
    (``story_revision``, ``story_representative``, ``story_first_seen``)."""
    con.register("batch_components", pa.table({"component": pa.array(components, pa.int64())}))
    con.register("batch_story_ids", pa.table({"story_id": pa.array(story_ids, pa.string())}))
    rows = _dicts(
        con.execute(f"""
            SELECT {", ".join("p." + c for c in MEMBER_COLUMNS)},
                   s.revision AS story_revision,
                   s.representative_appearance_id AS story_representative,
                   s.first_seen_at AS story_first_seen
            FROM appearance_profiles p
            LEFT JOIN story_state s USING (story_id)
            WHERE p.component IN (SELECT component FROM batch_components)
               OR p.story_id IN (SELECT story_id FROM batch_story_ids)
        """)
    )
    con.unregister("batch_components")
    con.unregister("batch_story_ids")
    return rows


def members_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {"appearance_key": pa.array([appearance_key(r["appearance_id"]) for r in rows], pa.int64())}
    for name in MEMBER_COLUMNS:
        columns[name] = pa.array([r[name] for r in rows], _TYPES.get(name, pa.string()))
    return pa.table(columns)


def bands_table(band_rows: list[BandKey]) -> pa.Table:
    # ~65 rows per appearance (10^5 rows for a large batch): columns straight from the
    # rows, no copy of them, and each appearance id hashed once, not once per row.
    keys = {aid: appearance_key(aid) for _, aid in band_rows}
    return pa.table(
        {
            "key": pa.array([key for key, _ in band_rows], pa.int64()),
            "appearance_key": pa.array([keys[aid] for _, aid in band_rows], pa.int64()),
        }
    )


def apply(
    con: duckdb.DuckDBPyConnection,
    member_rows: dict[str, dict[str, Any]],
    band_rows: list[BandKey],
    redirects: dict[str, str],
) -> None:
    """Store changed members (replacing their previous rows), add band keys, and point
    the exact keys of merged stories at the story they were merged into; runs inside the
    commit transaction. Old keys of a re-profiled appearance stay: they still point at it,
    and verification always uses its current profile."""
    if member_rows:
        con.register("new_members", members_table(list(member_rows.values())))
        con.execute("INSERT OR REPLACE INTO appearance_profiles SELECT * FROM new_members")
        con.unregister("new_members")
    if band_rows:
        con.register("new_bands", bands_table(band_rows))
        con.execute("INSERT INTO appearance_bands SELECT * FROM new_bands")
        con.unregister("new_bands")
    if redirects:
        con.register(
            "story_redirects",
            pa.table({"old": list(redirects), "new": list(redirects.values())}),
        )
        con.execute("""
            UPDATE story_keys SET story_id = r.new FROM story_redirects r WHERE story_keys.story_id = r.old
        """)
        con.unregister("story_redirects")


def bulk_load(con: duckdb.DuckDBPyConnection, table: str, data: Any) -> None:
    """Append an Arrow table (or anything DuckDB can scan) to ``appearance_profiles`` or
    ``appearance_bands`` - for benchmarks."""
    if table not in ("appearance_profiles", "appearance_bands"):
        raise ValueError(f"not an index table: {table}")
    con.register("bulk_rows", data)
    con.execute(f"INSERT INTO {table} SELECT * FROM bulk_rows")
    con.unregister("bulk_rows")


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every cluster assignment (rebuild starts from here, inside its transaction)."""
    for table in ("appearance_bands", "appearance_profiles", "story_keys", "story_state"):
        con.execute(f"DELETE FROM {table}")
