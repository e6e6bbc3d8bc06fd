"""The Parquet lake: staged writes, atomic publication, and recovery after a crash.

A run's files are first written under ``lake/_staging/<run_id>/`` (invisible to readers,
whose globs start at ``lake/<table>/``). Only after the run's state is committed in DuckDB
are they renamed into place; the commit records the file list, so a crash at any moment
either leaves a staging folder with no committed run (discarded on the next start) or a
committed run whose renames are finished on the next start. Either way no row is lost or
written twice, and readers never see half a run.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.schema import SCHEMA_VERSION, TableSpec
from newswire.warehouse.versions import VERSION_KEY

STAGING = "_staging"
# Row groups of ~128k rows keep files scannable in parallel without tiny groups.
_ROW_GROUP_SIZE = 128 * 1024


def table_dir(lake_dir: Path, table: str) -> Path:
    return Path(lake_dir) / table


# What the writer (part-<run_id>.parquet) and compaction (part-compact-...) name their
# files; anything else in a partition is not the project's and readers ignore it.
PROJECT_FILE_PATTERN = "part-*.parquet"


def table_glob(lake_dir: Path, table: str) -> str:
    return str(table_dir(lake_dir, table) / "**" / PROJECT_FILE_PATTERN)


def foreign_files(lake_dir: Path, tables: Iterable[str]) -> list[Path]:
    """Files in the tables' partitions that are not the project's (readers and compaction
    ignore them; ``maintain`` names them so someone moves them out)."""
    found = []
    for table in tables:
        for path in sorted(table_dir(lake_dir, table).glob("*/*")):
            ours = fnmatch(path.name, PROJECT_FILE_PATTERN) or path.name.startswith(".")  # temporaries
            if path.is_file() and not ours:
                found.append(path)
    return found


def has_files(lake_dir: Path, table: str) -> bool:
    return any(table_dir(lake_dir, table).glob(f"*/{PROJECT_FILE_PATTERN}"))


def write_parquet_atomically(table: pa.Table, path: Path) -> None:
    """Write to a temp name, fsync, rename: a reader sees the whole file or none of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = dict(table.schema.metadata or {})
    metadata[VERSION_KEY] = str(SCHEMA_VERSION).encode()
    table = table.replace_schema_metadata(metadata)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(
        table,
        temporary,
        compression="zstd",
        row_group_size=_ROW_GROUP_SIZE,
        use_dictionary=True,
    )
    failpoint("parquet-tmp")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def stage_rows(
    lake_dir: Path, run_id: str, spec: TableSpec, rows: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """Write rows into staging, one file per partition. Returns (staged, final) relative
    paths, which the run's commit records."""
    by_partition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_partition[row[spec.partition]].append(row)
    moves = []
    for partition_value, partition_rows in sorted(by_partition.items()):
        relative = Path(spec.name) / f"{spec.partition}={partition_value}" / f"part-{run_id}.parquet"
        staged = Path(STAGING) / run_id / relative
        write_parquet_atomically(spec.to_arrow(partition_rows), Path(lake_dir) / staged)
        moves.append((str(staged), str(relative)))
    return moves


def publish(lake_dir: Path, moves: list[tuple[str, str]]) -> None:
    """Rename staged files into place. Idempotent: a move already done is skipped, so a
    crash half-way is finished by calling this again."""
    lake_dir = Path(lake_dir)
    for staged, final in moves:
        source, target = lake_dir / staged, lake_dir / final
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            failpoint("publishing")
        elif not target.exists():
            raise FileNotFoundError(
                f"committed file {final} is neither staged nor published; the lake at "
                f"{lake_dir} was modified by hand or lost files"
            )


def discard_staging(lake_dir: Path, run_id: str) -> None:
    shutil.rmtree(Path(lake_dir) / STAGING / run_id, ignore_errors=True)


def staged_run_ids(lake_dir: Path) -> list[str]:
    root = Path(lake_dir) / STAGING
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def remove_temp_files(lake_dir: Path) -> int:
    """Temp files a killed writer left behind (never visible to readers: they start with a
    dot and do not end in .parquet)."""
    removed = 0
    for temporary in Path(lake_dir).rglob(".*.parquet.tmp"):
        temporary.unlink(missing_ok=True)
        removed += 1
    return removed
