"""Readers loop while writers run an ingest, an archive backfill and a compacting
maintain on one warehouse: every read must equal one committed state — the state of the
manifest it read (view ``snapshot``), recomputed afterwards from that manifest alone. A
read that mixed two states (an ingest's rows lost while a backfill's are seen, a runs
snapshot newer than the files) would differ from every one of them.

The figures (reads, inconsistent reads, reads retried because a compaction moved a file
out between the manifest read and the scan) go to docs/reliability.md; the test prints
them."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import duckdb
import pytest
from warehouse_checks import REPO_ROOT, cli_env, run_cli_ingest, write_catalog_for

from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR
from newswire.warehouse.views import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

READ = """
SELECT (SELECT version FROM snapshot),
       (SELECT count(*) FROM appearance_versions),
       (SELECT count(*) FROM story_versions),
       (SELECT count(*) FROM fetches),
       (SELECT count(*) FROM stories),
       (SELECT count(*) FROM runs WHERE published),
       (SELECT count(DISTINCT a.run_id) FROM appearance_versions AS a
          WHERE a.run_id NOT IN (SELECT run_id FROM runs WHERE published))
"""


def _read(data_dir, version=None) -> tuple:
    con = open_reader(data_dir, version=version)
    try:
        return con.execute(READ).fetchone()
    finally:
        con.close()


def test_every_read_during_ingest_backfill_and_maintain_is_one_committed_state(prefect_server, tmp_path):
    data_dir = tmp_path / "data"
    reads: list[tuple] = []
    retried: list[str] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                reads.append(_read(data_dir))
            except duckdb.IOException as error:  # a file compacted away after the manifest read
                retried.append(str(error).splitlines()[0])

    with FeedServer(SAMPLE_DIR) as server:
        catalog = write_catalog_for(server.base_url, tmp_path / "catalog.toml")
        env = cli_env(prefect_server)
        first = run_cli_ingest(catalog, data_dir, env, "--feed", "24kg-en")
        assert first.returncode == 0, first.stderr[-3000:]
        threads = [threading.Thread(target=reader) for _ in range(2)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        try:
            ingest = run_cli_ingest(catalog, data_dir, env, timeout=600)
            assert ingest.returncode == 3, ingest.stderr[-3000:]  # the sample's broken feed
            backfill = subprocess.run(
                [sys.executable, "-m", "newswire", "backfill", "--source", "archive", "--from",
                 "2000-01-01", "--to", "2030-12-31", "--catalog", str(catalog), "--data-dir",
                 str(data_dir)],
                env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert backfill.returncode in (0, 3), backfill.stderr[-3000:]
            from newswire.flows.maintain import maintain

            compacted = maintain(data_dir=str(data_dir), max_files_per_partition=1)
            assert compacted.partitions
        finally:
            stop.set()
            for thread in threads:
                thread.join(120)
        elapsed = time.monotonic() - started

    versions = sorted({read[0] for read in reads})
    committed = {version: _read(data_dir, version) for version in versions}
    inconsistent = [read for read in reads if read != committed[read[0]]]
    print(
        f"\nsnapshot stress: {len(reads)} reads in {elapsed:.0f} s over {len(versions)} committed "
        f"states, {len(inconsistent)} inconsistent, {len(retried)} retried (file compacted away)"
    )
    assert len(versions) >= 3, versions  # the readers really ran across the writes
    assert inconsistent == []
    # Rows only of published runs, in every read.
    assert all(read[6] == 0 for read in reads)
