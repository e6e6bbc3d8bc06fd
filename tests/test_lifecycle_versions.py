"""Schema versions through the real CLI: an older warehouse is refused until `newswire
migrate` upgrades it (and a killed migration is finished by running it again); a newer
one is refused, naming both versions, and left untouched."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
from lifecycle_helpers import stamp_parquet, state_version, to_previous_layout
from typer.testing import CliRunner

from conftest import REPO_ROOT, ingest_sample
from newswire.cli.app import app
from newswire.warehouse.migrations import migrations
from newswire.warehouse.schema import SCHEMA_VERSION

runner = CliRunner()
COUNT = "SELECT count(*) AS n FROM stories"


def _sql(data_dir, query=COUNT):
    return runner.invoke(app, ["sql", "--data-dir", str(data_dir), "--format", "json", query])


def test_steps_run_from_the_baseline_to_the_current_version():
    assert [step.to_version for step in migrations()] == list(range(2, SCHEMA_VERSION + 1))


def test_an_older_warehouse_is_refused_then_migrated(prefect_server, sample_server, data_dir):
    ingest_sample(data_dir, sample_server)
    stories = _sql(data_dir).stdout
    to_previous_layout(data_dir)

    refused = _sql(data_dir)
    assert refused.exit_code == 2
    message = " ".join(refused.output.split())
    assert "schema version 1, older than this newswire's schema version 2" in message
    assert "newswire migrate" in message
    refused = runner.invoke(app, ["maintain", "--data-dir", str(data_dir)])
    assert refused.exit_code == 2 and "schema version 1" in " ".join(refused.output.split())

    migrated = runner.invoke(app, ["migrate", "--data-dir", str(data_dir)])
    assert migrated.exit_code == 0, migrated.output
    said = " ".join(migrated.output.split())
    assert "from schema version 1 to 2" in said and "article pages" in said
    assert state_version(data_dir) == 2
    assert _sql(data_dir).stdout == stories  # every row kept, old files read through the views
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM article_pages").fetchone()[0] == 0
    # The per-appearance near-duplicate index is refilled from the lake by the migration.
    assert con.execute("SELECT count(*) FROM appearance_profiles").fetchone()[0] > 0
    con.close()
    assert runner.invoke(app, ["maintain", "--data-dir", str(data_dir)]).exit_code == 0
    again = runner.invoke(app, ["migrate", "--data-dir", str(data_dir)])
    assert "nothing to migrate" in " ".join(again.output.split())


def test_a_migration_killed_mid_step_is_finished_by_running_it_again(prefect_server, sample_server, data_dir):
    ingest_sample(data_dir, sample_server, feed_ids=["24kg-en"])
    to_previous_layout(data_dir)
    command = [sys.executable, "-m", "newswire", "migrate", "--data-dir", str(data_dir)]
    killed = subprocess.run(
        command,
        env={**os.environ, "NEWSWIRE_FAILPOINT": "migrating"},
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9
    assert state_version(data_dir) == 1  # the step rolled back with its version bump
    finished = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert state_version(data_dir) == 2
    assert _sql(data_dir).exit_code == 0


def test_a_newer_warehouse_is_refused_and_left_alone(prefect_server, sample_server, data_dir):
    ingest_sample(data_dir, sample_server, feed_ids=["24kg-en"])
    con = duckdb.connect(str(data_dir / "state" / "writer.duckdb"))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    files_before = sorted((data_dir / "lake").rglob("*.parquet"))

    for command in (["maintain"], ["migrate"]):
        refused = runner.invoke(app, [*command, "--data-dir", str(data_dir)])
        assert refused.exit_code == 2, refused.output
        message = " ".join(refused.output.split())
        assert "schema version 99, newer than this newswire's schema version 2" in message
    assert state_version(data_dir) == 99
    assert sorted((data_dir / "lake").rglob("*.parquet")) == files_before

    stamp_parquet(data_dir / "lake" / "state" / "runs.parquet", 99)
    refused = _sql(data_dir)
    assert refused.exit_code == 2 and "upgrade newswire" in " ".join(refused.output.split())
