"""Feed health for operators: which feeds are failing or dormant, since when, and why.

Read from the ``feed_state`` snapshot the writer exports after every run, so it works while
an ingest is running. Shown by ``newswire feeds health`` and published as the Prefect
artifact ``feed-health`` by every ingest and maintain run (flows/run.py).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from warehouse.records import ArchivedPayload
from warehouse.views import open_reader

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
    con = open_reader(data_dir)
    try:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        if "feed_state" not in views:
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


def current_stories(data_dir: Path) -> dict[str, tuple[int, str]]:
    """story_id -> (revision, representative_appearance_id) of every story ever written."""
    con = open_reader(data_dir)
    try:
        rows = con.execute(
            "SELECT story_id, revision, representative_appearance_id FROM stories_all"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: (r[1], r[2]) for r in rows}


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
