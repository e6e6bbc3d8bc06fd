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
from newswire.warehouse.lake_store import LakeStore
from newswire.warehouse.manifest import read_version
from newswire.warehouse.schema import TABLES
from newswire.warehouse.views import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.sweep, pytest.mark.timeout(900)]

FEEDS = ("--feed", "timesca-en", "--feed", "asiaplus-en", "--feed", "kaktus-ru")

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
            ingest = run_cli_ingest(catalog, data_dir, env, *FEEDS, timeout=600)
            assert ingest.returncode == 0, ingest.stderr[-3000:]
            backfill = subprocess.run(
                [sys.executable, "-m", "newswire", "backfill", "--source", "archive", "--from",
                 "2000-01-01", "--to", "2030-12-31", "--catalog", str(catalog), "--data-dir",
                 str(data_dir), *FEEDS],
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
    # A committed state is a function of its version: every read of one version agrees,
    # and equals that version recomputed now from its manifest — for every version whose
    # files are all still there (a compaction moved the older ones' files out).
    store = LakeStore(data_dir / "lake")
    present = {f.path for table in TABLES for f in store.list_files(table)}
    intact = [v for v in versions if {f.path for f in read_version(store, v).files} <= present]
    committed = {v: _read(data_dir, v) for v in intact}
    first_seen = {}
    for read in reads:
        first_seen.setdefault(read[0], read)
    inconsistent = [r for r in reads if r != committed.get(r[0], first_seen[r[0]])]
    print(
        f"\nsnapshot stress: {len(reads)} reads in {elapsed:.0f} s over {len(versions)} committed "
        f"states ({len(intact)} recomputed from their manifest), {len(inconsistent)} inconsistent, "
        f"{len(retried)} retried (file compacted away)"
    )
    assert len(versions) >= 3, versions  # the readers really ran across the writes
    assert versions[-1] in intact
    assert inconsistent == []
    # Rows only of published runs, in every read.
    assert all(read[6] == 0 for read in reads)
