"""Every access to the writer's state goes through its lock: a process that reads the
state outside the writer lock (a backfill's enrichment asking what is already stored,
``flows/steps/enrich.py:_already_stored`` -> ``Warehouse.read_history``) while an ingest
is inside its commit waits for the commit, instead of failing with DuckDB's "Could not set
lock on file ... writer.duckdb"."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest
from test_concurrency import _start_paused_writer, warehouse  # noqa: F401 (fixture)
from warehouse_checks import SAMPLE_RUN_EXIT

from newswire.warehouse.writer import Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_state_read_during_an_ingest_commit_waits_instead_of_failing(
    warehouse,  # noqa: F811
    prefect_server,
    tmp_path,
):
    catalog, data_dir = warehouse
    writer, release = _start_paused_writer(catalog, data_dir, prefect_server, "before-commit", tmp_path)
    outcome: dict = {}

    def lookup():
        try:
            stored = Warehouse(data_dir).read_history([("24kg-en", "id:nothing-like-this")], [])
            outcome["stored"] = stored
        except Exception as error:  # the failure this test is about
            outcome["error"] = error
        outcome["done_at"] = time.monotonic()

    try:
        # The writer really holds the database: a bare DuckDB open fails at once.
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(data_dir / "state" / "writer.duckdb"))
        reader = threading.Thread(target=lookup)
        reader.start()
        time.sleep(2.0)
        assert reader.is_alive(), f"the state read did not wait for the commit: {outcome}"
        released_at = time.monotonic()
    finally:
        release.touch()
    reader.join(120)
    writer.wait(timeout=120)
    assert writer.returncode == SAMPLE_RUN_EXIT, writer.stderr.read()[-3000:]
    assert "error" not in outcome, outcome
    assert outcome["done_at"] >= released_at
    assert outcome["stored"].appearances_by_key == {}
