"""Compaction: each date partition's many small Parquet files rewritten as a few large ones.

An ingest every 10 minutes leaves ~150 small files per day and table; scans then spend
their time opening files. Compaction reads a partition's files, writes their rows (all of
them, every revision: the views pick the latest) into one file — or several of at most
``TARGET_FILE_BYTES`` — and retires the old ones.

Compaction works from the ledger of committed files (warehouse/ledger.py), never from a
directory listing: only live files are rewritten, so a file that is not the project's is
never swept in, and a quarantined (missing or damaged) file is never compacted away — its
ledger row stays, naming it, so the loss is never made permanent.

Crash-safety is the writer's commit protocol (``warehouse/lake.py``): new files are staged
under ``_staging/<run_id>/``; the run's row lists the moves, including old file ->
``_retired/<run_id>/...``; publication moves, and recovery finishes a committed run
after a crash. ``_retired`` folders of published runs are deleted afterwards. Readers go
through the manifest, which switches from the old files to the new ones in one step.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from newswire.warehouse import lake, ledger
from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.lake import RETIRED
from newswire.warehouse.schema import TABLES, TableSpec
from newswire.warehouse.writer import Warehouse

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
    # The deep ledger check maintain makes first (warehouse/ledger.py): "path: reason" of
    # every quarantined file, newly or still.
    quarantined: list[str] = field(default_factory=list)
    files_checked: int = 0

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


def partitions_to_compact(
    warehouse: Warehouse, max_files: int = MAX_FILES_PER_PARTITION
) -> list[tuple[str, str, list[ledger.LedgerFile]]]:
    """(table, partition folder, its live files) for partitions with more than
    ``max_files`` live files in the ledger."""
    with warehouse.state() as con:
        files = ledger.live_files(con)
    by_partition: dict[tuple[str, str], list[ledger.LedgerFile]] = defaultdict(list)
    for file in files:
        if file.table in TABLES:
            by_partition[(file.table, str(PurePosixPath(file.path).parent))].append(file)
    return [(t, p, found) for (t, p), found in sorted(by_partition.items()) if len(found) > max_files]


def _read_as(spec: TableSpec, store, files: list[ledger.LedgerFile]) -> pa.Table:
    """All rows of the files, in the current schema (columns a file lacks are null)."""
    tables = []
    for file in files:
        table = pq.read_table(io.BytesIO(store.read_bytes(file.path)))
        table = table.drop_columns([c for c in table.column_names if c == spec.partition])
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
    store = warehouse.store
    folders = {f.path.split("/")[1] for f in store.list_files(RETIRED)}
    if not folders:
        return 0
    with warehouse.state() as con:
        published = {r[0] for r in con.execute("SELECT run_id FROM runs WHERE published").fetchall()}
    removed = 0
    for folder in sorted(folders & published):
        store.delete_tree(f"{RETIRED}/{folder}")
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
    store = warehouse.store
    moves: list[lake.StagedFile] = []
    retire: list[tuple[str, str]] = []
    for name, partition, files in partitions_to_compact(warehouse, max_files):
        spec = TABLES[name]
        size = sum(f.size for f in files)
        table = _read_as(spec, store, files)
        pieces = max(1, math.ceil(size / target_file_bytes))
        rows_per_piece = math.ceil(len(table) / pieces) if len(table) else 0
        for index in range(pieces):
            chunk = table.slice(index * rows_per_piece, rows_per_piece) if rows_per_piece else table
            final = f"{partition}/part-compact-{run_id}-{index}.parquet"
            moves.append(lake.stage_table(store, run_id, final, chunk))
        retire += [(f.path, f"{RETIRED}/{run_id}/{f.path}") for f in files]
        report.partitions.append(
            PartitionCompaction(name, PurePosixPath(partition).name, len(files), pieces, len(table), size)
        )
    if moves:
        failpoint("staged")
        # New files first, then the old ones out (readers switch with the manifest).
        warehouse.commit_files(run_id, "maintain", started_at, [*moves, *retire], report.as_dict())
        store.delete_tree(f"{RETIRED}/{run_id}")
    return report
