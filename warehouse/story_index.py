"""The persisted near-duplicate index in the writer's state database (tables in
``sql/state.sql``: ``story_profiles``, ``story_bands``).

A batch's LSH keys go in as one Arrow table and come back as candidate stories with their
verification profiles in two joins: the join builds its hash table on the batch side and
streams the band table once, so a batch costs one sequential scan and no per-item query,
and nothing of the history is loaded into Python beyond the candidates.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.records import BandKey, StoredProfile, StoryCandidates, StoryState

# A key shared by more stories than this is not evidence of anything: a headline a desk
# reuses every day ("Currency exchange rates"), or a band of a boilerplate-only text. Its
# hits are dropped so one such key cannot bring thousands of candidates to every item; the
# item's other keys still find real copies.
MAX_STORIES_PER_KEY = 1000

PROFILE_COLUMNS = StoredProfile._fields


def story_key(story_id: str) -> int:
    """A 64-bit integer for a story id: the band table holds ~65 rows per story, and an
    integer there is a third of the size of the id string."""
    return int.from_bytes(hashlib.blake2b(story_id.encode(), digest_size=8).digest(), "little", signed=True)


def lookup(con: duckdb.DuckDBPyConnection, keys: list[int]) -> StoryCandidates:
    """Candidates for a batch's keys: (key, story_id) hits, the profile of every story hit,
    and its story_state."""
    con.register("batch_band_keys", pa.table({"key": pa.array(sorted(set(keys)), pa.int64())}))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE band_hits AS
        SELECT DISTINCT b.key, b.story_key FROM batch_band_keys k JOIN story_bands b USING (key)
    """)
    con.execute(
        "DELETE FROM band_hits WHERE key IN (SELECT key FROM band_hits GROUP BY key HAVING count(*) > ?)",
        [MAX_STORIES_PER_KEY],
    )
    hits = con.execute("""
        SELECT h.key, p.story_id FROM band_hits h JOIN story_profiles p USING (story_key)
    """).fetchall()
    rows = con.execute(f"""
        SELECT p.story_id, {", ".join("p." + c for c in PROFILE_COLUMNS)},
               s.revision, s.representative_appearance_id, s.first_seen_at
        FROM (SELECT DISTINCT story_key FROM band_hits) h
        JOIN story_profiles p USING (story_key)
        LEFT JOIN story_state s USING (story_id)
    """).fetchall()
    con.execute("DROP TABLE band_hits")
    con.unregister("batch_band_keys")
    width = len(PROFILE_COLUMNS)
    return StoryCandidates(
        hits=[BandKey(*hit) for hit in hits],
        profiles={r[0]: StoredProfile(*r[1 : width + 1]) for r in rows},
        stories={r[0]: StoryState(*r[width + 1 :]) for r in rows if r[width + 1] is not None},
    )


def profiles_table(profiles: dict[str, StoredProfile]) -> pa.Table:
    ids = list(profiles)
    values = [StoredProfile(*v) for v in profiles.values()]
    return pa.table(
        {
            "story_key": pa.array([story_key(i) for i in ids], pa.int64()),
            "story_id": ids,
            "signature": pa.array([v.signature for v in values], pa.binary()),
            "shingle_count": pa.array([v.shingle_count for v in values], pa.int32()),
            "title": [v.title for v in values],
            "numbers": pa.array([list(v.numbers) for v in values], pa.list_(pa.string())),
            "sentences": pa.array([list(v.sentences) for v in values], pa.list_(pa.uint32())),
            "wire_agency": pa.array([v.wire_agency for v in values], pa.string()),
            "wire_original": pa.array([v.wire_original for v in values], pa.bool_()),
        }
    )


def bands_table(band_rows: list[BandKey]) -> pa.Table:
    # ~65 rows per story (10^5 rows for a large batch): columns straight from the rows,
    # no copy of them, and each story id hashed once, not once per row.
    story_keys = {story_id: story_key(story_id) for _, story_id in band_rows}
    return pa.table(
        {
            "key": pa.array([key for key, _ in band_rows], pa.int64()),
            "story_key": pa.array([story_keys[story_id] for _, story_id in band_rows], pa.int64()),
        }
    )


def apply(
    con: duckdb.DuckDBPyConnection, profiles: dict[str, StoredProfile], band_rows: list[BandKey]
) -> None:
    """Store changed profiles (replacing a story's previous one) and add band keys; runs
    inside the commit transaction. Old keys of a re-profiled story stay: they still point
    at the story, and verification always uses the current profile."""
    if profiles:
        con.register("new_story_profiles", profiles_table(profiles))
        con.execute("INSERT OR REPLACE INTO story_profiles SELECT * FROM new_story_profiles")
        con.unregister("new_story_profiles")
    if band_rows:
        con.register("new_story_bands", bands_table(band_rows))
        con.execute("INSERT INTO story_bands SELECT * FROM new_story_bands")
        con.unregister("new_story_bands")


def bulk_load(con: duckdb.DuckDBPyConnection, table: str, data: Any) -> None:
    """Append an Arrow table (or anything DuckDB can scan) to ``story_profiles`` or
    ``story_bands`` - for rebuilds and benchmarks."""
    if table not in ("story_profiles", "story_bands"):
        raise ValueError(f"not an index table: {table}")
    con.register("bulk_rows", data)
    con.execute(f"INSERT INTO {table} SELECT * FROM bulk_rows")
    con.unregister("bulk_rows")


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every cluster assignment (rebuild starts from here, inside its transaction)."""
    for table in ("story_bands", "story_profiles", "story_keys", "story_state"):
        con.execute(f"DELETE FROM {table}")
