"""``newswire sql`` through the real CLI in a subprocess: queries only, nothing written,
nothing outside the lake read, every input form answered clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ingest_sample, run_newswire

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(prefect_server, tmp_path_factory) -> Path:
    """The offline sample, ingested once for the module."""
    from newswire.cli.demo_server import FeedServer
    from newswire.tasks.desk import SAMPLE_DIR

    data_dir = tmp_path_factory.mktemp("sql") / "data"
    with FeedServer(SAMPLE_DIR) as server:
        ingest_sample(data_dir, server)
    return data_dir


def sql(data_dir: Path, *args: str, cwd: Path, stdin: str | None = None):
    return run_newswire("sql", "--data-dir", str(data_dir), *args, cwd=cwd, stdin=stdin)


def test_copy_to_a_file_is_refused_and_writes_nothing(warehouse, tmp_path):
    result = sql(warehouse, "COPY (SELECT 1) TO 'x.parquet'", cwd=tmp_path)
    assert result.returncode == 2
    assert "COPY" in result.stderr and "read-only" in result.stderr
    assert not (tmp_path / "x.parquet").exists()
    # Inside the lake, where DuckDB's directory allow-list alone would let it through.
    target = warehouse / "lake" / "stories" / "date=2026-01-01" / "x.parquet"
    result = sql(warehouse, f"COPY (SELECT 1 AS a) TO '{target}'", cwd=tmp_path)
    assert result.returncode == 2 and not target.exists()


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("ATTACH '{data}/state/writer.duckdb' AS w", "ATTACH"),
        ("INSTALL httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("SELECT 1; CREATE TABLE t AS SELECT 1", "CREATE"),
    ],
)
def test_statements_that_are_not_queries_are_refused(warehouse, tmp_path, statement, kind):
    result = sql(warehouse, statement.format(data=warehouse), cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"is {kind}, not a query" in result.stderr and "Nothing was run" in result.stderr
    assert result.stdout == ""  # the SELECT before the refused statement did not run either


def test_files_outside_the_lake_cannot_be_read(warehouse, tmp_path):
    result = sql(warehouse, "SELECT * FROM read_csv('/etc/passwd')", cwd=tmp_path)
    assert result.returncode == 2 and "disabled by configuration" in result.stderr


def test_sql_from_argument_with_comment_stdin_and_file(warehouse, tmp_path):
    query = "-- how many stories\nSELECT count(*) AS n FROM stories WHERE 1 = 1;"
    from_argument = sql(warehouse, "--format", "json", query, cwd=tmp_path)
    assert from_argument.returncode == 0, from_argument.stderr
    n = json.loads(from_argument.stdout)[0]["n"]
    assert n > 0
    from_stdin = sql(warehouse, "--format", "json", cwd=tmp_path, stdin=query + "\nSELECT 2 AS two;")
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert [json.loads(line) for line in from_stdin.stdout.splitlines()] == [[{"n": n}], [{"two": 2}]]
    (tmp_path / "q.sql").write_text(query, encoding="utf-8")
    from_file = sql(warehouse, "--format", "json", "--file", str(tmp_path / "q.sql"), cwd=tmp_path)
    assert json.loads(from_file.stdout) == [{"n": n}]


@pytest.mark.parametrize("text", ["", ";", "-- only a comment\n"])
def test_empty_sql_is_a_clear_message(warehouse, tmp_path, text):
    result = sql(warehouse, text, cwd=tmp_path)
    assert result.returncode == 2
    assert "no SQL statement given" in result.stderr and "Traceback" not in result.stderr


def test_unknown_files_in_a_partition_change_no_view(warehouse, prefect_server, tmp_path):
    def describe() -> tuple[list, int]:
        shape = sql(warehouse, "--format", "json", "DESCRIBE stories", cwd=tmp_path)
        count = sql(warehouse, "--format", "json", "SELECT count(*) AS n FROM story_versions", cwd=tmp_path)
        return json.loads(shape.stdout), json.loads(count.stdout)[0]["n"]

    before = describe()
    partition = next((warehouse / "lake" / "stories").glob("date=*"))
    stray = pa.table({"story_id": ["x"], "run_id": ["x"], "surprise": [1]})
    pq.write_table(stray, partition / "export.parquet")  # not the project's name
    pq.write_table(stray, partition / "part-someone-else.parquet")  # the name, not the columns
    assert describe() == before
    maintained = run_newswire(
        "maintain", "--data-dir", str(warehouse), cwd=tmp_path, PREFECT_API_URL=prefect_server
    )
    assert maintained.returncode == 0, maintained.stderr
    assert "export.parquet" in maintained.stderr and "not newswire's" in maintained.stderr
    assert describe() == before


def test_readers_refuse_a_data_dir_without_a_warehouse(tmp_path):
    missing = tmp_path / "typo"
    for command in (["sql", "SELECT 1"], ["stats"], ["feeds", "health"], ["dedupe"], ["maintain"]):
        result = run_newswire(*command, "--data-dir", str(missing), cwd=tmp_path)
        assert result.returncode == 2, command
        assert f"no newswire warehouse at {missing}" in result.stderr, command
        assert "Traceback" not in result.stderr
    assert not missing.exists()
