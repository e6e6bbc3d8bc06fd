"""SIGKILL the real `newswire ingest` process at every point of a run, rerun, and compare
the warehouse with a clean run's: no lost appearance, no duplicate, no half-written or
orphaned file visible, DuckDB files open. Subprocesses talk to the session's Prefect test
server (PREFECT_API_URL), so none starts its own."""

from __future__ import annotations

import os
import signal
import subprocess
import threading

import pytest
from warehouse_checks import (
    FAILPOINTS,
    REPO_ROOT,
    SAMPLE_RUN_EXIT,
    cli_env,
    cli_ingest_command,
    debris,
    duplicates,
    run_cli_ingest,
    signature,
    visible_rows,
    write_catalog_for,
)

from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NO_DUPLICATES = {"appearance_versions": 0, "appearance_keys": 0, "story_versions": 0, "fetches": 0}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with FeedServer(SAMPLE_DIR) as server:
        yield server, write_catalog_for(server.base_url, tmp_path_factory.mktemp("catalog") / "catalog.toml")


@pytest.fixture(scope="module")
def clean(prefect_server, sample, tmp_path_factory):
    """The reference: one uninterrupted run."""
    _, catalog = sample
    data_dir = tmp_path_factory.mktemp("clean") / "data"
    done = run_cli_ingest(catalog, data_dir, cli_env(prefect_server))
    assert done.returncode == SAMPLE_RUN_EXIT, done.stderr[-3000:]
    reference = signature(data_dir), visible_rows(data_dir)
    assert reference[0]["appearances"] and reference[0]["stories"]
    return reference


def _assert_recovers(prefect_server, catalog, data_dir, clean, tmp_path):
    clean_signature, clean_rows = clean
    # Straight after the crash a reader sees all of the run or none of it, in every table.
    assert visible_rows(data_dir) in (visible_rows(tmp_path / "never-written"), clean_rows)
    rerun = run_cli_ingest(catalog, data_dir, cli_env(prefect_server))
    assert rerun.returncode == SAMPLE_RUN_EXIT, rerun.stderr[-3000:]
    assert signature(data_dir) == clean_signature
    assert duplicates(data_dir) == NO_DUPLICATES
    assert debris(data_dir) == []


@pytest.mark.parametrize("point", FAILPOINTS)
def test_sigkill_at_failpoint_then_rerun_equals_a_clean_run(point, prefect_server, sample, clean, tmp_path):
    _, catalog = sample
    data_dir = tmp_path / "data"
    crashed = run_cli_ingest(catalog, data_dir, cli_env(prefect_server, NEWSWIRE_FAILPOINT=point))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    _assert_recovers(prefect_server, catalog, data_dir, clean, tmp_path)


def test_sigkill_during_fetch_then_rerun_equals_a_clean_run(prefect_server, sample, clean, tmp_path):
    """Killed by the feed server itself while a request is in flight."""
    server, catalog = sample
    data_dir = tmp_path / "data"
    path = "/feeds/kaktus-ru-cp1251.xml"
    child: dict[str, subprocess.Popen] = {}
    requested = threading.Event()

    def kill_while_fetching(handler):
        requested.set()
        os.kill(child["process"].pid, signal.SIGKILL)
        server._serve_file(handler, path)

    server.routes[path] = kill_while_fetching
    try:
        child["process"] = subprocess.Popen(
            cli_ingest_command(catalog, data_dir),
            env=cli_env(prefect_server),
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        child["process"].wait(timeout=180)
    finally:
        del server.routes[path]
    assert requested.is_set() and child["process"].returncode == -signal.SIGKILL
    _assert_recovers(prefect_server, catalog, data_dir, clean, tmp_path)
