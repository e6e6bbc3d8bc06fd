"""Reads of the writer's state a run makes before it plans: the feeds' poll state, and a
batch's slice of history — the appearances and stories its exact keys reach and the wire
versions loaded for its guids — in one connection. (Near-duplicate candidates and the
components they lead to are read by the re-clustering itself, tasks/recluster.py, through
``Warehouse.cluster_candidates`` / ``cluster_members``: which components to read depends
on the verification of the candidates.)

Joins are driven by the batch (its keys as a registered Arrow table), so a batch costs a
few joins however large the history is, and nothing else of it is loaded into Python.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from newswire.warehouse import arrow_columns, wire_state
from newswire.warehouse.records import StoredAppearance, StoredHistory, StoryState


def feed_states(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """feed_id -> the feed's state row, keyed by the columns of feed_state (sql/state.sql)."""
    cursor = con.execute("SELECT * FROM feed_state")
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def read_history(
    con: duckdb.DuckDBPyConnection,
    appearance_keys: list[tuple[str, str]],
    story_keys: list[str],
    guids: list[str] = (),
) -> StoredHistory:
    """The history a batch touches: what its exact keys reach, and its wire versions."""
    found = exact_history(con, appearance_keys, story_keys)
    found.wire_versions = wire_state.known_versions(con, list(guids))
    return found


def exact_history(
    con: duckdb.DuckDBPyConnection, appearance_keys: list[tuple[str, str]], story_keys: list[str]
) -> StoredHistory:
    """Appearances and stories reached by a batch's exact keys, in three joins."""
    con.register(
        "batch_appearance_keys",
        arrow_columns.table(
            {
                "feed_id": arrow_columns.column([k[0] for k in appearance_keys], pa.string()),
                "key": arrow_columns.column([k[1] for k in appearance_keys], pa.string()),
            }
        ),
    )
    con.register(
        "batch_story_keys", arrow_columns.table({"key": arrow_columns.column(story_keys, pa.string())})
    )
    appearance_rows = con.execute("""
        SELECT k.feed_id, k.key, s.appearance_id, s.revision, s.content_hash, s.story_id, s.first_seen_at
        FROM batch_appearance_keys b
        JOIN appearance_keys k USING (feed_id, key)
        JOIN appearance_state s USING (appearance_id)
    """).fetchall()
    story_key_rows = con.execute(
        "SELECT k.key, k.story_id FROM batch_story_keys b JOIN story_keys k USING (key)"
    ).fetchall()
    appearances = {(r[0], r[1]): StoredAppearance(*r[2:]) for r in appearance_rows}
    story_ids = sorted({a.story_id for a in appearances.values()} | {r[1] for r in story_key_rows})
    con.register(
        "batch_story_ids", arrow_columns.table({"story_id": arrow_columns.column(story_ids, pa.string())})
    )
    story_rows = con.execute("""
        SELECT s.story_id, s.revision, s.representative_appearance_id, s.first_seen_at
        FROM batch_story_ids b JOIN story_state s USING (story_id)
    """).fetchall()
    for name in ("batch_appearance_keys", "batch_story_keys", "batch_story_ids"):
        con.unregister(name)
    return StoredHistory(
        appearances_by_key=appearances,
        story_ids_by_key=dict(story_key_rows),
        stories={r[0]: StoryState(*r[1:]) for r in story_rows},
    )
