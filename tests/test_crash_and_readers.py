"""A real ingest process killed mid-load, and readers querying while a writer holds a run
open. Children run the CLI against the session's Prefect test server (no 15-28 s
ephemeral start per process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE_CATALOG, sql_in_subprocess

pytestmark = pytest.mark.slow


def write_catalog(tmp_path: Path, base_url: str) -> Path:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        SAMPLE_CATALOG.read_text(encoding="utf-8").replace("{base}", base_url), encoding="utf-8"
    )
    return catalog


def newswire(args: list[str], api_url: str, **env) -> subprocess.Popen:
    # These tests kill writers on purpose: a killed writer's Prefect slot would hold the
    # next run for its 60 s lease. The file lock (freed by the kernel at once) and the
    # commit ledger are what is under test, so the Prefect limit is off here.
    child_env = {**os.environ, "PREFECT_API_URL": api_url, "NEWSWIRE_PREFECT_WRITER_LIMIT": "false", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *args],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_ingest(catalog: Path, data_dir: Path, api_url: str, **env) -> subprocess.CompletedProcess:
    process = newswire(
        ["ingest", "--force", "--catalog", str(catalog), "--data-dir", str(data_dir)], api_url, **env
    )
    stdout, stderr = process.communicate(timeout=240)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def snapshot(data_dir: Path) -> dict:
    """What a reader sees, plus integrity checks a crash could break."""
    from warehouse.views import open_reader

    con = open_reader(data_dir)
    result = {
        "appearances": sorted(r[0] for r in con.execute("SELECT appearance_id FROM appearances").fetchall()),
        "stories": sorted(r[0] for r in con.execute("SELECT story_id FROM stories").fetchall()),
        "appearance_rows": con.execute("SELECT count(*) FROM appearance_versions").fetchone()[0],
        "story_rows": con.execute("SELECT count(*) FROM story_versions").fetchone()[0],
    }
    con.close()
    lake = data_dir / "lake"
    result["stray_files"] = sorted(
        str(p.relative_to(lake))
        for p in lake.rglob("*")
        if p.is_file() and (p.name.endswith(".tmp") or "_staging" in p.parts)
    )
    # The writer's state database must still open.
    duckdb.connect(str(data_dir / "state" / "writer.duckdb")).close()
    return result


@pytest.mark.parametrize("point", ["before-commit", "committed"])
def test_kill_mid_load_then_rerun_equals_clean_run(prefect_server, sample_server, tmp_path, point):
    catalog = write_catalog(tmp_path, sample_server.base_url)
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crashed"
    assert run_ingest(catalog, clean_dir, prefect_server).returncode == 0
    clean = snapshot(clean_dir)
    assert clean["appearances"] and clean["appearance_rows"] == len(clean["appearances"])

    killed = run_ingest(catalog, crash_dir, prefect_server, NEWSWIRE_FAILPOINT=point)
    assert killed.returncode == -signal.SIGKILL
    rerun = run_ingest(catalog, crash_dir, prefect_server)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    crashed = snapshot(crash_dir)
    assert crashed == clean


def test_sql_answers_while_an_ingest_holds_the_warehouse(prefect_server, sample_server, tmp_path):
    catalog = write_catalog(tmp_path, sample_server.base_url)
    data_dir = tmp_path / "data"
    reached, release = tmp_path / "reached", tmp_path / "release"
    writer = newswire(
        ["ingest", "--force", "--catalog", str(catalog), "--data-dir", str(data_dir)],
        prefect_server,
        NEWSWIRE_FAILPOINT="before-commit:pause",
        NEWSWIRE_FAILPOINT_REACHED=str(reached),
        NEWSWIRE_FAILPOINT_RELEASE=str(release),
    )
    try:
        deadline = time.monotonic() + 180
        while not reached.exists():
            assert writer.poll() is None, writer.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the ingest never reached its commit"
            time.sleep(0.1)
        # The writer now holds the writer lock and an open DuckDB transaction.
        query = sql_in_subprocess(data_dir, "SELECT count(*) AS n FROM stories")
        assert query == [{"n": 0}]  # a consistent snapshot: nothing half-committed
    finally:
        release.touch()
    _, stderr = writer.communicate(timeout=120)
    assert writer.returncode == 0, stderr[-2000:]
    after = sql_in_subprocess(data_dir, "SELECT count(*) AS n FROM stories")
    assert after[0]["n"] > 0
