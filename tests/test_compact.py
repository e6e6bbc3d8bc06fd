"""Compaction is crash-safe: killed at any point of its commit (real SIGKILL via
failpoints), the next writer finishes or discards it, and no row is lost or doubled."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from conftest import REPO_ROOT
from newswire.warehouse.compact import RETIRED, compact
from newswire.warehouse.views import open_reader
from newswire.warehouse.writer import CommitBatch, Warehouse

STARTED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
COMPACT_IN_SUBPROCESS = """
import sys
from datetime import UTC, datetime
from newswire.warehouse.compact import compact
from newswire.warehouse.writer import Warehouse
warehouse = Warehouse(sys.argv[1])
with warehouse.writer():
    compact(warehouse, "compaction-run", datetime.now(UTC))
"""


def _lake_with_small_files(data_dir):
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        for run in range(4):
            rows = [
                {
                    "fetch_id": f"r{run}:f{i}",
                    "run_id": f"r{run}",
                    "feed_id": f"f{i}",
                    "status": 200,
                    "date": day,
                }
                for i in range(5)
                for day in ("2026-11-01", "2026-11-02")
            ]
            warehouse.commit(
                CommitBatch(run_id=f"r{run}", flow="ingest", started_at=STARTED, fetch_rows=rows)
            )
    return warehouse


def _fetch_rows(data_dir):
    con = open_reader(data_dir)
    try:
        return sorted(con.execute("SELECT fetch_id, run_id, feed_id, status, date FROM fetches").fetchall())
    finally:
        con.close()


def _files(data_dir):
    return {p.name: len(list(p.glob("*.parquet"))) for p in (data_dir / "lake" / "fetches").iterdir()}


@pytest.mark.parametrize("crash_at", ["staged", "before-commit", "committed", "published", None])
def test_compaction_survives_a_kill_anywhere(tmp_path, crash_at):
    data_dir = tmp_path / "data"
    _lake_with_small_files(data_dir)
    before = _fetch_rows(data_dir)
    assert _files(data_dir) == {"date=2026-11-01": 4, "date=2026-11-02": 4}

    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    if crash_at:
        environment["NEWSWIRE_FAILPOINT"] = crash_at
    run = subprocess.run(
        [sys.executable, "-c", COMPACT_IN_SUBPROCESS, str(data_dir)], env=environment, capture_output=True
    )
    assert run.returncode == (-9 if crash_at else 0), run.stderr.decode()

    # The next writer recovers, and a new compaction finishes the job and cleans up.
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        report = compact(warehouse, "after-crash", datetime.now(UTC))
    assert _fetch_rows(data_dir) == before
    assert _files(data_dir) == {"date=2026-11-01": 1, "date=2026-11-02": 1}
    committed_before_kill = crash_at in ("committed", "published", None)
    assert (report.partitions == []) is committed_before_kill  # otherwise redone from scratch
    assert not any((data_dir / "lake" / RETIRED).glob("*/*"))
    assert not any((data_dir / "lake" / "_staging").glob("*"))
