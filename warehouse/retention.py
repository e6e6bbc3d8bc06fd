"""Retention: raw payloads and fetch records older than a policy's days are deleted
(``newswire prune``; ``maintain`` when configured). Stories and appearances never are.

Policies (docs/reliability.md):
- raw payloads: an object of the raw store is deleted when the last record that needs it
  (a fetch, an article page, a dropped file) is older than ``raw_days`` — or, for an
  object no record names (its fetch record pruned, or landed by a run killed before its
  commit), when the file itself is older. A payload that is still a feed's current body
  is kept whatever its age (it is what the next poll compares with). Rows keep their
  ``raw_sha256``; an archive replay of a pruned range reports the payloads as missing.
- fetch records: whole ``fetches`` day partitions older than ``fetches_days``, retired
  through the run ledger like compaction (``_retired/<run_id>/``), so a kill mid-prune is
  finished by the next writer.

The caller holds the writer lock. With ``dry_run`` nothing is changed and the report
says what would be.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

import pyarrow.parquet as pq

from newswire.warehouse import ledger
from newswire.warehouse.lake import RETIRED
from newswire.warehouse.raw_store import RawStore
from newswire.warehouse.views import open_reader
from newswire.warehouse.writer import Warehouse


@dataclass
class PruneReport:
    run_id: str
    dry_run: bool
    raw_days: int
    fetches_days: int
    raw_objects_seen: int = 0
    raw_objects_pruned: int = 0
    raw_bytes_pruned: int = 0
    raw_kept_current: int = 0
    fetch_partitions_pruned: list[str] = field(default_factory=list)
    fetch_rows_pruned: int = 0
    fetch_bytes_pruned: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _last_needed(warehouse: Warehouse) -> tuple[dict[str, datetime], set[str]]:
    """Raw object -> when a record last needed it; and the feeds' current bodies."""
    needed: dict[str, datetime] = {}

    def note(rows) -> None:
        for sha, at in rows:
            if sha and at and (sha not in needed or at > needed[sha]):
                needed[sha] = at

    con = open_reader(warehouse.data_dir)
    try:
        note(con.execute("SELECT body_sha256, max(fetched_at) FROM fetches GROUP BY 1").fetchall())
    finally:
        con.close()
    with warehouse.state() as con:
        note(con.execute("SELECT body_sha256, max(fetched_at) FROM article_pages GROUP BY 1").fetchall())
        note(con.execute("SELECT sha256, max(picked_up_at) FROM drop_files GROUP BY 1").fetchall())
        current = {
            sha
            for (sha,) in con.execute(
                "SELECT last_body_sha256 FROM feed_state WHERE last_body_sha256 IS NOT NULL"
            ).fetchall()
        }
    return needed, current


def prune_raw(
    warehouse: Warehouse,
    report: PruneReport,
    cutoff: datetime,
    on_progress: Callable[[int, int], None] | None = None,
) -> None:
    raw = RawStore(warehouse.store)
    objects = raw.objects()
    if not objects:
        return
    needed, current = _last_needed(warehouse)
    by_folder: dict[str, list[tuple[str, int, float]]] = {}
    for found in objects:
        by_folder.setdefault(found[0][:2], []).append(found)
    for done, folder in enumerate(sorted(by_folder), 1):
        for sha, size, modified in by_folder[folder]:
            report.raw_objects_seen += 1
            last = needed.get(sha) or datetime.fromtimestamp(modified, UTC)
            if last >= cutoff:
                continue
            if sha in current:
                report.raw_kept_current += 1
                continue
            report.raw_objects_pruned += 1
            report.raw_bytes_pruned += size
            if not report.dry_run:
                raw.delete(sha)
        if on_progress:
            on_progress(done, len(by_folder))


def fetch_files_before(warehouse: Warehouse, cutoff: datetime) -> dict[str, list[ledger.LedgerFile]]:
    """Partition folder -> its committed fetches files, for partitions before ``cutoff``."""
    first_kept = cutoff.date().isoformat()
    with warehouse.state() as con:
        files = ledger.live_files(con, "fetches")
    partitions: dict[str, list[ledger.LedgerFile]] = {}
    for file in files:
        partition = str(PurePosixPath(file.path).parent)
        if partition.split("=", 1)[-1] < first_kept:
            partitions.setdefault(partition, []).append(file)
    return dict(sorted(partitions.items()))


def prune(
    warehouse: Warehouse,
    run_id: str,
    now: datetime,
    raw_days: int = 0,
    fetches_days: int = 0,
    dry_run: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> PruneReport:
    """Apply the policies (0 days = that policy off) as one ledger run."""
    report = PruneReport(run_id=run_id, dry_run=dry_run, raw_days=raw_days, fetches_days=fetches_days)
    # Raw first: its decisions read the fetch records this run may retire.
    if raw_days:
        prune_raw(warehouse, report, now - timedelta(days=raw_days), on_progress)
    retire: list[tuple[str, str]] = []
    partitions = fetch_files_before(warehouse, now - timedelta(days=fetches_days)) if fetches_days else {}
    for partition, files in partitions.items():
        report.fetch_partitions_pruned.append(PurePosixPath(partition).name)
        for file in files:
            footer = pq.read_metadata(io.BytesIO(warehouse.store.read_bytes(file.path)))
            report.fetch_rows_pruned += footer.num_rows
            report.fetch_bytes_pruned += file.size
            retire.append((file.path, f"{RETIRED}/{run_id}/{file.path}"))
    if not dry_run and (raw_days or fetches_days):
        warehouse.commit_files(run_id, "prune", now, retire, report.as_dict())
        warehouse.store.delete_tree(f"{RETIRED}/{run_id}")
        if warehouse.store.is_local:
            for partition in partitions:
                folder = warehouse.store.local_path(partition)
                if folder.exists() and not any(folder.iterdir()):
                    folder.rmdir()
    return report
