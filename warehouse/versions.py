"""The warehouse's schema version: where it is recorded, and the check every writer and
reader makes on open.

The writer's state (``meta.schema_version`` in ``state/writer.duckdb``) is the truth; the
writer stamps it into every Parquet file it writes, so readers — who must not open the
state — read it from the ``runs`` snapshot (``lake/state/runs.parquet``), rewritten after
every run and by ``newswire migrate``. A warehouse older than the code is refused until
``newswire migrate`` has upgraded it; one newer than the code is refused outright: an old
newswire must not write rows a newer layout does not expect.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from newswire.warehouse.schema import SCHEMA_VERSION

VERSION_KEY = b"newswire.schema_version"


class SchemaVersionError(RuntimeError):
    """The warehouse's schema version is not the one this code reads and writes."""

    def __init__(self, data_dir: Path, found: int, expected: int = SCHEMA_VERSION):
        self.data_dir, self.found, self.expected = Path(data_dir), found, expected
        if found < expected:
            advice = f"run `newswire migrate --data-dir {data_dir}` to upgrade it (forward, in place)"
            relation = "older than"
        else:
            advice = "upgrade newswire (or use the newswire that wrote it); nothing was changed"
            relation = "newer than"
        super().__init__(
            f"the warehouse at {data_dir} is schema version {found}, {relation} this newswire's "
            f"schema version {expected}: {advice}"
        )


def state_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version recorded in the writer's state; None for a state not created yet."""
    # fetchall, not fetchone: DuckDB 2.0 keeps a half-read result open on the connection,
    # and the caller's next register() (an Arrow table to join) is then refused.
    ((has_meta,),) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()
    if not has_meta:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def lake_version(lake_dir: Path) -> int | None:
    """The version readers see: the stamp on the runs snapshot (None before the first run)."""
    snapshot = Path(lake_dir) / "state" / "runs.parquet"
    if not snapshot.exists():
        return None
    metadata = pq.read_schema(snapshot).metadata or {}
    return int(metadata.get(VERSION_KEY, b"1"))


def check(data_dir: Path, found: int | None) -> None:
    """Refuse (``SchemaVersionError``) unless ``found`` is this code's version or unknown."""
    if found is not None and found != SCHEMA_VERSION:
        raise SchemaVersionError(data_dir, found)
