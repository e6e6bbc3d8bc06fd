"""The sorted run of the band index (warehouse/band_runs.py) in a real DuckDB state file:
a lookup finds exactly the rows a scan finds (keys inside blocks, on fences, spread over
many blocks), compaction merges the delta without repeats across key slices, a compaction
whose transaction never commits leaves the previous index in force, and stale files go."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from newswire.warehouse import band_runs, story_index
from newswire.warehouse.migrations import create_state


@pytest.fixture
def state(tmp_path, monkeypatch):
    # Tiny blocks and slices, so a few thousand rows cross many fences and slices.
    monkeypatch.setattr(band_runs, "FENCE_EVERY", 4)
    monkeypatch.setattr(band_runs, "SLICE_ROWS", 500)
    (tmp_path / "state").mkdir()
    con = duckdb.connect(str(tmp_path / "state" / "writer.duckdb"))
    create_state(con)
    yield con
    con.close()


def _add(con, keys, owners) -> None:
    con.register(
        "rows", pa.table({"key": pa.array(keys, pa.int64()), "appearance_key": pa.array(owners, pa.int64())})
    )
    con.execute("INSERT INTO appearance_bands SELECT * FROM rows")
    con.unregister("rows")


def _expected(keys, owners, wanted) -> set[tuple[int, int]]:
    wanted = set(wanted)
    return {(k, o) for k, o in zip(keys, owners, strict=True) if k in wanted}


def _found(run, wanted) -> set[tuple[int, int]]:
    keys, owners = band_runs.lookup(run, np.unique(np.asarray(wanted, np.int64)))
    pairs = list(zip(keys.tolist(), owners.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "a run row came back twice"
    return set(pairs)


def test_lookup_after_compactions_finds_what_a_scan_finds(state):
    rng = np.random.default_rng(3)
    all_keys, all_owners = [], []
    for _ in range(3):  # three compactions: the run grows by merging
        keys = rng.integers(-(2**63), 2**63 - 1, 1500, dtype=np.int64).tolist()
        owners = rng.integers(0, 2**40, 1500, dtype=np.int64).tolist()
        keys += [7] * 30 + [-(2**63)] * 3 + [2**63 - 1] * 2  # a hot key over many blocks, the extremes
        owners += [*range(30), 1, 2, 3, 4, 5]
        keys += keys[:50]  # the same rows again (a re-profiled appearance)
        owners += owners[:50]
        _add(state, keys, owners)
        state.execute("BEGIN TRANSACTION")
        run = band_runs.compact(state)
        state.execute("COMMIT")
        all_keys += keys
        all_owners += owners
    assert band_runs.delta_rows(state) == 0
    assert run.rows == len(set(zip(all_keys, all_owners, strict=True)))
    stored = run.keys()
    assert np.all(stored[1:] >= stored[:-1])
    assert np.array_equal(run.fences(), stored[:: band_runs.FENCE_EVERY])
    wanted = [*all_keys[::37], 7, -(2**63), 2**63 - 1, 12345, int(stored[4]), int(stored[8]) + 1]
    assert _found(run, wanted) == _expected(all_keys, all_owners, wanted)
    assert len(_found(run, [7])) == 30


def test_candidates_combine_run_and_delta_and_drop_hot_keys(state, monkeypatch):
    monkeypatch.setattr(story_index, "MAX_STORIES_PER_KEY", 3)
    _add(state, [1, 2, 2, 5], [10, 20, 21, 50])
    state.execute("BEGIN TRANSACTION")
    band_runs.compact(state)
    state.execute("COMMIT")
    _add(state, [1, 2, 2, 9], [11, 22, 20, 90])  # key 2: 4 rows, 3 distinct appearances
    hits = _run_and_delta(state, [1, 2, 5, 9, 77])
    assert story_index._evidence(*hits).tolist() == [10, 11, 20, 21, 22, 50, 90]
    monkeypatch.setattr(story_index, "MAX_STORIES_PER_KEY", 2)  # now key 2 is hot
    assert story_index._evidence(*hits).tolist() == [10, 11, 50, 90]


def _run_and_delta(con, wanted):
    keys, owners = band_runs.lookup(band_runs.current(con), np.asarray(sorted(wanted), np.int64))
    delta = con.execute(
        f"SELECT key, appearance_key FROM appearance_bands WHERE key IN ({', '.join(map(str, wanted))})"
    ).fetchnumpy()
    return np.concatenate([keys, delta["key"]]), np.concatenate([owners, delta["appearance_key"]])


def test_a_compaction_that_never_commits_leaves_the_index_as_it_was(state):
    _add(state, [1, 2, 3], [10, 20, 30])
    state.execute("BEGIN TRANSACTION")
    first = band_runs.compact(state)
    state.execute("COMMIT")
    _add(state, [4], [40])
    state.execute("BEGIN TRANSACTION")
    orphan = band_runs.compact(state)
    assert orphan.generation == first.generation + 1 and orphan.path("keys").exists()
    state.execute("ROLLBACK")  # the commit failed, or the process died before it
    now = band_runs.current(state)
    assert (now.generation, now.rows) == (first.generation, 3)
    assert band_runs.delta_rows(state) == 1
    assert _found(now, [1, 2, 3, 4]) == {(1, 10), (2, 20), (3, 30)}  # key 4 is still in the delta
    assert band_runs.discard_stale(state) == 3  # the orphan's keys, owners and fences
    assert first.path("keys").exists() and not orphan.path("keys").exists()
    state.execute("BEGIN TRANSACTION")
    second = band_runs.compact(state)  # the orphan's generation number is reused
    state.execute("COMMIT")
    assert _found(second, [1, 4]) == {(1, 10), (4, 40)}
    assert band_runs.discard_stale(state) == 3 and not first.path("keys").exists()


def test_a_run_file_that_does_not_match_the_state_is_a_clear_error(state):
    _add(state, [1, 2, 3], [10, 20, 30])
    state.execute("BEGIN TRANSACTION")
    run = band_runs.compact(state)
    state.execute("COMMIT")
    run.path("keys").write_bytes(b"\x00" * 8)
    with pytest.raises(RuntimeError, match="dedupe --rebuild"):
        band_runs.lookup(run, np.asarray([1], np.int64))


def test_reset_forgets_the_run(state):
    _add(state, [1, 2], [10, 20])
    state.execute("BEGIN TRANSACTION")
    band_runs.compact(state)
    story_index.reset(state)
    state.execute("COMMIT")
    assert band_runs.current(state).rows == 0
    assert _found(band_runs.current(state), [1, 2]) == set()
    assert band_runs.discard_stale(state) == 3


def _commit_bands(warehouse, run_id: str, rows: list[tuple[int, str]]) -> None:
    from datetime import UTC, datetime

    from newswire.warehouse.writer import CommitBatch

    batch = CommitBatch(run_id=run_id, flow="test", started_at=datetime.now(UTC))
    batch.cluster_members = {aid: _member_row(aid) for aid in sorted({aid for _, aid in rows})}
    batch.cluster_bands = rows
    warehouse.commit(batch)


def _member_row(aid: str) -> dict:
    from datetime import UTC, datetime

    return {
        "appearance_id": aid,
        "component": 1,
        "story_id": f"s-{aid}",
        "fresh_story_id": f"s-{aid}",
        "feed_id": "f",
        "entry_id": aid,
        "published_at": datetime(2025, 10, 9, tzinfo=UTC),
        "update_level": 0,
        "exact_keys": [],
        "signature": b"\x01" * 512,
        "shingle_count": 40,
        "title": aid,
        "numbers": [],
        "sentences": [],
        "wire_agency": None,
        "wire_original": False,
    }


def test_a_commit_that_fails_after_its_compaction_leaves_the_previous_index(data_dir, monkeypatch):
    """Through the real writer: a commit whose delta passes COMPACT_ROWS compacts inside
    its transaction; when that commit fails (here: the disk is full at the commit point)
    the previous run and delta stay in force, and the next commit compacts them again."""
    from newswire.warehouse.writer import Warehouse

    monkeypatch.setattr(band_runs, "COMPACT_ROWS", 3)
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        _commit_bands(warehouse, "r1", [(1, "a1"), (2, "a1"), (3, "a2"), (4, "a2")])  # compacts
        monkeypatch.setenv("NEWSWIRE_FAILPOINT", "before-commit:enospc")
        with pytest.raises(OSError):
            _commit_bands(warehouse, "r2", [(5, "a3"), (6, "a3"), (7, "a3"), (8, "a3")])
        monkeypatch.delenv("NEWSWIRE_FAILPOINT")
        with warehouse.state() as con:
            run = band_runs.current(con)
            assert (run.generation, run.rows, band_runs.delta_rows(con)) == (1, 4, 0)
        assert sorted(h["appearance_id"] for h in warehouse.cluster_candidates([1, 3, 5])) == ["a1", "a2"]
        _commit_bands(warehouse, "r3", [(5, "a3"), (6, "a3"), (7, "a3"), (8, "a3")])  # compacts again
        assert sorted(h["appearance_id"] for h in warehouse.cluster_candidates([1, 3, 5])) == [
            "a1",
            "a2",
            "a3",
        ]
    runs = sorted(p.name for p in (data_dir / "state" / band_runs.DIRECTORY).iterdir())
    assert runs == ["run-00000002.fences", "run-00000002.keys", "run-00000002.owners"]


def test_merging_into_the_run_is_sorting_everything_again():
    """The compaction's merge (new rows by binary search into the sorted run) gives what
    sorting old and new rows together and dropping repeats gives, keys shared or not."""
    rng = np.random.default_rng(8)
    for _ in range(20):
        old_keys = rng.integers(0, 40, 300)
        old_owners = rng.integers(0, 30, 300)
        new_keys = rng.integers(0, 50, int(rng.integers(0, 120)))
        new_owners = rng.integers(0, 30, len(new_keys))
        pairs = sorted(set(zip(old_keys.tolist(), old_owners.tolist(), strict=True)))
        old = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        merged = band_runs._merge(old[:, 0].copy(), old[:, 1].copy(), new_keys, new_owners)
        expected = sorted(set(pairs) | set(zip(new_keys.tolist(), new_owners.tolist(), strict=True)))
        assert list(zip(merged[0].tolist(), merged[1].tolist(), strict=True)) == expected
