"""Compaction: each date partition's many small Parquet files rewritten as a few large ones.

An ingest every 10 minutes leaves ~150 small files per day and table; scans then spend
their time opening files. Compaction reads a partition's files, writes their rows (all of
them, every revision: the views pick the latest) into one file — or several of at most
``TARGET_FILE_BYTES`` — and retires the old ones.

Crash-safety is the writer's commit protocol (``warehouse/lake.py``): new files are staged
under ``_staging/<run_id>/``; the run's ledger row lists the moves, including old file ->
``_retired/<run_id>/...``; publication renames, and recovery finishes a committed run
after a crash. ``_retired`` folders of published runs are deleted afterwards. Readers never
lose a row; during the renames (milliseconds) the version views can see a row twice,
the latest-row views (``stories``, ``appearances``) never do.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newswire.warehouse import lake
from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.schema import TABLES, TableSpec
from newswire.warehouse.writer import Warehouse

RETIRED = "_retired"
# A partition with up to this many files is left alone: after one compaction a day's
# partition is one file, plus at most one from a late run; rewriting it nightly would
# rewrite the whole lake for nothing.
MAX_FILES_PER_PARTITION = 2
# Files around 256 MB are what DuckDB, Spark and Trino scan best in parallel; larger
# partitions are split into files of about this size.
TARGET_FILE_BYTES = 256 * 1024 * 1024


@dataclass
class PartitionCompaction:
    table: str
    partition: str
    files_before: int
    files_after: int
    rows: int
    bytes_before: int


@dataclass
class CompactionReport:
    run_id: str
    partitions: list[PartitionCompaction] = field(default_factory=list)
    retired_folders_removed: int = 0

    @property
    def files_removed(self) -> int:
        return sum(p.files_before - p.files_after for p in self.partitions)

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "partitions_compacted": len(self.partitions),
            "files_removed": self.files_removed,
            "rows_rewritten": sum(p.rows for p in self.partitions),
            "partitions": [p.__dict__ for p in self.partitions],
        }


def partitions_to_compact(lake_dir: Path, max_files: int = MAX_FILES_PER_PARTITION) -> list[tuple[str, Path]]:
    found = []
    for name in TABLES:
        root = lake.table_dir(lake_dir, name)
        if not root.exists():
            continue
        for partition in sorted(p for p in root.iterdir() if p.is_dir()):
            if len(list(partition.glob(lake.PROJECT_FILE_PATTERN))) > max_files:
                found.append((name, partition))
    return found


def _read_as(spec: TableSpec, files: list[Path]) -> pa.Table:
    """All rows of the files, in the current schema (columns a file lacks are null)."""
    tables = []
    for path in files:
        table = pq.read_table(path)
        columns = [
            table.column(f.name).cast(f.type)
            if f.name in table.column_names
            else pa.nulls(len(table), f.type)
            for f in spec.schema
        ]
        tables.append(pa.Table.from_arrays(columns, schema=spec.schema))
    combined = pa.concat_tables(tables)
    order = [(column, "ascending") for column in spec.key + ((spec.revision,) if spec.revision else ())]
    return combined.sort_by(order)


def remove_retired(warehouse: Warehouse) -> int:
    """Delete ``_retired/<run_id>`` folders of runs that are published (left by a crash
    between publication and clean-up). Folders of unpublished runs are kept: recovery
    still needs them."""
    root = warehouse.lake_dir / RETIRED
    if not root.exists():
        return 0
    with warehouse.state() as con:
        published = {r[0] for r in con.execute("SELECT run_id FROM runs WHERE published").fetchall()}
    removed = 0
    for folder in root.iterdir():
        if folder.name in published:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def compact(
    warehouse: Warehouse,
    run_id: str,
    started_at,
    max_files: int = MAX_FILES_PER_PARTITION,
    target_file_bytes: int = TARGET_FILE_BYTES,
) -> CompactionReport:
    """Compact every partition with more than ``max_files`` files, as one committed run.
    The caller holds the writer lock."""
    report = CompactionReport(run_id=run_id, retired_folders_removed=remove_retired(warehouse))
    lake_dir = warehouse.lake_dir
    moves: list[tuple[str, str]] = []
    retire: list[tuple[str, str]] = []
    for name, partition in partitions_to_compact(lake_dir, max_files):
        spec = TABLES[name]
        files = sorted(partition.glob(lake.PROJECT_FILE_PATTERN))
        size = sum(f.stat().st_size for f in files)
        table = _read_as(spec, files)
        pieces = max(1, math.ceil(size / target_file_bytes))
        rows_per_piece = math.ceil(len(table) / pieces) if len(table) else 0
        relative_partition = partition.relative_to(lake_dir)
        for index in range(pieces):
            chunk = table.slice(index * rows_per_piece, rows_per_piece) if rows_per_piece else table
            final = relative_partition / f"part-compact-{run_id}-{index}.parquet"
            staged = Path(lake.STAGING) / run_id / final
            lake.write_parquet_atomically(chunk, lake_dir / staged)
            moves.append((str(staged), str(final)))
        for old in files:
            relative = old.relative_to(lake_dir)
            retire.append((str(relative), str(Path(RETIRED) / run_id / relative)))
        report.partitions.append(
            PartitionCompaction(name, partition.name, len(files), pieces, len(table), size)
        )
    if moves:
        failpoint("staged")
        # New files first, then the old ones out: a reader can see a row twice for a
        # moment, never miss one.
        warehouse.commit_files(run_id, "maintain", started_at, moves + retire, report.as_dict())
        shutil.rmtree(lake_dir / RETIRED / run_id, ignore_errors=True)
    return report
