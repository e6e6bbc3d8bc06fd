"""The bulk of the LSH band index as one sorted run on disk, looked up by binary search.

``appearance_bands`` in the state database is a heap: DuckDB can only find a batch's keys
in it by reading the whole key column (a hash join with a Bloom filter), so the lookup of
a 40-item batch cost as much as that of a 10,000-item one and grew with the history
(~0.2 s per batch at 10^6 stories, 65 rows per appearance). Zone maps do not help: a
batch's ~65 keys per item are spread uniformly over the 64-bit key space, so even a table
sorted by key has a hit in every 122,880-row group; an ART index on the key column takes
~40 bytes per row (2.7 GB at 10^6 stories) and is rebuilt in memory on every connection.

So the band index has two tiers (docs/decisions.md):

- the **run**: every (key, appearance_key) pair up to the last compaction, sorted, as
  three flat little-endian int64 files next to the state database — ``keys``, ``owners``
  (the appearance keys, row for row) and ``fences`` (every ``FENCE_EVERY``-th key). A
  lookup binary-searches the fences in memory, then reads only the blocks of
  ``FENCE_EVERY`` keys its keys fall into (memory-mapped): one or two pages per key,
  whatever the history's size;
- the **delta**: ``appearance_bands``, the rows added since, at most ``COMPACT_ROWS``
  (hash-joined as before, a bounded cost).

When the delta passes ``COMPACT_ROWS``, ``compact`` merges it into a new run generation
inside the commit's transaction: the new files are written and fsynced under their final
names *before* the transaction that points ``meta.band_run`` at them and empties the delta
commits. A crash before that commit leaves the previous generation and the delta in force
(the new files are orphans, removed later by ``discard_stale``); after it, the new
generation. Only the writer, under its lock, reads or writes runs.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

# Keys per block between two fences: a lookup reads one block (1 KB of keys) per key.
FENCE_EVERY = 128
# Delta rows that trigger a compaction (~16,000 appearances at 65 keys each): the delta's
# hash join stays a few milliseconds, and a compaction rewrites the run that rarely.
COMPACT_ROWS = 1 << 20
# Rows merged per slice of the key space, so a compaction's memory is bounded whatever
# the sizes of run and delta (a first compaction of an older state holds the whole index
# in the delta). A slice costs ~8 copies of its 16-byte rows (the delta's fetch and
# cast, the sort, the merge's inserts): at 2^22 the 500-feed first poll's compaction (1.3M
# rows, one slice) was the run's peak, ~100 MB over the commits around it; at 2^18 a
# slice is ~30 MB and the delta is scanned once per slice (~20 ms each).
SLICE_ROWS = 1 << 18
META_KEY = "band_run"
DIRECTORY = "band_runs"
_PARTS = ("keys", "owners", "fences")
_INT64 = np.dtype("<i8")


@dataclass(frozen=True)
class BandRun:
    """One generation of the run (generation 0: no run yet)."""

    directory: Path
    generation: int
    rows: int

    def path(self, part: str) -> Path:
        return self.directory / f"run-{self.generation:08d}.{part}"

    def _array(self, part: str, count: int) -> np.ndarray:
        if count == 0:
            return np.empty(0, _INT64)
        path = self.path(part)
        size = path.stat().st_size if path.exists() else -1
        if size != count * _INT64.itemsize:
            raise RuntimeError(
                f"band index run {path} is {size} bytes, the state database expects "
                f"{count * _INT64.itemsize}: the state directory was changed by hand; "
                "run `newswire dedupe --rebuild` to rebuild the index"
            )
        return np.memmap(path, dtype=_INT64, mode="r", shape=(count,))

    def keys(self) -> np.ndarray:
        return self._array("keys", self.rows)

    def owners(self) -> np.ndarray:
        return self._array("owners", self.rows)

    def fences(self) -> np.ndarray:
        return np.array(self._array("fences", _fence_count(self.rows)))


def _fence_count(rows: int) -> int:
    return -(-rows // FENCE_EVERY)


def run_directory(con: duckdb.DuckDBPyConnection) -> Path:
    """The runs live beside the state database file this connection has open."""
    ((path,),) = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not path:
        raise RuntimeError("the band index needs a state database on disk, not an in-memory one")
    return Path(path).parent / DIRECTORY


def current(con: duckdb.DuckDBPyConnection) -> BandRun:
    """The generation the state database points at (as this transaction sees it)."""
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchall()
    generation, count = (int(part) for part in rows[0][0].split(":")) if rows else (0, 0)
    return BandRun(run_directory(con), generation, count)


def _point_at(con: duckdb.DuckDBPyConnection, run: BandRun) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_KEY, f"{run.generation}:{run.rows}"])


def lookup(run: BandRun, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, owners) of every run row whose key is in ``wanted`` (sorted, distinct int64).

    The fences (every ``FENCE_EVERY``-th key) say which block each wanted key can be in;
    only those blocks are read (one ``pread`` each: cheaper than page faults on a fresh
    memory map, measured). A key equal to a fence may continue into the next blocks (a
    key many appearances share): those few are searched in the whole run."""
    if run.rows == 0 or not len(wanted):
        return np.empty(0, _INT64), np.empty(0, _INT64)
    fences = run.fences()
    block = np.searchsorted(fences, wanted, "right") - 1
    inside = block >= 0
    on_fence = inside & (fences[np.maximum(block, 0)] == wanted)
    plain = inside & ~on_fence
    blocks = np.unique(block[plain])
    window = _read_blocks(run, blocks)  # sorted: sorted blocks of a sorted run
    asked = wanted[plain]
    hits = _ranges(np.searchsorted(window, asked, "left"), np.searchsorted(window, asked, "right"))
    # Every block read is whole but the run's last one, which comes last in the window.
    found = blocks[hits // FENCE_EVERY] * FENCE_EVERY + hits % FENCE_EVERY
    shared = wanted[on_fence]
    if len(shared):
        keys = run.keys()
        spans = _ranges(np.searchsorted(keys, shared, "left"), np.searchsorted(keys, shared, "right"))
        found = np.sort(np.concatenate([found, spans]))
    return _read_rows(run, "keys", found), _read_rows(run, "owners", found)


def _read_blocks(run: BandRun, blocks: np.ndarray) -> np.ndarray:
    """The keys of these blocks, concatenated in order."""
    size = FENCE_EVERY * _INT64.itemsize
    run.keys()  # checks the file's size against the state
    descriptor = os.open(run.path("keys"), os.O_RDONLY)
    try:
        parts = [os.pread(descriptor, size, block * size) for block in blocks.tolist()]
    finally:
        os.close(descriptor)
    return np.frombuffer(b"".join(parts), dtype=_INT64)


def _read_rows(run: BandRun, part: str, positions: np.ndarray) -> np.ndarray:
    """The values at these row positions of one of the run's files."""
    if not len(positions):
        return np.empty(0, _INT64)
    descriptor = os.open(run.path(part), os.O_RDONLY)
    try:
        parts = [os.pread(descriptor, _INT64.itemsize, row * _INT64.itemsize) for row in positions.tolist()]
    finally:
        os.close(descriptor)
    return np.frombuffer(b"".join(parts), dtype=_INT64)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Every index of the half-open ranges [starts[i], ends[i]), in order."""
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64)
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


def delta_rows(con: duckdb.DuckDBPyConnection) -> int:
    ((count,),) = con.execute("SELECT count(*) FROM appearance_bands").fetchall()
    return count


def compact(con: duckdb.DuckDBPyConnection) -> BandRun:
    """Merge the delta into a new run generation; the caller's transaction commits it
    (module docstring). Returns the new generation."""
    old = current(con)
    old.directory.mkdir(parents=True, exist_ok=True)
    new = BandRun(old.directory, old.generation + 1, 0)
    delta = delta_rows(con)
    slices = max(1, -(-(old.rows + delta) // SLICE_ROWS))
    # The old run is searched through a memory map but its slices are read with plain
    # reads: mapped pages would count in the process's resident size.
    old_keys = old.keys()
    written = 0
    with _Writer(new) as out:
        for low, high in _key_slices(slices):
            keys, owners = _merged_slice(con, old, old_keys, low, high)
            out.append(keys, owners, written)
            written += len(keys)
    new = BandRun(new.directory, new.generation, written)
    con.execute("DELETE FROM appearance_bands")
    _point_at(con, new)
    return new


def _key_slices(count: int) -> Iterator[tuple[int | None, int | None]]:
    """``count`` contiguous slices [low, high) of the int64 key space (None: unbounded)."""
    step = 2**64 // count
    bounds = [None] + [-(2**63) + step * n for n in range(1, count)] + [None]
    yield from itertools.pairwise(bounds)


def _merged_slice(
    con: duckdb.DuckDBPyConnection,
    old: BandRun,
    old_keys: np.ndarray,
    low: int | None,
    high: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The run's and the delta's rows with keys in [low, high), sorted, without repeats
    (an appearance re-profiled with an unchanged band adds the same row again)."""
    start = 0 if low is None else int(np.searchsorted(old_keys, low, "left"))
    end = len(old_keys) if high is None else int(np.searchsorted(old_keys, high, "left"))
    where = " AND ".join(
        condition for condition, bound in (("key >= ?", low), ("key < ?", high)) if bound is not None
    )
    params = [bound for bound in (low, high) if bound is not None]
    delta = con.execute(
        f"SELECT key, appearance_key FROM appearance_bands {'WHERE ' + where if where else ''}", params
    ).fetchnumpy()
    return _merge(
        _read_span(old, "keys", start, end),
        _read_span(old, "owners", start, end),
        delta["key"].astype(_INT64),
        delta["appearance_key"].astype(_INT64),
    )


def _merge(
    old_keys: np.ndarray, old_owners: np.ndarray, keys: np.ndarray, owners: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The old rows (sorted by key, then owner, distinct) with the new ones merged in, in
    the same order and without repeats. Only the new rows are sorted; they go in by
    binary search (sorting the concatenation cost ~20 s of CPU per compaction at 10^6
    appearances, merging ~1 s)."""
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order]
    if len(keys) > 1:
        distinct = np.r_[True, (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])]
        keys, owners = keys[distinct], owners[distinct]
    at = np.searchsorted(old_keys, keys, "left")
    # Where the old run holds the key already (rare but for a key many appearances share),
    # the new row's place among its owners, or nothing if it is already there.
    keep = np.ones(len(keys), dtype=bool)
    shared = np.flatnonzero(np.searchsorted(old_keys, keys, "right") > at)
    for row in shared.tolist():
        start = int(at[row])
        end = int(np.searchsorted(old_keys, keys[row], "right"))
        offset = int(np.searchsorted(old_owners[start:end], owners[row], "left"))
        if start + offset < end and old_owners[start + offset] == owners[row]:
            keep[row] = False
        at[row] = start + offset
    return np.insert(old_keys, at[keep], keys[keep]), np.insert(old_owners, at[keep], owners[keep])


def _read_span(run: BandRun, part: str, start: int, end: int) -> np.ndarray:
    if end <= start:
        return np.empty(0, _INT64)
    with open(run.path(part), "rb") as handle:
        handle.seek(start * _INT64.itemsize)
        return np.fromfile(handle, dtype=_INT64, count=end - start)


class _Writer:
    """Appends a run's rows to its three files, then fsyncs them under their final names."""

    def __init__(self, run: BandRun) -> None:
        self.run = run
        self.files = {}

    def __enter__(self) -> _Writer:
        for part in _PARTS:
            self.files[part] = open(self.run.path(part), "wb")
        return self

    def append(self, keys: np.ndarray, owners: np.ndarray, offset: int) -> None:
        """Rows that go at global position ``offset`` on; the fences are the keys at the
        multiples of ``FENCE_EVERY``."""
        self.files["keys"].write(keys.astype(_INT64, copy=False).tobytes())
        self.files["owners"].write(owners.astype(_INT64, copy=False).tobytes())
        self.files["fences"].write(keys[(-offset) % FENCE_EVERY :: FENCE_EVERY].astype(_INT64).tobytes())

    def __exit__(self, kind, error, trace) -> None:
        for handle in self.files.values():
            if kind is None:
                handle.flush()
                os.fsync(handle.fileno())
            handle.close()
        if kind is None:
            directory = os.open(self.run.directory, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """No run (a rebuild refills the index from nothing); the files go with ``discard_stale``."""
    _point_at(con, BandRun(run_directory(con), current(con).generation, 0))


def discard_stale(con: duckdb.DuckDBPyConnection) -> int:
    """Remove run files of every generation but the committed one (a finished
    compaction's predecessor, or the orphan of a compaction whose commit never happened).
    Call outside a transaction, after commit. Returns how many files were removed."""
    run = current(con)
    if not run.directory.is_dir():
        return 0
    keep = {run.path(part).name for part in _PARTS} if run.rows else set()
    removed = 0
    for path in run.directory.glob("run-*"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
