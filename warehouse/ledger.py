"""The ledger of committed lake files: every Parquet file a run committed, with its size
and SHA-256, in the writer's state (``lake_files``), written in the run's own transaction.

It is what "the lake" means: the manifest readers go through is built from it
(warehouse/manifest.py), compaction and pruning work from it, and the writer checks the
files against it — at every start (recovery: is each file there, at its size?) and in
``maintain`` (also its hash, which finds a flipped block that keeps the size). A file that
is missing or damaged is reported by path and *quarantined*: moved to
``_quarantine/<path>`` (if it is still there), marked in the ledger with the reason, and
left out of the manifest, so every other file keeps working. Nothing is ever deleted for
being damaged, and the ledger row stays: put a good copy back at the file's path (from a
backup) and the next check re-admits it. So a loss is never made permanent by the
pipeline — compaction rewrites only live files, and the quarantined file is still named.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from newswire.warehouse import arrow_columns
from newswire.warehouse.lake import RETIRED, StagedFile, is_project_file, table_of
from newswire.warehouse.lake_store import LakeStore, sha256_of

log = logging.getLogger("newswire.warehouse")

QUARANTINE = "_quarantine"

LEDGER_SQL = """
CREATE TABLE IF NOT EXISTS lake_files (
    path          VARCHAR PRIMARY KEY,
    table_name    VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,
    size          BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL DEFAULT 'live',
    reason        VARCHAR,
    checked_at    TIMESTAMPTZ
)
"""


@dataclass(frozen=True)
class LedgerFile:
    path: str
    table: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Damage:
    """A committed file that is not as the ledger recorded it."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LedgerCheck:
    files_checked: int = 0
    deep: bool = False
    quarantined: list[Damage] = field(default_factory=list)
    still_quarantined: list[Damage] = field(default_factory=list)
    readmitted: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.quarantined or self.readmitted)

    def as_dict(self) -> dict:
        return {
            "files_checked": self.files_checked,
            "deep": self.deep,
            "quarantined": [str(d) for d in self.quarantined],
            "still_quarantined": [str(d) for d in self.still_quarantined],
            "readmitted": self.readmitted,
        }


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_SQL)


def record_commit(
    con: duckdb.DuckDBPyConnection,
    store: LakeStore,
    run_id: str,
    moves: list[tuple[str, str]],
    staged: list[StagedFile],
) -> None:
    """Inside the run's transaction: the files it adds (size and hash from staging, or
    read back for a caller that staged its own) and the ones it retires."""
    known = {file.final: file for file in staged}
    rows: dict[str, list] = {"path": [], "table_name": [], "run_id": [], "size": [], "sha256": []}
    retired = []
    for source, target in moves:
        if target.startswith(f"{RETIRED}/"):
            retired.append(source)
            continue
        file = known.get(target)
        if file is None:
            data = store.read_bytes(source)
            file = StagedFile(source, target, len(data), sha256_of(data))
        for column, value in zip(
            rows, (target, table_of(target), run_id, file.size, file.sha256), strict=True
        ):
            rows[column].append(value)
    if retired:
        con.execute("DELETE FROM lake_files WHERE list_contains(?, path)", [retired])
    if rows["path"]:
        con.register("new_lake_files", arrow_columns.table(rows))
        con.execute(
            "INSERT OR REPLACE INTO lake_files (path, table_name, run_id, size, sha256) "
            "SELECT path, table_name, run_id, size, sha256 FROM new_lake_files"
        )
        con.unregister("new_lake_files")


def live_files(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[LedgerFile]:
    where = "status = 'live'" + (" AND table_name = ?" if table else "")
    rows = con.execute(
        f"SELECT path, table_name, size, sha256 FROM lake_files WHERE {where} ORDER BY path",
        [table] if table else [],
    ).fetchall()
    return [LedgerFile(*row) for row in rows]


def quarantined(con: duckdb.DuckDBPyConnection) -> list[Damage]:
    rows = con.execute(
        "SELECT path, reason FROM lake_files WHERE status = 'quarantined' ORDER BY path"
    ).fetchall()
    return [Damage(*row) for row in rows]


def _problem(store: LakeStore, file: LedgerFile, sizes: dict[str, int], deep: bool) -> str | None:
    size = sizes.get(file.path)
    if size is None:
        return "missing (committed, no longer in the lake)"
    if size != file.size:
        return f"damaged: {size} bytes, committed with {file.size}"
    if deep:
        found = sha256_of(store.read_bytes(file.path))
        if found != file.sha256:
            return f"damaged: SHA-256 {found[:12]}..., committed with {file.sha256[:12]}..."
    return None


def check(con: duckdb.DuckDBPyConnection, store: LakeStore, deep: bool = False) -> LedgerCheck:
    """Check every committed file (size; also the hash when ``deep``), quarantine what is
    missing or damaged, re-admit a quarantined file whose good copy is back. The caller
    holds the writer lock."""
    report = LedgerCheck(deep=deep)
    sizes = {f.path: f.size for table in _tables(con) for f in store.list_files(table)}
    now = datetime.now(UTC)
    for damage in quarantined(con):
        file = _ledger_file(con, damage.path)
        if _problem(store, file, sizes, deep=True) is None:
            con.execute(
                "UPDATE lake_files SET status = 'live', reason = NULL, checked_at = ? WHERE path = ?",
                [now, file.path],
            )
            report.readmitted.append(file.path)
            log.warning("lake file %s is back and matches the ledger: re-admitted", file.path)
        else:
            report.still_quarantined.append(damage)
    for file in live_files(con):
        report.files_checked += 1
        problem = _problem(store, file, sizes, deep)
        if problem is None:
            continue
        if file.path in sizes:
            store.move(file.path, f"{QUARANTINE}/{file.path}")
        con.execute(
            "UPDATE lake_files SET status = 'quarantined', reason = ?, checked_at = ? WHERE path = ?",
            [problem, now, file.path],
        )
        report.quarantined.append(Damage(file.path, problem))
        log.error(
            "lake file %s is %s: quarantined (moved to %s/ if present; its rows are left out until "
            "a good copy is put back at that path)",
            file.path,
            problem,
            QUARANTINE,
        )
    return report


def _ledger_file(con: duckdb.DuckDBPyConnection, path: str) -> LedgerFile:
    row = con.execute(
        "SELECT path, table_name, size, sha256 FROM lake_files WHERE path = ?", [path]
    ).fetchall()
    return LedgerFile(*row[0])


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT table_name FROM lake_files ORDER BY 1").fetchall()]


def adopt_existing(con: duckdb.DuckDBPyConnection, store: LakeStore) -> int:
    """A warehouse written before the ledger existed: record the files its published runs
    moved into the lake (hashed as they are now). Runs once, when the ledger is empty."""
    ((count,),) = con.execute("SELECT count(*) FROM lake_files").fetchall()
    if count:
        return 0
    finals: dict[str, str] = {}
    for run_id, files in con.execute("SELECT run_id, files FROM runs WHERE published").fetchall():
        for source, target in json.loads(files or "[]"):
            if target.startswith(f"{RETIRED}/"):
                finals.pop(source, None)
            elif is_project_file(target):
                finals[target] = run_id
    adopted = []
    for path, run_id in finals.items():
        if store.exists(path):
            data = store.read_bytes(path)
            adopted.append(StagedFile(path, path, len(data), sha256_of(data)))
            record_commit(con, store, run_id, [adopted[-1].move], [adopted[-1]])
    return len(adopted)
