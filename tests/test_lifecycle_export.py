"""`newswire export` through the real CLI: committed rows of a date range, read back with
pyarrow equal the views, with the schema version in the files and the manifest."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from conftest import ingest_sample
from newswire.cli.app import app
from newswire.warehouse.export import EXPORTABLE
from newswire.warehouse.schema import SCHEMA_VERSION
from newswire.warehouse.versions import VERSION_KEY
from newswire.warehouse.views import open_reader

runner = CliRunner()


def _view(data_dir, table, start, end):
    con = open_reader(data_dir)
    try:
        return con.sql(
            f"SELECT * FROM {table} WHERE date BETWEEN ? AND ? ORDER BY {EXPORTABLE[table]}",
            params=[start, end],
        ).to_arrow_table()
    finally:
        con.close()


def _uncommitted_copy(data_dir) -> None:
    """A stories file in the lake whose run was never published (a killed run's)."""
    source = next((data_dir / "lake" / "stories").rglob("*.parquet"))
    table = pq.read_table(source)
    table = table.set_column(
        table.schema.get_field_index("run_id"), "run_id", pa.array(["never-published"] * len(table))
    )
    pq.write_table(table, source.with_name("part-never-published.parquet"))


def test_export_round_trip_equals_the_views(prefect_server, sample_server, data_dir, tmp_path):
    ingest_sample(data_dir, sample_server)
    _uncommitted_copy(data_dir)
    con = open_reader(data_dir)
    days = sorted(d for (d,) in con.execute("SELECT DISTINCT date FROM stories").fetchall())
    con.close()
    assert len(days) >= 3
    start, end = days[1], days[-2]  # a range that leaves rows out on both sides

    out = tmp_path / "export"
    result = runner.invoke(
        app,
        [
            "export",
            "--data-dir", str(data_dir),
            "--from", start.isoformat(),
            "--to", end.isoformat(),
            "--table", "stories",
            "--table", "appearances",
            "--table", "fetches",
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION and manifest["format"] == "parquet"
    for table in ("stories", "appearances", "fetches"):
        exported = pq.read_table(out / f"{table}.parquet")
        assert exported.schema.metadata[VERSION_KEY] == str(SCHEMA_VERSION).encode()
        view = _view(data_dir, table, start, end)
        assert exported.to_pylist() == view.to_pylist(), table
        rows = {t["table"]: t["rows"] for t in manifest["tables"]}[table]
        assert rows == len(view)
    stories = pq.read_table(out / "stories.parquet")
    assert 0 < len(stories) < len(_view(data_dir, "stories", date(2000, 1, 1), date(2100, 1, 1)))
    assert "never-published" not in set(stories.column("run_id").to_pylist())

    for fmt in ("jsonl", "csv"):
        out_fmt = tmp_path / fmt
        result = runner.invoke(
            app,
            ["export", "--data-dir", str(data_dir), "--from", start.isoformat(), "--to", end.isoformat(),
             "--format", fmt, "--out", str(out_fmt)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads((out_fmt / "manifest.json").read_text())["schema_version"] == SCHEMA_VERSION
    lines = [json.loads(line) for line in (tmp_path / "jsonl" / "stories.jsonl").read_text().splitlines()]
    assert [row["story_id"] for row in lines] == stories.column("story_id").to_pylist()
    assert lines[0]["outlets"] == stories.column("outlets")[0].as_py()  # nested stays nested
    csv_lines = (tmp_path / "csv" / "appearances.csv").read_text().splitlines()
    assert csv_lines[0].startswith("appearance_id,")


def test_export_refuses_bad_parameters(tmp_path):
    result = runner.invoke(
        app,
        ["export", "--data-dir", str(tmp_path), "--from", "2026-02-01", "--to", "2026-01-01",
         "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2 and "before" in result.output
    result = runner.invoke(
        app,
        ["export", "--data-dir", str(tmp_path), "--from", "2026-01-01", "--to", "2026-01-02",
         "--table", "secrets", "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert result.exit_code == 2 and "secrets" in result.output
