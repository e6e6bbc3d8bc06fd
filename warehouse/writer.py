"""The single writer: lock, recover, commit a run. The reads a run makes of the writer's
state before it plans (feed state, a batch's history) are warehouse/history.py's.

One writer at a time is enforced with an exclusive ``flock`` on ``data/writer.lock`` held
for the whole run (a second run waits, and says so). The state database
(``data/state/writer.duckdb``) is opened only for the moments it is needed, so the
process never sits on a DuckDB lock while it fetches.

Commit protocol (see ``warehouse/lake.py``): stage Parquet -> one DuckDB transaction
(state + run row with the file moves + the ledger of committed files with size and hash,
warehouse/ledger.py) -> move staged files into place -> mark the run published -> write
the next manifest and swap it in (warehouse/manifest.py: the moment readers see the run).
``recover`` finishes or discards whatever a killed run left, so rerunning after a crash at
any point neither loses nor doubles a row, and checks the committed files against the
ledger (missing or damaged ones are quarantined, the rest keeps working).

The commit API other modules use: ``commit(CommitBatch)`` for a run's rows and state,
``commit_files(run_id, flow, started_at, moves, summary)`` for a run that staged its own
files (compaction, pruning). Both are one transaction and one publication; both stay.

Every access to the state database goes through ``state()``, which holds
``state/writer.duckdb.lock`` (an exclusive ``flock``) while the connection is open: DuckDB
lets only one process open the file, so a process that reads the state outside the writer
lock (a backfill's enrichment asks what is already stored) waits for the moment the
writer's connection closes instead of failing with "Could not set lock on file".
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from newswire.warehouse import (
    arrow_columns,
    band_runs,
    history,
    lake,
    ledger,
    manifest,
    migrations,
    outlet_lines,
    queries,
    story_index,
    versions,
    wire_state,
)
from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.records import (
    AppearanceKey,
    AppearanceState,
    ArticlePage,
    BandKey,
    BandRows,
    PickedUpFile,
    StoredHistory,
    StoryKey,
    StoryState,
)
from newswire.warehouse.schema import APPEARANCES, ENRICHMENT_COLUMNS, FETCHES, SCHEMA_VERSION, STORIES
from newswire.warehouse.views import CATALOG_FILE, WRITER_LOCK, catalog_is_misplaced, write_catalog
from newswire.warehouse.writer_lock import take_writer_lock

log = logging.getLogger("newswire.warehouse")

STATE_DB = Path("state") / "writer.duckdb"
LOCK_FILE = WRITER_LOCK
STATE_LOCK = Path("state") / "writer.duckdb.lock"
# DuckDB's buffer pool defaults to 80 % of RAM and keeps every block it has read: a batch's
# join over a 10^8-row LSH band table (docs/dedupe.md) would then hold the whole table.
# 512 MB keeps the writer's peak at ~1.3 GB with a million stories
# (benchmarks/dedupe_eval.py); blocks beyond it are simply re-read.
STATE_MEMORY_LIMIT = "512MB"


@dataclass
class CommitBatch:
    """Everything one run changes, applied atomically by ``Warehouse.commit``."""

    run_id: str
    flow: str
    started_at: datetime
    fetch_rows: list[dict[str, Any]] = field(default_factory=list)
    appearance_rows: list[dict[str, Any]] = field(default_factory=list)
    story_rows: list[dict[str, Any]] = field(default_factory=list)
    appearance_keys: list[AppearanceKey] = field(default_factory=list)
    appearance_state: dict[str, AppearanceState] = field(default_factory=dict)
    story_keys: list[StoryKey] = field(default_factory=list)
    story_state: dict[str, StoryState] = field(default_factory=dict)
    # One dict per feed, keyed by the columns of feed_state (sql/state.sql).
    feed_state: list[dict[str, Any]] = field(default_factory=list)
    # Near-duplicate index (warehouse/story_index.py): changed members (appearance_id ->
    # row of story_index.MEMBER_COLUMNS), new band keys (key, appearance_id), and merged
    # stories (old id -> survivor) whose exact keys now point at the survivor;
    # reset_clustering empties story keys/state/index first (dedupe --rebuild).
    cluster_members: dict[str, dict[str, Any]] = field(default_factory=dict)
    cluster_bands: BandRows | list[BandKey] = field(default_factory=list)
    story_redirects: dict[str, str] = field(default_factory=dict)
    reset_clustering: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    # Wire sources (warehouse/wire_state.py): guid -> version loaded; drop files picked up.
    wire_versions: dict[str, int] = field(default_factory=dict)
    drop_files: list[dict[str, Any]] = field(default_factory=list)
    # Outlet furniture (warehouse/outlet_lines.py): (outlet id, line fingerprint) -> items
    # of this run that carried the line.
    outlet_lines: dict[tuple[str, str], int] = field(default_factory=dict)

    # Article pages fetched for full text this run (replayed offline by a backfill).
    article_pages: list[ArticlePage] = field(default_factory=list)


@dataclass
class MigrationReport:
    from_version: int
    to_version: int
    steps: list[str] = field(default_factory=list)


@dataclass
class RecoveryReport:
    published_runs: list[str] = field(default_factory=list)
    discarded_runs: list[str] = field(default_factory=list)
    temp_files_removed: int = 0
    stale_staging_removed: int = 0
    ledger: ledger.LedgerCheck = field(default_factory=ledger.LedgerCheck)

    @property
    def anything(self) -> bool:
        removed = self.temp_files_removed + self.stale_staging_removed
        return bool(self.published_runs or self.discarded_runs or removed or self.ledger.changed)


class _ProcessStateLock:
    """The state file's ``flock``, re-entrant within the process (a run opens the state a
    dozen times, sometimes nested; threads of one process take turns)."""

    def __init__(self, path: Path):
        self.path = path
        self.mutex = threading.RLock()
        self.depth = 0
        self.handle = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.mutex:
            if self.depth == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.handle = open(self.path, "a+")  # noqa: SIM115 (held across the block)
                _wait_for_flock(self.handle, f"the writer state at {self.path.parent}")
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if self.depth == 0:
                    fcntl.flock(self.handle, fcntl.LOCK_UN)
                    self.handle.close()
                    self.handle = None


_STATE_LOCKS: dict[Path, _ProcessStateLock] = {}
_STATE_LOCKS_MUTEX = threading.Lock()


def _state_lock(path: Path) -> _ProcessStateLock:
    with _STATE_LOCKS_MUTEX:
        return _STATE_LOCKS.setdefault(path.resolve(), _ProcessStateLock(path.resolve()))


def _wait_for_flock(handle, what: str) -> None:
    """Block until the exclusive lock is ours; say once, after a second, what we wait for."""
    deadline = time.monotonic() + 1.0
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not told and time.monotonic() > deadline:
                log.warning("waiting for %s: another process has it open (one at a time)", what)
                told = True
            time.sleep(0.05)


class Warehouse:
    """Paths and operations of one data directory."""

    @staticmethod
    def exists_at(data_dir: Path) -> bool:
        """A warehouse was created here (a run took the writer lock at least once)."""
        data_dir = Path(data_dir)
        return (data_dir / LOCK_FILE).is_file() or (data_dir / STATE_DB).is_file()

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        # The lake: local (``lake_dir``) or on an object store (``store``; lake_store.py).
        self.store = LakeStore.for_data_dir(self.data_dir)
        self.lake_dir = self.data_dir / "lake"
        self.state_path = self.data_dir / STATE_DB
        self._schema_ready = False
        # The connection ``_one_connection`` keeps open for its block, else None.
        self._shared_state: duckdb.DuckDBPyConnection | None = None
        # Outlet line sightings of the run, applied by its next commit (add_outlet_lines).
        self.pending_outlet_lines: dict[tuple[str, str], int] = {}

    # -- locking -------------------------------------------------------------------------

    @contextmanager
    def writer(self, on_wait: Callable[[str], None] | None = None) -> Iterator[Warehouse]:
        """Hold the writer lock for a run, after finishing whatever a killed run left."""
        with self._locked(on_wait):
            with self._one_connection():
                report = self.recover()
            if report.anything:
                log.warning(
                    "recovered after an interrupted run: published %s, discarded %s, "
                    "removed %d temp files and %d leftover staging folders",
                    report.published_runs,
                    report.discarded_runs,
                    report.temp_files_removed,
                    report.stale_staging_removed,
                )
            yield self

    @contextmanager
    def _locked(self, on_wait: Callable[[str], None] | None) -> Iterator[None]:
        """The writer lock alone (``writer`` adds recovery; ``migrate`` must not recover
        before the state is at this version)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / LOCK_FILE, "a+") as handle:
            self._acquire(handle, on_wait)
            # The first writer of an object-store lake notes its URL in the data dir.
            self.store = LakeStore.for_data_dir(self.data_dir, record=True)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _acquire(self, handle, on_wait: Callable[[str], None] | None) -> None:
        take_writer_lock(handle, self.data_dir, on_wait or log.warning)

    # -- state database ------------------------------------------------------------------

    @contextmanager
    def _state_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The state database under its process lock (module docstring); inside
        ``_one_connection`` the connection that block opened."""
        with _state_lock(self.data_dir / STATE_LOCK).held():
            if self._shared_state is not None:
                try:
                    yield self._shared_state
                except BaseException:
                    # What a closed connection would have done to an unfinished transaction.
                    with suppress(duckdb.Error):
                        self._shared_state.execute("ROLLBACK")
                    raise
                return
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.state_path), config={"memory_limit": STATE_MEMORY_LIMIT})
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def _one_connection(self) -> Iterator[None]:
        """Every ``state()`` in the block (in this thread: the process lock keeps the
        others out meanwhile) shares one connection. Opening and closing the state costs
        ~15-40 ms (its catalogue read, a checkpoint on close); a commit used to open it
        four times and a writer's start three. Only around steps that run one after the
        other with no transaction left open between them, and never across a fetch."""
        if self._shared_state is not None:
            yield
            return
        with self._state_connection() as con:
            self._shared_state = con
            try:
                yield
            finally:
                self._shared_state = None

    @contextmanager
    def state(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._state_connection() as con:
            # A run opens the state a dozen times; the version is checked once per process.
            if not self._schema_ready:
                found = versions.state_version(con)
                if found is None:
                    migrations.create_state(con)
                versions.check(self.data_dir, found)
                ledger.ensure(con)
                self._schema_ready = True
            yield con

    def outlet_line_counts(self, outlet_ids: list[str]) -> dict[str, dict[str, int]] | None:
        """Each outlet's line fingerprints and on how many of its items each was seen; None
        when another process is writing the state (a backfill enriches outside the writer
        lock): the run then goes without the outlets' history."""
        try:
            with self.state() as con:
                return outlet_lines.load(con, outlet_ids)
        except duckdb.IOException:
            return None

    def add_outlet_lines(self, counts: dict[tuple[str, str], int]) -> None:
        """Sightings the enrichment stage made this run; written with the run's next commit
        (in its transaction), dropped if the run never commits."""
        for key, items in counts.items():
            self.pending_outlet_lines[key] = self.pending_outlet_lines.get(key, 0) + items

    def migrate(self, on_step: Callable[[migrations.Migration], None] | None = None) -> MigrationReport:
        """Bring an older warehouse to this code's schema version (``newswire migrate``),
        under the writer lock. Each step commits with its version bump, so a killed
        migration is finished by running it again. A newer warehouse is refused."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._locked(None):
            with self._state_connection() as con:
                found = versions.state_version(con)
                if found is None:
                    migrations.create_state(con)
                    found = SCHEMA_VERSION
                if found > SCHEMA_VERSION:
                    raise versions.SchemaVersionError(self.data_dir, found)
                steps = migrations.apply_pending(con, found, on_step)
            self._schema_ready = False
            # Now at this version: finish what a killed run left, and restamp the reader
            # snapshots (readers check their version stamp).
            self.recover()
            self._write_manifest()
        return MigrationReport(from_version=found, to_version=SCHEMA_VERSION, steps=[s.name for s in steps])

    def feed_states(self) -> dict[str, dict[str, Any]]:
        """feed_id -> the feed's state row, keyed by the columns of feed_state."""
        with self.state() as con:
            return history.feed_states(con)

    def read_history(
        self,
        appearance_keys: list[tuple[str, str]],
        story_keys: list[str],
        guids: list[str] = (),
    ) -> StoredHistory:
        """A batch's slice of history in one connection (``history.read_history``); a batch
        with no keys (an unchanged re-poll) reads nothing."""
        if not (appearance_keys or story_keys or guids):
            return StoredHistory()
        with self.state() as con:
            return history.read_history(con, appearance_keys, story_keys, guids)

    def known_drop_files(self, feed_ids: list[str]) -> dict[str, dict[str, list[PickedUpFile]]]:
        """feed_id -> path -> every version of the file picked up (wire_state.py)."""
        with self.state() as con:
            return wire_state.known_drop_files(con, feed_ids)

    def article_pages(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ArticlePage]:
        """(feed_id, url) -> the stored article page, for the keys that have one."""
        if not keys:
            return {}
        with self.state() as con:
            feed_ids, urls = (list(column) for column in zip(*keys, strict=True))
            con.register("wanted_pages", arrow_columns.table({"feed_id": feed_ids, "url": urls}))
            rows = con.execute(
                "SELECT p.feed_id, p.url, p.final_url, p.body_sha256, p.content_type, p.fetched_at "
                "FROM article_pages AS p JOIN wanted_pages USING (feed_id, url)"
            ).fetchall()
            con.unregister("wanted_pages")
        return {(row[0], row[1]): ArticlePage(*row) for row in rows}

    # Near-duplicate clustering reads (tasks.recluster.ClusterIndex).
    enrichment_columns = ENRICHMENT_COLUMNS

    def cluster_candidates(self, keys: list[int]) -> list[dict[str, Any]]:
        """Stored appearances sharing one of a batch's LSH keys (``story_index.candidates``)."""
        with self.state() as con:
            return story_index.candidates(con, keys)

    def cluster_members(self, components: list[int], story_ids: list[str]) -> list[dict[str, Any]]:
        """Every stored appearance of those components or stories (``story_index.members``)."""
        with self.state() as con:
            return story_index.members(con, components, story_ids)

    def current_rows(self, table: str, ids: list[str]) -> list[dict[str, Any]]:
        """The current lake rows of ``ids`` (``queries.current_rows``)."""
        return queries.current_rows(self.data_dir, table, ids)

    # -- commit and recovery -------------------------------------------------------------

    def commit(self, batch: CommitBatch) -> None:
        """A run's rows (staged as Parquet) and state changes, in one transaction, then
        published. After a crash at any point, ``recover`` finishes or discards it."""

        def stage_and_commit() -> list[tuple[str, str]]:
            staged: list[lake.StagedFile] = []
            for spec, rows in (
                (FETCHES, batch.fetch_rows),
                (APPEARANCES, batch.appearance_rows),
                (STORIES, batch.story_rows),
            ):
                if rows:
                    staged += lake.stage_rows(self.store, batch.run_id, spec, rows)
            failpoint("staged")
            moves = [file.move for file in staged]
            self._commit_ledger(
                batch.run_id,
                batch.flow,
                batch.started_at,
                moves,
                batch.summary,
                apply_state=lambda con: self._apply_state(con, batch),
                staged=staged,
            )
            return moves

        with self._one_connection():
            self._commit_then_publish(batch.run_id, stage_and_commit)

    def commit_files(
        self, run_id: str, flow: str, started_at: datetime, moves: list[tuple[str, str]], summary: dict
    ) -> None:
        """Commit a run that staged its own files (compaction, pruning): the same ledger row
        and publication, so recovery finishes it after a crash like any other run.
        ``moves`` are (staged, final) pairs, or ``lake.StagedFile``s (their size and hash
        then need no second read); a move into ``_retired/`` takes a file out of the lake."""
        staged = [m for m in moves if isinstance(m, lake.StagedFile)]
        moves = [m.move if isinstance(m, lake.StagedFile) else tuple(m) for m in moves]

        def commit() -> list[tuple[str, str]]:
            self._commit_ledger(run_id, flow, started_at, moves, summary, staged=staged)
            return moves

        self._commit_then_publish(run_id, commit)

    def _commit_then_publish(self, run_id: str, commit: Callable[[], list[tuple[str, str]]]) -> None:
        try:
            moves = commit()
        except BaseException:
            self._discard_if_uncommitted(run_id)
            raise
        failpoint("committed")
        self._publish(run_id, moves)

    def _discard_if_uncommitted(self, run_id: str) -> None:
        """After a failed commit (a full disk, a DuckDB error) free the staged files at
        once, unless the run did commit; if the state cannot even be read, the next
        writer's recovery decides."""
        try:
            with self.state() as con:
                committed = con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
        except (duckdb.Error, OSError):
            return
        if not committed:
            lake.discard_staging(self.store, run_id)
            lake.remove_temp_files(self.store)

    def _commit_ledger(
        self,
        run_id: str,
        flow: str,
        started_at: datetime,
        moves: list[tuple[str, str]],
        summary: dict,
        apply_state: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        staged: list[lake.StagedFile] = (),
    ) -> None:
        """State changes, the run's row (with its file moves) and the ledger of its files,
        in one transaction."""
        with self.state() as con:
            con.execute("BEGIN TRANSACTION")
            if apply_state is not None:
                apply_state(con)
            ledger.record_commit(con, self.store, run_id, moves, list(staged))
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, false, ?, ?)",
                [
                    run_id,
                    flow,
                    started_at,
                    datetime.now(UTC),
                    json.dumps(moves),
                    json.dumps(summary, default=str),
                ],
            )
            failpoint("before-commit")
            con.execute("COMMIT")

    def _apply_state(self, con: duckdb.DuckDBPyConnection, batch: CommitBatch) -> None:
        if batch.reset_clustering:
            story_index.reset(con)
        utc = pa.timestamp("us", tz="UTC")
        if batch.appearance_keys:
            feed_ids, keys, appearance_ids = (list(c) for c in zip(*batch.appearance_keys, strict=True))
            _insert(
                con, "appearance_keys", {"feed_id": feed_ids, "key": keys, "appearance_id": appearance_ids}
            )
        if batch.appearance_state:
            revisions, hashes, story_ids, first_seen = zip(*batch.appearance_state.values(), strict=True)
            _insert(
                con,
                "appearance_state",
                {
                    "appearance_id": list(batch.appearance_state),
                    "revision": arrow_columns.column(revisions, pa.int32()),
                    "content_hash": list(hashes),
                    "story_id": list(story_ids),
                    "first_seen_at": arrow_columns.column(first_seen, utc),
                },
            )
        if batch.story_keys:
            keys, story_ids = (list(c) for c in zip(*batch.story_keys, strict=True))
            _insert(con, "story_keys", {"key": keys, "story_id": story_ids}, verb="INSERT OR IGNORE")
        if batch.story_state:
            revisions, representatives, first_seen = zip(*batch.story_state.values(), strict=True)
            _insert(
                con,
                "story_state",
                {
                    "story_id": list(batch.story_state),
                    "revision": arrow_columns.column(revisions, pa.int32()),
                    "representative_appearance_id": list(representatives),
                    "first_seen_at": arrow_columns.column(first_seen, utc),
                },
            )
        wire_state.apply(con, batch.wire_versions, batch.drop_files, batch.run_id)
        if batch.article_pages:
            pages = {(page.feed_id, page.url): page for page in batch.article_pages}  # latest wins
            columns = {name: [getattr(p, name) for p in pages.values()] for name in ArticlePage._fields}
            columns["fetched_at"] = arrow_columns.column(columns["fetched_at"], utc)
            columns["run_id"] = [batch.run_id] * len(pages)
            _insert(con, "article_pages", columns)
        story_index.apply(con, batch.cluster_members, batch.cluster_bands, batch.story_redirects)
        outlet_lines.apply(
            con, {**self.pending_outlet_lines, **batch.outlet_lines}, batch.run_id, batch.started_at
        )
        self.pending_outlet_lines = {}
        if batch.feed_state:
            columns = [d[0] for d in con.execute("SELECT * FROM feed_state LIMIT 0").description]
            _insert(
                con,
                "feed_state",
                {column: [row.get(column) for row in batch.feed_state] for column in columns},
            )

    def _publish(self, run_id: str, moves: list[tuple[str, str]]) -> None:
        lake.publish(self.store, moves)
        failpoint("published")
        lake.discard_staging(self.store, run_id)
        with self.state() as con:
            con.execute("UPDATE runs SET published = true WHERE run_id = ?", [run_id])
            # A compaction in this run's commit left the previous band run unused.
            band_runs.discard_stale(con)
        self._write_manifest()

    def _write_manifest(self) -> manifest.Manifest:
        """The next manifest (readers see the published runs from now on) and the DuckDB
        CLI's catalogue pinned to it."""
        with self.state() as con:
            written = manifest.write_next(con, self.store)
        write_catalog(self.data_dir, self.store)
        return written

    def verify(self, deep: bool = False) -> ledger.LedgerCheck:
        """Check every committed file against the ledger (``ledger.check``) and publish a
        manifest without the ones quarantined. The caller holds the writer lock."""
        with self.state() as con:
            report = ledger.check(con, self.store, deep=deep)
        if report.changed:
            self._write_manifest()
        return report

    def recover(self) -> RecoveryReport:
        report = RecoveryReport(temp_files_removed=lake.remove_temp_files(self.store))
        Path(self.data_dir, f".{CATALOG_FILE}.tmp-{os.getpid()}").unlink(missing_ok=True)
        for leftover in self.data_dir.glob(f".{CATALOG_FILE}.tmp-*"):
            leftover.unlink(missing_ok=True)
            report.temp_files_removed += 1
        with self.state() as con:
            pending = con.execute(
                "SELECT run_id, files FROM runs WHERE NOT published ORDER BY committed_at"
            ).fetchall()
            committed = {r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()}
            ledger.adopt_existing(con, self.store)
        for run_id, files in pending:
            self._publish(run_id, [tuple(m) for m in json.loads(files)])
            report.published_runs.append(run_id)
        # Every staging folder left now is not needed: either its run never committed (the
        # rows are discarded with it), or its run is published and the folder is what a
        # kill between publication and clean-up left (its files are already in the lake).
        for run_id in lake.staged_run_ids(self.store):
            lake.discard_staging(self.store, run_id)
            if run_id not in committed:
                report.discarded_runs.append(run_id)
            else:
                report.stale_staging_removed += 1
        report.ledger = self.verify(deep=False)
        if committed and not report.published_runs and not report.ledger.changed:
            # A run killed after marking itself published but before writing the manifest
            # leaves readers one run behind; write it (milliseconds). Also what the first
            # start of this version does for a lake written before manifests existed.
            latest = manifest.read_current(self.store)
            with self.state() as con:
                ((published,),) = con.execute("SELECT count(*) FROM runs WHERE published").fetchall()
            if latest is None or _published_in(latest, self.store) != published:
                self._write_manifest()
            elif not (self.data_dir / CATALOG_FILE).exists() or catalog_is_misplaced(self.data_dir):
                write_catalog(self.data_dir, self.store)
        return report


def _published_in(latest: manifest.Manifest, store: LakeStore) -> int:
    """Published runs as the manifest's runs snapshot has them."""
    con = duckdb.connect()
    try:
        store.register(con)
        path = store.uri(latest.state["runs"]).replace("'", "''")
        return con.execute(f"SELECT count(*) FROM read_parquet('{path}') WHERE published").fetchall()[0][0]
    finally:
        con.close()


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, Any], verb: str = "INSERT OR REPLACE"
) -> None:
    """Write a batch of state rows, given as columns, with one registered Arrow table."""
    name = f"new_{table}"
    listed = ", ".join(columns)
    con.register(name, arrow_columns.table(columns))
    con.execute(f"{verb} INTO {table} ({listed}) SELECT {listed} FROM {name}")
    con.unregister(name)
