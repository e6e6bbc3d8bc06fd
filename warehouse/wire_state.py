"""Writer-side state of wire sources: versions loaded per guid, files picked up from drop
directories. Read under the writer lock before a batch is planned; written inside the
run's commit transaction (``Warehouse.commit``), so a crash never half-records a file."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from newswire.warehouse import arrow_columns
from newswire.warehouse.records import PickedUpFile

DROP_FILE_COLUMNS = ("path", "sha256", "feed_id", "size", "mtime_ns", "fetch_id", "picked_up_at", "run_id")


def known_versions(con: duckdb.DuckDBPyConnection, guids: list[str]) -> dict[str, int]:
    if not guids:
        return {}
    con.register(
        "batch_guids", arrow_columns.table({"guid": arrow_columns.column(sorted(set(guids)), pa.string())})
    )
    rows = con.execute(
        "SELECT v.guid, v.wire_version FROM batch_guids b JOIN wire_versions v USING (guid)"
    ).fetchall()
    con.unregister("batch_guids")
    return dict(rows)


def known_drop_files(
    con: duckdb.DuckDBPyConnection, feed_ids: list[str]
) -> dict[str, dict[str, list[PickedUpFile]]]:
    """feed_id -> path -> every version of the file picked up."""
    if not feed_ids:
        return {}
    con.register(
        "drop_feed_ids", arrow_columns.table({"feed_id": arrow_columns.column(feed_ids, pa.string())})
    )
    rows = con.execute(
        "SELECT d.feed_id, d.path, d.sha256, d.size, d.mtime_ns "
        "FROM drop_feed_ids f JOIN drop_files d USING (feed_id)"
    ).fetchall()
    con.unregister("drop_feed_ids")
    known: dict[str, dict[str, list[PickedUpFile]]] = {}
    for feed_id, path, sha256, size, mtime_ns in rows:
        known.setdefault(feed_id, {}).setdefault(path, []).append(PickedUpFile(sha256, size, mtime_ns))
    return known


def apply(
    con: duckdb.DuckDBPyConnection,
    wire_versions: dict[str, int],
    drop_files: list[dict[str, Any]],
    run_id: str,
) -> None:
    """Inside the commit transaction: remember loaded versions (never lowering one) and
    the drop files this run picked up."""
    if wire_versions:
        con.register(
            "new_wire_versions",
            arrow_columns.table(
                {
                    "guid": list(wire_versions),
                    "wire_version": arrow_columns.column(list(wire_versions.values()), pa.int32()),
                }
            ),
        )
        con.execute(
            """
            INSERT INTO wire_versions
            SELECT guid, wire_version, ? FROM new_wire_versions
            ON CONFLICT (guid) DO UPDATE SET
                wire_version = greatest(wire_versions.wire_version, excluded.wire_version),
                updated_run_id = excluded.updated_run_id
            """,
            [run_id],
        )
        con.unregister("new_wire_versions")
    if drop_files:
        con.register(
            "new_drop_files",
            arrow_columns.table(
                {
                    "path": [row["path"] for row in drop_files],
                    "sha256": [row["sha256"] for row in drop_files],
                    "feed_id": [row["feed_id"] for row in drop_files],
                    "size": arrow_columns.column([row["size"] for row in drop_files], pa.int64()),
                    "mtime_ns": arrow_columns.column([row["mtime_ns"] for row in drop_files], pa.int64()),
                    "fetch_id": [row.get("fetch_id") for row in drop_files],
                    "picked_up_at": arrow_columns.column(
                        [row["picked_up_at"] for row in drop_files], pa.timestamp("us", tz="UTC")
                    ),
                }
            ),
        )
        con.execute(
            f"INSERT OR REPLACE INTO drop_files ({', '.join(DROP_FILE_COLUMNS)}) "
            "SELECT path, sha256, feed_id, size, mtime_ns, fetch_id, picked_up_at, ? FROM new_drop_files",
            [run_id],
        )
        con.unregister("new_drop_files")
