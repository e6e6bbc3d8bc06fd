"""`newswire prune` through the real CLI: a dry run changes nothing, a real one deletes old
raw payloads and fetch partitions (never stories or appearances, never a feed's current
body), and `maintain` applies the policy when it is configured."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from conftest import ingest_sample, sql_in_subprocess
from newswire.cli.app import app
from newswire.flows.run import new_run_id
from newswire.tasks.fetch import FetchResult
from newswire.tasks.records import fetch_row
from newswire.warehouse.raw_store import RawStore
from newswire.warehouse.writer import CommitBatch, Warehouse

runner = CliRunner()
OLD = datetime.now(UTC) - timedelta(days=40)
COUNTS = (
    "SELECT (SELECT count(*) FROM stories) AS stories, (SELECT count(*) FROM appearances) AS appearances,"
    " (SELECT count(*) FROM fetches) AS fetches"
)


def _land_old(raw: RawStore, body: bytes) -> str:
    sha = raw.land(body)
    when = OLD.timestamp()
    os.utime(raw.path_for(sha), (when, when))
    return sha


def _old_history(data_dir) -> dict[str, str]:
    """A run of 40 days ago committed through the writer: two fetches (one is still its
    feed's current body), and an orphan payload no record names."""
    warehouse = Warehouse(data_dir)
    raw = RawStore(warehouse.lake_dir)
    shas = {name: _land_old(raw, f"<rss>{name}</rss>".encode()) for name in ("old", "current", "orphan")}
    run_id = new_run_id()
    batch = CommitBatch(run_id=run_id, flow="ingest", started_at=OLD)
    for feed_id, name in (("old-feed", "old"), ("quiet-feed", "current")):
        result = FetchResult(feed_id=feed_id, url=f"http://127.0.0.1/{feed_id}", fetched_at=OLD, status=200)
        result.body_sha256 = shas[name]
        batch.fetch_rows.append(fetch_row(result, run_id, None))
    batch.feed_state = [
        {
            "feed_id": "quiet-feed",
            "url": "http://127.0.0.1/q",
            "last_body_sha256": shas["current"],
            "consecutive_failures": 0,
            "health": "active",
        }
    ]
    with warehouse.writer():
        warehouse.commit(batch)
    return shas


def test_prune_dry_run_then_real(prefect_server, sample_server, data_dir):
    ingest_sample(data_dir, sample_server)
    shas = _old_history(data_dir)
    raw = RawStore(data_dir / "lake")
    before = sql_in_subprocess(data_dir, COUNTS)[0]
    recent = [p for p in raw.root.rglob("*.zst") if p.stem not in shas.values()]
    assert recent
    arguments = ["prune", "--data-dir", str(data_dir), "--raw-older-than", "30", "--fetches-older-than", "30"]

    dry = runner.invoke(app, arguments)
    assert dry.exit_code == 0, dry.output
    said = " ".join(dry.output.split())
    assert "would delete 2 of" in said and "1 kept as a feed's current body" in said
    assert "would delete 2 rows in 1 day partitions" in said and "dry run: nothing was deleted" in said
    assert all(raw.exists(sha) for sha in shas.values())
    assert sql_in_subprocess(data_dir, COUNTS)[0] == before

    real = runner.invoke(app, [*arguments, "--apply"])
    assert real.exit_code == 0, real.output
    said = " ".join(real.output.split())
    assert "deleted 2 of" in said and "deleted 2 rows in 1 day partitions" in said
    assert not raw.exists(shas["old"]) and not raw.exists(shas["orphan"])
    assert raw.exists(shas["current"]) and all(p.exists() for p in recent)
    after = sql_in_subprocess(data_dir, COUNTS)[0]
    assert after == {**before, "fetches": before["fetches"] - 2}
    assert not (data_dir / "lake" / "fetches" / f"date={OLD.date()}").exists()
    ledger = sql_in_subprocess(data_dir, "SELECT flow FROM runs WHERE flow = 'prune'")
    assert len(ledger) == 1

    again = runner.invoke(app, [*arguments, "--apply"])
    assert "deleted 0 of" in " ".join(again.output.split())


def test_maintain_prunes_when_configured(prefect_server, sample_server, data_dir, monkeypatch):
    ingest_sample(data_dir, sample_server, feed_ids=["24kg-en"])
    shas = _old_history(data_dir)
    raw = RawStore(data_dir / "lake")
    assert runner.invoke(app, ["maintain", "--data-dir", str(data_dir)]).exit_code == 0
    assert raw.exists(shas["old"])  # no policy configured: nothing pruned

    monkeypatch.setenv("NEWSWIRE_RETENTION_RAW_DAYS", "30")
    monkeypatch.setenv("NEWSWIRE_RETENTION_FETCHES_DAYS", "30")
    result = runner.invoke(app, ["maintain", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert not raw.exists(shas["old"]) and raw.exists(shas["current"])
    assert not (data_dir / "lake" / "fetches" / f"date={OLD.date()}").exists()


def test_prune_without_a_policy_is_refused(tmp_path):
    result = runner.invoke(app, ["prune", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "no retention policy" in result.output
