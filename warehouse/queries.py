"""Every read-side query of the lake, in one place: feed health, what the CLI shows, the
rows a dedupe rebuild and an archive replay start from.

All of them go through the reader connection (warehouse/views.py: views over the Parquet
lake and the state snapshots the writer exports after every run), never the writer's
database, so they answer while an ingest is running (STACK-NOTES.md).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from newswire.warehouse import arrow_columns
from newswire.warehouse.records import ArchivedPayload, StoryState
from newswire.warehouse.views import open_reader, open_state_reader

HEALTH_QUERY = """
SELECT feed_id, health, consecutive_failures AS failures, last_status AS status,
       last_error_kind AS error_kind, last_error, last_success_at, next_poll_at,
       round(poll_interval_minutes, 1) AS interval_min,
       CASE WHEN current_url IS NOT NULL AND current_url <> url THEN current_url END AS moved_to
FROM feed_state
{where}
ORDER BY CASE health WHEN 'dormant' THEN 0 WHEN 'failing' THEN 1 ELSE 2 END,
         consecutive_failures DESC, feed_id
"""


def feed_health(data_dir: Path, include_active: bool = False) -> list[dict[str, Any]]:
    """One dict per feed (failing and dormant ones only, unless ``include_active``)."""
    con = open_state_reader(data_dir)
    try:
        if "feed_state" not in _views(con):
            return []
        where = "" if include_active else "WHERE health <> 'active' OR current_url <> url"
        result = con.execute(HEALTH_QUERY.format(where=where))
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    finally:
        con.close()


def current_appearances(data_dir: Path) -> list[dict[str, Any]]:
    """Every appearance's latest revision as a dict of its columns, oldest first (for the
    dedupe rebuild)."""
    con = open_reader(data_dir)
    try:
        cursor = con.execute("SELECT * FROM appearances ORDER BY published_at, feed_id, entry_id")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def current_stories(data_dir: Path) -> dict[str, StoryState]:
    """story_id -> the latest revision of every story ever written and not merged into
    another."""
    con = open_reader(data_dir)
    try:
        rows = con.execute(
            "SELECT story_id, revision, representative_appearance_id, first_seen_at FROM stories_all "
            "WHERE merged_into IS NULL"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: StoryState(*r[1:]) for r in rows}


# The lake rows a re-clustering rewrites (tasks/recluster.py): view and id column.
_CURRENT_ROWS = {"appearances": ("appearances", "appearance_id"), "stories": ("stories_all", "story_id")}


def current_rows(data_dir: Path, table: str, ids: list[str]) -> list[dict[str, Any]]:
    """The current (latest-revision) lake rows of ``ids`` in ``appearances`` or
    ``stories_all``: what a re-clustering rewrites with a new story or ``merged_into``.
    Read through the views, so only published runs count."""
    view, key = _CURRENT_ROWS[table]
    con = open_reader(data_dir)
    try:
        con.register("wanted_ids", arrow_columns.table({key: arrow_columns.column(ids, pa.string())}))
        cursor = con.execute(
            f"SELECT * EXCLUDE (date) FROM {view} WHERE {key} IN (SELECT {key} FROM wanted_ids)"
        )
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def archived_payloads(data_dir: Path, feed_ids: list[str], since: datetime) -> list[ArchivedPayload]:
    """Each distinct raw payload of these feeds fetched successfully since ``since``, with
    its first fetch's time, URL and content type, oldest first."""
    con = open_reader(data_dir)
    try:
        rows = con.execute(
            """
            SELECT feed_id, body_sha256, arg_min(fetched_at, fetched_at) AS fetched_at,
                   arg_min(coalesce(final_url, url), fetched_at) AS url,
                   arg_min(content_type, fetched_at) AS content_type
            FROM fetches
            WHERE body_sha256 IS NOT NULL AND error IS NULL AND fetched_at >= ?
              AND list_contains(?, feed_id)
            GROUP BY feed_id, body_sha256
            ORDER BY fetched_at
            """,
            [since, feed_ids],
        ).fetchall()
    finally:
        con.close()
    return [ArchivedPayload(*row) for row in rows]


# -- what the CLI shows ------------------------------------------------------------------

# `newswire demo`: the stories with the most copies, then who wrote them.
DEMO_QUERY = """
SELECT title, appearance_count AS copies, outlets, strftime(published_at, '%Y-%m-%d %H:%M') AS published
FROM stories
ORDER BY appearance_count DESC, published_guessed, published_at DESC
LIMIT 8
""".strip()

DEMO_ENRICHMENT_QUERY = """
SELECT coalesce(wire_agency, '(' || origin || ')') AS agency, count(*) AS stories,
       count(*) FILTER (WHERE in_region) AS in_region, count(*) FILTER (WHERE syndicated) AS republished
FROM stories GROUP BY ALL ORDER BY stories DESC LIMIT 8
""".strip()

TOTALS_QUERY = (
    "SELECT (SELECT count(*) FROM stories) AS stories, (SELECT count(*) FROM appearances) AS appearances"
)

# `newswire stats`: what the lake holds, the last runs of every flow, failing feeds. A
# run's `errors` is a JSON object {feed_id: message}, so it is counted by its keys.
WAREHOUSE_STATS_QUERY = """
SELECT (SELECT count(*) FROM stories) AS stories,
       (SELECT count(*) FROM appearances) AS appearances,
       (SELECT count(DISTINCT feed_id) FROM appearances) AS feeds_with_items,
       (SELECT count(*) FROM fetches) AS fetches,
       (SELECT min(published_at)::DATE FROM stories) AS oldest,
       (SELECT max(published_at)::DATE FROM stories) AS newest
"""

RECENT_RUNS_QUERY = """
SELECT run_id, flow, strftime(committed_at, '%m-%d %H:%M') AS "when",
       summary->>'feeds_polled' AS feeds, summary->>'not_modified' AS "304",
       summary->>'new_appearances' AS new, summary->>'new_stories' AS stories,
       summary->>'duplicates_merged' AS merged,
       coalesce(len(json_keys(summary->'errors')), 0) AS errors
FROM runs ORDER BY committed_at DESC LIMIT 10
"""

FAILING_FEEDS_QUERY = """
SELECT feed_id, health, consecutive_failures AS failures, last_status, last_error
FROM feed_state WHERE last_error IS NOT NULL ORDER BY consecutive_failures DESC, feed_id
"""

# `newswire dedupe`: the near-duplicate clusters.
CLUSTER_STATS_QUERY = """
SELECT count(*) AS stories,
       count(*) FILTER (WHERE appearance_count > 1) AS with_copies,
       count(*) FILTER (WHERE len(outlets) > 1) AS multi_outlet,
       coalesce(max(appearance_count), 0) AS largest
FROM stories
"""


def run_query(data_dir: Path, query: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a read-only query over the lake's views."""
    con = open_reader(data_dir)
    try:
        result = con.execute(query)
        columns = [d[0] for d in result.description] if result.description else []
        return columns, result.fetchall()
    finally:
        con.close()


def _views(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}


def has_state_snapshots(data_dir: Path) -> bool:
    """The writer has exported its state tables (runs, feed_state) at least once."""
    con = open_reader(data_dir)
    try:
        return _views(con) >= {"runs", "feed_state"}
    finally:
        con.close()


def stored_appearance_columns(
    data_dir: Path, keys: list[tuple[str, str]], columns: tuple[str, ...]
) -> dict[tuple[str, str], dict]:
    """(feed id, entry id) -> the named columns of that appearance's current row, for the
    keys given (one join against the ``appearances`` view, which reads a column older
    files lack as null)."""
    if not keys:
        return {}
    con = open_reader(Path(data_dir))
    try:
        wanted = arrow_columns.table(
            {"feed_id": [k[0] for k in keys], "entry_id": [k[1] for k in keys]},
            schema=pa.schema([("feed_id", pa.string()), ("entry_id", pa.string())]),
        )
        con.register("wanted_entries", wanted)
        select = ", ".join(f"a.{c}" for c in columns)
        rows = con.execute(
            f"SELECT a.feed_id, a.entry_id, {select} FROM appearances a "
            "JOIN wanted_entries w ON a.feed_id = w.feed_id AND a.entry_id = w.entry_id"
        ).fetchall()
    finally:
        con.close()
    return {(row[0], row[1]): dict(zip(columns, row[2:], strict=True)) for row in rows}


# Links per kind and the events they make, over the reader views (live stories only).
LINK_STATS_QUERY = """
SELECT l.kind, count(*) AS links
FROM story_links AS l
JOIN stories AS a ON a.story_id = l.story_id
JOIN stories AS b ON b.story_id = l.other_story_id
GROUP BY l.kind
UNION ALL
SELECT 'events (2+ stories)', count(*) FROM events
ORDER BY 1
"""
