"""Immutable, versioned manifests: the one committed state a reader sees.

After each publication the writer writes ``_manifests/<version>/`` — ``manifest.json``
(every live lake file with its size and hash, the quarantined ones by path, the schema
version) and that moment's state snapshots (``runs.parquet``, ``feed_state.parquet``) —
and then replaces ``_manifests/CURRENT.json``, a small pointer to it. That one replacement
(a rename on disk, a single PUT on an object store) is the moment a run becomes visible.

A reader reads the pointer once and builds every view from that manifest's file list:
whatever the writer does meanwhile (add files, compact, prune), one query joins tables
of one committed state, never two (issue: a reader saw an ingest's rows vanish while it
saw a backfill's). Old manifests are kept for a while (``KEEP_VERSIONS``) so a reader
that opened one a moment ago still finds its snapshot files; data files a compaction
retired are gone sooner, and such a reader is told to reopen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from newswire.warehouse import ledger
from newswire.warehouse.lake import parquet_bytes
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.schema import SCHEMA_VERSION

MANIFESTS = "_manifests"
CURRENT = f"{MANIFESTS}/CURRENT.json"
KEEP_VERSIONS = 20
# State tables readers see, exported with every manifest (readers never open the state).
STATE_SNAPSHOTS = {
    "feed_state": "SELECT * FROM feed_state ORDER BY feed_id",
    "runs": "SELECT run_id, flow, started_at, committed_at, published, summary FROM runs ORDER BY started_at",
}


@dataclass(frozen=True)
class Manifest:
    version: int
    schema_version: int
    written_at: str
    files: list[ledger.LedgerFile] = field(default_factory=list)
    quarantined: list[ledger.Damage] = field(default_factory=list)
    # state snapshot name -> lake-relative path
    state: dict[str, str] = field(default_factory=dict)

    def files_of(self, table: str) -> list[ledger.LedgerFile]:
        return [f for f in self.files if f.table == table]


def read_current(store: LakeStore) -> Manifest | None:
    """The manifest readers go through now; None for a lake no writer of this version has
    published yet."""
    try:
        pointer = json.loads(store.read_bytes(CURRENT))
    except FileNotFoundError:
        return None
    return read_version(store, int(pointer["version"]))


def read_version(store: LakeStore, version: int) -> Manifest:
    body = json.loads(store.read_bytes(f"{MANIFESTS}/{version:012d}/manifest.json"))
    return Manifest(
        version=body["version"],
        schema_version=body["schema_version"],
        written_at=body["written_at"],
        files=[ledger.LedgerFile(**f) for f in body["files"]],
        quarantined=[ledger.Damage(**d) for d in body["quarantined"]],
        state=body["state"],
    )


def current_version(store: LakeStore) -> int:
    try:
        return int(json.loads(store.read_bytes(CURRENT))["version"])
    except FileNotFoundError:
        return 0


def write_next(con: duckdb.DuckDBPyConnection, store: LakeStore) -> Manifest:
    """Export the state snapshots and the ledger's live files as the next manifest, then
    swap the pointer. The caller holds the writer lock (versions are not contended)."""
    version = current_version(store) + 1
    folder = f"{MANIFESTS}/{version:012d}"
    state = {}
    for name, query in STATE_SNAPSHOTS.items():
        data = parquet_bytes(utc_spelled(con.sql(query).to_arrow_table()))
        state[name] = f"{folder}/{name}.parquet"
        store.write_bytes(state[name], data)
        # The latest snapshot also at a fixed name, for plain readers (README).
        store.write_bytes(f"state/{name}.parquet", data)
    manifest = Manifest(
        version=version,
        schema_version=SCHEMA_VERSION,
        written_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        files=ledger.live_files(con),
        quarantined=ledger.quarantined(con),
        state=state,
    )
    body = {
        "version": manifest.version,
        "schema_version": manifest.schema_version,
        "written_at": manifest.written_at,
        "files": [f.__dict__ for f in manifest.files],
        "quarantined": [d.__dict__ for d in manifest.quarantined],
        "state": state,
    }
    store.write_bytes(f"{folder}/manifest.json", json.dumps(body, indent=1).encode())
    store.write_bytes(
        CURRENT, json.dumps({"version": version, "manifest": f"{folder}/manifest.json"}).encode()
    )
    _forget_old(store, version)
    return manifest


def _forget_old(store: LakeStore, version: int) -> None:
    for old in range(max(1, version - KEEP_VERSIONS - 5), version - KEEP_VERSIONS + 1):
        store.delete_tree(f"{MANIFESTS}/{old:012d}")


def utc_spelled(table: pa.Table) -> pa.Table:
    """Timestamps as the lake spells them (``tz=UTC``): DuckDB exports TIMESTAMPTZ in its
    session's zone name (``Etc/UTC`` here), and polars, for one, refuses to compare the two
    spellings of one zone."""
    fields = [
        field.with_type(pa.timestamp(field.type.unit, tz="UTC"))
        if pa.types.is_timestamp(field.type) and field.type.tz
        else field
        for field in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))
