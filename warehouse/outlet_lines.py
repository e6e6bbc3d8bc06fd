"""Outlet furniture fingerprints in the writer's state database (``outlet_lines`` in
``sql/state.sql``): the history the furniture classifier learns an outlet's own lines from
(tasks/furniture.py).

Only fingerprints travel (8-byte hashes of a line's comparison form, never text). A line
seen on one item only and not again for ``FORGET_AFTER_DAYS`` is forgotten, so the table
holds an outlet's recurring lines, not every sentence it ever printed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from newswire.warehouse import arrow_columns

FORGET_AFTER_DAYS = 60


def load(con: duckdb.DuckDBPyConnection, outlet_ids: list[str]) -> dict[str, dict[str, int]]:
    """outlet id -> {fingerprint: items seen on} for the outlets given."""
    if not outlet_ids:
        return {}
    con.register(
        "wanted_outlets",
        arrow_columns.table({"outlet_id": arrow_columns.column(sorted(set(outlet_ids)), pa.string())}),
    )
    try:
        rows = con.execute(
            "SELECT l.outlet_id, l.fingerprint, l.items FROM outlet_lines l "
            "JOIN wanted_outlets w USING (outlet_id)"
        ).fetchall()
    finally:
        con.unregister("wanted_outlets")
    counts: dict[str, dict[str, int]] = {}
    for outlet_id, fingerprint, items in rows:
        counts.setdefault(outlet_id, {})[fingerprint] = items
    return counts


def apply(
    con: duckdb.DuckDBPyConnection, counts: dict[tuple[str, str], int], run_id: str, now: datetime
) -> None:
    """Add this run's sightings ((outlet id, fingerprint) -> new items) and forget lines
    seen once long ago. Runs inside the commit's transaction."""
    if not counts:
        return
    keys = list(counts)
    table = arrow_columns.table(
        {
            "outlet_id": arrow_columns.column([k[0] for k in keys], pa.string()),
            "fingerprint": arrow_columns.column([k[1] for k in keys], pa.string()),
            "items": arrow_columns.column([counts[k] for k in keys], pa.int32()),
        }
    )
    con.register("new_outlet_lines", table)
    try:
        con.execute(
            """
            INSERT INTO outlet_lines
            SELECT outlet_id, fingerprint, items, ?, ? FROM new_outlet_lines
            ON CONFLICT (outlet_id, fingerprint) DO UPDATE SET
                items = outlet_lines.items + excluded.items,
                last_run_id = excluded.last_run_id,
                last_seen_at = excluded.last_seen_at
            """,
            [run_id, now],
        )
    finally:
        con.unregister("new_outlet_lines")
    con.execute(
        "DELETE FROM outlet_lines WHERE items = 1 AND last_seen_at < ?",
        [now - timedelta(days=FORGET_AFTER_DAYS)],
    )
