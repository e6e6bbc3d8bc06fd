"""Run ids are unique even for runs started in the same second, and recovery removes every
staging folder it does not need."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from conftest import ingest_sample
from newswire.flows.run import new_run_id
from newswire.warehouse import lake
from newswire.warehouse.views import open_reader
from newswire.warehouse.writer import Warehouse


def test_run_ids_of_one_second_differ():
    ids = {new_run_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert len({run_id[:15] for run_id in ids}) <= 2  # same second, still distinct


def test_two_ingests_started_in_the_same_second_both_commit(prefect_server, sample_server, data_dir):
    failures: list[BaseException] = []
    summaries = []

    def run():
        try:
            summaries.append(ingest_sample(data_dir, sample_server, feed_ids=["24kg-en", "kaktus-ru"]))
        except BaseException as error:  # surfaced below
            failures.append(error)

    # Both threads start inside one wall-clock second.
    while datetime.now(UTC).microsecond > 200_000:
        time.sleep(0.01)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)

    assert not failures, failures
    first, second = (s.run_id for s in summaries)
    # (Prefect's start-up decides the second each flow takes its id in; the ids of one
    # second are the unit test above.)
    assert first != second
    con = open_reader(data_dir)
    runs = {row[0] for row in con.execute("SELECT run_id FROM runs WHERE published").fetchall()}
    con.close()
    assert runs == {first, second}
    assert lake.staged_run_ids(data_dir / "lake") == []


def test_recovery_removes_staging_of_published_and_of_uncommitted_runs(
    prefect_server, sample_server, data_dir
):
    summary = ingest_sample(data_dir, sample_server, feed_ids=["24kg-en"])
    staging = data_dir / "lake" / lake.STAGING
    # A kill between publication and clean-up leaves the published run's folder; a kill
    # before the commit leaves one of a run the ledger never saw.
    for run_id in (summary.run_id, new_run_id()):
        leftover = staging / run_id / "stories" / "date=2026-01-01"
        leftover.mkdir(parents=True)
        (leftover / f"part-{run_id}.parquet").write_bytes(b"not a real file")
    warehouse = Warehouse(data_dir)
    with warehouse.writer():
        pass
    assert lake.staged_run_ids(data_dir / "lake") == []
    report = warehouse.recover()
    assert not report.anything
