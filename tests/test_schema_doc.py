"""The contract: warehouse/SCHEMA.md names every column of every view and every writer
state table, as they are after a real ingest (a column added without its line fails here),
and the lake and the state snapshots spell their time zone one way."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import REPO_ROOT, SAMPLE_DIR, ingest_sample

pytestmark = pytest.mark.slow

SCHEMA_DOC = REPO_ROOT / "warehouse" / "SCHEMA.md"
# Views that read the same files as another and so share its columns' lines.
SAME_COLUMNS_AS = {
    "appearance_versions": "appearances",
    "stories_all": "stories",
    "story_versions": "stories",
}


def documented_columns(text: str, names: set[str]) -> dict[str, set[str]]:
    """{view or table named in backticks in a heading: the columns of the `| column |`
    tables under that heading}; a cell may name several columns, comma-separated."""
    found: dict[str, set[str]] = {}
    scope: list[str] = []
    in_table = False
    for line in text.splitlines():
        if line.startswith("#"):
            scope = [n for n in re.findall(r"`([a-z_]+)`", line) if n in names]
            in_table = False
        elif line.startswith("|"):
            first = line.strip("|").split("|")[0].strip()
            if first == "column":
                in_table = True
            elif in_table and not set(first) <= set("-: "):
                for view in scope:
                    found.setdefault(view, set()).update(c.strip().strip("`") for c in first.split(","))
        else:
            in_table = False
    return found


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


@pytest.fixture(scope="module")
def ingested(prefect_server, tmp_path_factory) -> Path:
    from newswire.cli.demo_server import FeedServer

    data_dir = tmp_path_factory.mktemp("schema") / "data"
    with FeedServer(SAMPLE_DIR) as server:
        summary = ingest_sample(data_dir, server)
    assert summary.new_stories > 0, summary  # (the sample has one broken feed on purpose)
    return data_dir


def test_every_column_of_every_view_and_state_table_is_documented(ingested):
    from newswire.warehouse.views import open_reader

    reader = open_reader(ingested)
    # The views an analyst sees (names with a leading underscore are the views' own helpers).
    views = {r[0]: _columns(reader, r[0]) for r in reader.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE '\\_%' ESCAPE '\\'"
    ).fetchall()}  # fmt: skip
    reader.close()
    tables: dict[str, list[str]] = {}
    for database in sorted((ingested / "state").glob("*.duckdb")):  # writer.duckdb, alerts.duckdb
        state = duckdb.connect(str(database), read_only=True)
        for (table,) in state.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            tables[table] = _columns(state, table)
        state.close()
    assert {"stories", "appearances", "fetches", "feed_state", "runs"} <= set(views)
    assert {"feed_state", "runs", "appearance_profiles", "story_keys"} <= set(tables)

    doc = documented_columns(SCHEMA_DOC.read_text(encoding="utf-8"), set(views) | set(tables) | {"alerts"})
    missing = {}
    for name, columns in [*views.items(), *tables.items()]:
        lines = doc.get(SAME_COLUMNS_AS.get(name, name), set())
        if absent := [c for c in columns if c not in lines]:
            missing[name] = absent
    assert not missing, f"columns without a line in warehouse/SCHEMA.md: {missing}"
    # And no line for a column that no longer exists.
    real = {c for columns in [*views.values(), *tables.values()] for c in columns}
    stale = {
        name: sorted(c for c in lines if c not in real)
        for name, lines in doc.items()
        if name in views or name in tables
    }
    assert not any(stale.values()), f"SCHEMA.md documents columns that do not exist: {stale}"


def test_one_time_zone_spelling_in_the_lake_and_the_state_snapshots(ingested):
    lake = ingested / "lake"
    files = [lake / "state" / "feed_state.parquet", lake / "state" / "runs.parquet"]
    files += [next((lake / table).rglob("*.parquet")) for table in ("stories", "appearances", "fetches")]
    spellings = {
        (path.name, field.name): field.type.tz
        for path in files
        for field in pq.read_schema(path)
        if str(field.type).startswith("timestamp")
    }
    assert spellings and set(spellings.values()) == {"UTC"}, spellings
