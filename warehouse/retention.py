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

import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from newswire.warehouse import lake
from newswire.warehouse.compact import RETIRED
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
    raw = RawStore(warehouse.lake_dir)
    if not raw.root.exists():
        return
    needed, current = _last_needed(warehouse)
    folders = sorted(p for p in raw.root.iterdir() if p.is_dir())
    for done, folder in enumerate(folders, 1):
        for entry in os.scandir(folder):
            if not entry.name.endswith(".zst"):
                continue  # a temp file of a landing in progress
            sha = entry.name[: -len(".zst")]
            report.raw_objects_seen += 1
            stat = entry.stat()
            last = needed.get(sha) or datetime.fromtimestamp(stat.st_mtime, UTC)
            if last >= cutoff:
                continue
            if sha in current:
                report.raw_kept_current += 1
                continue
            report.raw_objects_pruned += 1
            report.raw_bytes_pruned += stat.st_size
            if not report.dry_run:
                Path(entry.path).unlink(missing_ok=True)
        if on_progress:
            on_progress(done, len(folders))


def fetch_partitions_before(lake_dir: Path, cutoff: datetime) -> list[Path]:
    root = lake.table_dir(lake_dir, "fetches")
    if not root.exists():
        return []
    first_kept = cutoff.date().isoformat()
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.split("=", 1)[-1] < first_kept)


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
    partitions = []
    if fetches_days:
        partitions = fetch_partitions_before(warehouse.lake_dir, now - timedelta(days=fetches_days))
    for partition in partitions:
        report.fetch_partitions_pruned.append(partition.name)
        for path in sorted(partition.glob("*.parquet")):
            report.fetch_rows_pruned += pq.read_metadata(path).num_rows
            report.fetch_bytes_pruned += path.stat().st_size
            relative = path.relative_to(warehouse.lake_dir)
            retire.append((str(relative), str(Path(RETIRED) / run_id / relative)))
    if not dry_run and (raw_days or fetches_days):
        warehouse.commit_files(run_id, "prune", now, retire, report.as_dict())
        shutil.rmtree(warehouse.lake_dir / RETIRED / run_id, ignore_errors=True)
        for partition in partitions:
            if partition.exists() and not any(partition.iterdir()):
                partition.rmdir()
    return report
