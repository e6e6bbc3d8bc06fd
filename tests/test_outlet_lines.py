"""Outlet furniture history in the writer's state (warehouse/outlet_lines.py): sightings are
written with the run's commit, add up across runs, and are read back per outlet."""

from __future__ import annotations

from datetime import UTC, datetime

from newswire.warehouse.writer import CommitBatch, Warehouse


def test_sightings_are_written_with_the_commit_and_add_up(tmp_path):
    warehouse = Warehouse(tmp_path / "data")
    with warehouse.writer():
        warehouse.add_outlet_lines({("kun", "aa"): 2, ("kun", "bb"): 1})
        warehouse.add_outlet_lines({("kun", "aa"): 1})
        assert warehouse.outlet_line_counts(["kun"]) == {}  # nothing before the commit
        warehouse.commit(CommitBatch(run_id="r1", flow="ingest", started_at=datetime.now(UTC)))
        assert warehouse.outlet_line_counts(["kun"]) == {"kun": {"aa": 3, "bb": 1}}
        assert warehouse.pending_outlet_lines == {}
        batch = CommitBatch(run_id="r2", flow="ingest", started_at=datetime.now(UTC))
        batch.outlet_lines = {("kun", "bb"): 2, ("24kg", "aa"): 1}
        warehouse.commit(batch)
    assert warehouse.outlet_line_counts(["kun", "24kg"]) == {"kun": {"aa": 3, "bb": 3}, "24kg": {"aa": 1}}
    assert warehouse.outlet_line_counts(["nobody"]) == {}
