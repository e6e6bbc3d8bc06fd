"""Forward migrations of the writer's state, one small step per schema version.

A step is a SQL file ``sql/migrations/NNN_<what>.sql`` that takes the state from version
NNN-1 to NNN. ``apply_pending`` runs each pending step and the version bump in ONE DuckDB
transaction, so a migration killed at any moment (SIGKILL, power cut) leaves the state at
the last finished version and is simply run again. A fresh state is created at the
version-1 baseline (``sql/state.sql``) and brought forward by the same steps, so every new
warehouse runs every migration.

Parquet files need no step for added columns: readers scan with ``union_by_name`` and
compaction reads old files into the current schema (absent columns are null). A step that
must rewrite files stages them and commits through the run ledger like compaction.

Adding version N: write ``sql/migrations/NNN_<what>.sql``, raise ``SCHEMA_VERSION`` in
schema.py, document it in SCHEMA.md, and add the step's test in tests/test_lifecycle_versions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import duckdb

from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.schema import SCHEMA_VERSION

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Migration:
    to_version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every step, in order; their versions run 2, 3, ... up to ``SCHEMA_VERSION``."""
    folder = resources.files("newswire.warehouse").joinpath("sql/migrations")
    steps = sorted(
        (
            Migration(int(entry.name[:3]), entry.name[4:-4].replace("_", " "), entry.read_text())
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        ),
        key=lambda step: step.to_version,
    )
    expected = list(range(BASELINE_VERSION + 1, SCHEMA_VERSION + 1))
    if [step.to_version for step in steps] != expected:
        raise RuntimeError(f"migration steps {[s.to_version for s in steps]} do not run to {SCHEMA_VERSION}")
    return steps


def baseline_sql() -> str:
    return resources.files("newswire.warehouse").joinpath("sql/state.sql").read_text()


def create_state(con: duckdb.DuckDBPyConnection) -> None:
    """A new state: the baseline, then every step."""
    con.execute(baseline_sql())
    con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(BASELINE_VERSION)])
    apply_pending(con, BASELINE_VERSION)


def apply_pending(
    con: duckdb.DuckDBPyConnection, found: int, on_step: Callable[[Migration], None] | None = None
) -> list[Migration]:
    """Run the steps after version ``found``, each with its version bump in one
    transaction. Returns the steps run."""
    done = []
    for step in migrations():
        if step.to_version <= found:
            continue
        if on_step:
            on_step(step)
        con.execute("BEGIN TRANSACTION")
        if step.to_version == BASELINE_VERSION + 1:
            # Version 1 states were brought up to date in place by re-running the baseline
            # (its ALTER ... ADD COLUMN IF NOT EXISTS lines) on every open; finish that once.
            con.execute(baseline_sql())
        con.execute(step.sql)
        failpoint("migrating")
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(step.to_version)])
        con.execute("COMMIT")
        done.append(step)
    return done
