"""The Parquet lake: staged writes, publication, and recovery after a crash.

A run's files are first written under ``_staging/<run_id>/`` (invisible to readers, whose
views list files from the manifest and whose globs start at ``<table>/``). Only after the
run's state is committed in DuckDB are they moved into place; the commit records the file
list (and the run ledger each file's size and SHA-256), so a crash at any moment either
leaves a staging folder with no committed run (discarded on the next start) or a committed
run whose moves are finished on the next start. Either way no row is lost or written
twice, and readers never see half a run: they read the manifest the writer swaps in after
publication (warehouse/manifest.py).

Every function takes the lake as a ``LakeStore`` (local directory or S3); a ``Path`` is
accepted for a local lake.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.lake_store import LakeStore, sha256_of
from newswire.warehouse.schema import SCHEMA_VERSION, TableSpec
from newswire.warehouse.versions import VERSION_KEY

STAGING = "_staging"
# Files a committed run (compaction, pruning) took out of the lake, until it is published.
RETIRED = "_retired"
# Row groups of ~128k rows keep files scannable in parallel without tiny groups.
_ROW_GROUP_SIZE = 128 * 1024

# What the writer (part-<run_id>.parquet) and compaction (part-compact-...) name their
# files; anything else in a partition is not the project's and readers ignore it.
PROJECT_FILE_PATTERN = "part-*.parquet"


@dataclass(frozen=True)
class StagedFile:
    """A file written into staging: where it goes, and what the ledger records of it."""

    staged: str
    final: str
    size: int
    sha256: str

    @property
    def move(self) -> tuple[str, str]:
        return (self.staged, self.final)


def as_store(lake: LakeStore | Path | str) -> LakeStore:
    return lake if isinstance(lake, LakeStore) else LakeStore(lake)


def table_dir(lake_dir: Path, table: str) -> Path:
    return Path(lake_dir) / table


def table_glob(lake_dir: Path, table: str) -> str:
    return str(table_dir(lake_dir, table) / "**" / PROJECT_FILE_PATTERN)


def is_project_file(relative: str) -> bool:
    return fnmatch(PurePosixPath(relative).name, PROJECT_FILE_PATTERN)


def table_of(relative: str) -> str:
    return PurePosixPath(relative).parts[0]


def project_files(lake, table: str) -> list[str]:
    """The table's files in the lake (what a directory listing shows, committed or not)."""
    store = as_store(lake)
    return [f.path for f in store.list_files(table) if is_project_file(f.path) and f.path.count("/") == 2]


def foreign_files(lake, tables: Iterable[str]) -> list[str]:
    """Lake-relative paths of files in the tables' partitions that are not the project's
    (readers and compaction ignore them; ``maintain`` names them so someone moves them out)."""
    store = as_store(lake)
    found = []
    for table in tables:
        for stored in store.list_files(table):
            name = PurePosixPath(stored.path).name
            ours = is_project_file(stored.path) or name.startswith(".")  # temporaries
            if stored.path.count("/") == 2 and not ours:
                found.append(stored.path)
    return found


def has_files(lake, table: str) -> bool:
    return bool(project_files(lake, table))


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as one zstd Parquet file stamped with the schema version."""
    metadata = dict(table.schema.metadata or {})
    metadata[VERSION_KEY] = str(SCHEMA_VERSION).encode()
    table = table.replace_schema_metadata(metadata)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=_ROW_GROUP_SIZE, use_dictionary=True)
    return buffer.getvalue()


def write_parquet(lake, relative: str, table: pa.Table) -> tuple[int, str]:
    """Write a file atomically; returns its size and SHA-256 (what the ledger keeps)."""
    data = parquet_bytes(table)
    as_store(lake).write_bytes(relative, data, before_rename=lambda: failpoint("parquet-tmp"))
    return len(data), sha256_of(data)


def stage_table(lake, run_id: str, final: str, table: pa.Table) -> StagedFile:
    staged = f"{STAGING}/{run_id}/{final}"
    size, sha256 = write_parquet(lake, staged, table)
    return StagedFile(staged, final, size, sha256)


def stage_rows(lake, run_id: str, spec: TableSpec, rows: list[dict[str, Any]]) -> list[StagedFile]:
    """Write rows into staging, one file per partition. Returns the staged files, whose
    moves (staged, final) the run's commit records."""
    by_partition: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_partition[row[spec.partition]].append(row)
    return [
        stage_table(
            lake,
            run_id,
            f"{spec.name}/{spec.partition}={partition_value}/part-{run_id}.parquet",
            spec.to_arrow(partition_rows),
        )
        for partition_value, partition_rows in sorted(by_partition.items())
    ]


def publish(lake, moves: list[tuple[str, str]]) -> None:
    """Move staged files into place. Idempotent: a move already done is skipped, so a
    crash half-way is finished by calling this again. A file that is neither staged nor in
    place was lost after its commit: the ledger check (warehouse/ledger.py) reports and
    quarantines it, and the run still publishes the rest."""
    store = as_store(lake)
    for staged, final in moves:
        if store.exists(staged):
            store.move(staged, final)
            failpoint("publishing")


def discard_staging(lake, run_id: str) -> None:
    as_store(lake).delete_tree(f"{STAGING}/{run_id}")


def staged_run_ids(lake) -> list[str]:
    # Folders, not files: a run killed at its first temp file leaves only empty folders.
    return as_store(lake).children(STAGING)


def remove_temp_files(lake) -> int:
    """Temp files a killed writer left behind on a local disk (never visible to readers:
    they start with a dot and do not end in .parquet). An object store has none: a PUT
    is whole or absent."""
    store = as_store(lake)
    if not store.is_local or not store.local_path().exists():
        return 0
    removed = 0
    for temporary in store.local_path().rglob(".*.tmp"):
        temporary.unlink(missing_ok=True)
        removed += 1
    return removed
