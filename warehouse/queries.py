"""Feed health for operators: which feeds are failing or dormant, since when, and why.

Read from the ``feed_state`` snapshot the writer exports after every run, so it works while
an ingest is running. Shown by ``newswire feeds health`` and published as the Prefect
artifact ``feed-health`` by every ingest and maintain run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def publish_feed_health_artifact(data_dir: Path) -> list[dict[str, Any]]:
    from prefect.artifacts import create_table_artifact

    rows = feed_health(data_dir)
    create_table_artifact(
        key="feed-health",
        table=[{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
        or [{"feed_id": "", "health": "all feeds active"}],
        description=f"{sum(r['health'] == 'dormant' for r in rows)} dormant, "
        f"{sum(r['health'] == 'failing' for r in rows)} failing feeds. Dormant feeds are still "
        "retried daily; fix or remove them in the catalogue.",
    )
    return rows
