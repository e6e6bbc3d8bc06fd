"""Damage at rest, through the real command line: a committed Parquet file truncated, one
with a flipped block (same size), one deleted, and a corrupt raw payload. Each is
reported by path and quarantined (warehouse/ledger.py); `newswire sql` over the rest,
`ingest` and `maintain` keep working; `maintain` never makes a loss permanent (a good copy
put back is re-admitted); a corrupt payload costs that payload in a replay, not the run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from warehouse_checks import REPO_ROOT, cli_env, run_cli_ingest, write_catalog_for

from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.manifest import read_current
from newswire.warehouse.raw_store import RawStore
from newswire.warehouse.views import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FEEDS = ("--feed", "24kg-en", "--feed", "timesca-en")


@pytest.fixture(scope="module")
def pristine(prefect_server, tmp_path_factory):
    """One warehouse holding two feeds of the sample (a copy of it is damaged by each test)."""
    with FeedServer(SAMPLE_DIR) as server:
        catalog = write_catalog_for(server.base_url, tmp_path_factory.mktemp("catalog") / "catalog.toml")
        data_dir = tmp_path_factory.mktemp("pristine") / "data"
        done = run_cli_ingest(catalog, data_dir, cli_env(prefect_server), *FEEDS)
        assert done.returncode == 0, done.stderr[-3000:]
        yield data_dir, catalog


def _newswire(prefect_server, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newswire", *args],
        env=cli_env(prefect_server),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _counts(data_dir: Path) -> tuple[int, int]:
    con = open_reader(data_dir)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM appearance_versions), (SELECT count(*) FROM story_versions)"
        ).fetchone()
    finally:
        con.close()


def _sql_counts(prefect_server, data_dir: Path) -> tuple[tuple[int, int], str]:
    """`newswire sql` in a subprocess: the counts, and what it warned about."""
    query = (
        "SELECT (SELECT count(*) FROM appearance_versions) AS a, (SELECT count(*) FROM story_versions) AS s"
    )
    done = _newswire(prefect_server, "sql", "--data-dir", str(data_dir), "--format", "json", query)
    assert done.returncode == 0, done.stderr[-3000:]
    row = json.loads(done.stdout)[0]
    return (row["a"], row["s"]), done.stderr


def _copy(pristine, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(pristine[0], data_dir)
    return data_dir


def _largest_file(data_dir: Path, table: str) -> tuple[str, int]:
    """A committed file of ``table`` and how many rows it holds."""
    files = read_current(LakeStore(data_dir / "lake")).files_of(table)
    path = max(files, key=lambda f: f.size).path
    return path, pq.read_metadata(data_dir / "lake" / path).num_rows


def _assert_quarantined(data_dir: Path, path: str) -> None:
    current = read_current(LakeStore(data_dir / "lake"))
    assert path in {d.path for d in current.quarantined}
    assert path not in {f.path for f in current.files}
    assert not (data_dir / "lake" / path).exists()


def test_truncated_parquet_is_reported_quarantined_and_the_rest_keeps_working(
    prefect_server, pristine, tmp_path
):
    data_dir = _copy(pristine, tmp_path)
    before = _counts(data_dir)
    path, rows = _largest_file(data_dir, "appearances")
    target = data_dir / "lake" / path
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])

    # `newswire sql`: the damaged file is named and left out; every other file answers.
    during, warned = _sql_counts(prefect_server, data_dir)
    assert path in warned
    assert during == (before[0] - rows, before[1])

    # The next ingest quarantines it at start-up and runs; no catalogue temp is left.
    rerun = run_cli_ingest(pristine[1], data_dir, cli_env(prefect_server), *FEEDS)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert path in rerun.stderr
    _assert_quarantined(data_dir, path)
    assert (data_dir / "lake" / "_quarantine" / path).exists()
    assert not list(data_dir.glob(".newswire.duckdb.tmp-*"))
    assert _counts(data_dir)[1] >= before[1]


def test_flipped_block_is_found_by_maintain_and_quarantined(prefect_server, pristine, tmp_path):
    data_dir = _copy(pristine, tmp_path)
    before = _counts(data_dir)
    path, rows = _largest_file(data_dir, "stories")
    target = data_dir / "lake" / path
    data = bytearray(target.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    target.write_bytes(bytes(data))  # same size: only the hash tells

    maintained = _newswire(prefect_server, "maintain", "--data-dir", str(data_dir))
    assert maintained.returncode == 3, maintained.stderr[-3000:]
    assert path in maintained.stderr and "SHA-256" in maintained.stderr
    _assert_quarantined(data_dir, path)
    assert _counts(data_dir) == (before[0], before[1] - rows)


def test_deleted_file_is_reported_and_maintain_never_makes_the_loss_permanent(
    prefect_server, pristine, tmp_path
):
    data_dir = _copy(pristine, tmp_path)
    before = _counts(data_dir)
    path, rows = _largest_file(data_dir, "appearances")
    backup = tmp_path / "backup.parquet"
    shutil.move(data_dir / "lake" / path, backup)

    during, warned = _sql_counts(prefect_server, data_dir)
    assert path in warned and "missing" in warned
    assert during == (before[0] - rows, before[1])

    maintained = _newswire(prefect_server, "maintain", "--data-dir", str(data_dir))
    assert maintained.returncode == 3, maintained.stderr[-3000:]
    assert path in maintained.stderr and "missing" in maintained.stderr
    _assert_quarantined(data_dir, path)

    # The good copy put back is re-admitted: nothing was lost for good.
    shutil.copy(backup, data_dir / "lake" / path)
    maintained = _newswire(prefect_server, "maintain", "--data-dir", str(data_dir))
    assert maintained.returncode == 0, maintained.stderr[-3000:]
    assert _counts(data_dir) == before
    assert not read_current(LakeStore(data_dir / "lake")).quarantined


def test_corrupt_raw_payload_costs_that_payload_in_an_archive_replay(prefect_server, pristine, tmp_path):
    data_dir = _copy(pristine, tmp_path)
    con = open_reader(data_dir)
    try:
        (sha,) = con.execute(
            "SELECT body_sha256 FROM fetches WHERE feed_id = '24kg-en' AND body_sha256 IS NOT NULL"
        ).fetchone()
    finally:
        con.close()
    damaged = Path(RawStore(data_dir / "lake").path_for(sha))
    damaged.write_bytes(damaged.read_bytes()[:100] + b"\x00" * 64)
    replay = _newswire(
        prefect_server,
        "backfill",
        "--source",
        "archive",
        "--from",
        "2000-01-01",
        "--to",
        "2030-12-31",
        "--catalog",
        str(pristine[1]),
        "--data-dir",
        str(data_dir),
        *FEEDS,
        timeout=300,
    )
    # Done, one feed needs attention (exit 3): the payload is named, the other replayed.
    output = replay.stdout + replay.stderr
    assert replay.returncode == 3, output[-3000:]
    assert sha in output and "damaged" in output
