"""End to end through the real flow: loopback HTTP, Prefect, DuckDB, Parquet."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import feedparser
import pyarrow.dataset as ds
import pytest

from conftest import SAMPLE_DIR, ingest_sample
from tasks.catalog import load_catalog
from warehouse.views import open_reader

pytestmark = pytest.mark.slow


def _expected_entries_by_feed() -> dict[str, set[str]]:
    """Entry identities per feed, read with feedparser directly (not through our code)."""
    expected = {}
    for feed in load_catalog(SAMPLE_DIR / "catalog.toml", {"base": "http://x"}):
        parsed = feedparser.parse((SAMPLE_DIR / "feeds" / feed.url.rsplit("/", 1)[1]).read_bytes())
        expected[feed.id] = {entry.get("id") or entry.get("link") for entry in parsed.entries}
    return expected


def test_sample_ingests_then_repoll_adds_nothing(prefect_server, sample_server, data_dir):
    first = ingest_sample(data_dir, sample_server)
    expected = _expected_entries_by_feed()

    con = open_reader(data_dir)
    by_feed = dict(con.execute("SELECT feed_id, count(*) FROM appearances GROUP BY feed_id").fetchall())
    for feed_id, identities in expected.items():
        assert by_feed.get(feed_id, 0) == len(identities), feed_id
    total_appearances = sum(len(ids) for ids in expected.values())
    assert first.new_appearances == total_appearances

    # The same article in two feeds of one outlet is one story with two appearances.
    shared = expected["24kg-en"] & expected["24kg-en-economy"]
    assert shared
    rows = con.execute(
        "SELECT appearance_count, outlets, feeds FROM stories WHERE list_contains(feeds, '24kg-en-economy') "
        "AND appearance_count > 1"
    ).fetchall()
    assert len(rows) == len(shared)
    assert all(r[1] == ["24kg"] and sorted(r[2]) == ["24kg-en", "24kg-en-economy"] for r in rows)

    # The broken feed is a recorded, named error; the rest of the run went on.
    errors = {r.feed_id: r.error for r in first.errors}
    assert list(errors) == ["vesti-kg-broken"]
    assert "not a parseable feed" in errors["vesti-kg-broken"]
    parse_error = con.execute("SELECT parse_error FROM fetches WHERE feed_id = 'vesti-kg-broken'").fetchone()[
        0
    ]
    assert "no element found" in parse_error

    # windows-1251 decoded to real Cyrillic, not mojibake.
    titles = [
        r[0] for r in con.execute("SELECT title FROM appearances WHERE feed_id = 'kaktus-ru'").fetchall()
    ]
    assert titles and all(any("а" <= ch <= "я" for ch in t.lower()) for t in titles)
    assert not any("Ð" in t or "Ã" in t for t in titles)

    # Tracking parameters never reach the canonical URL.
    assert (
        con.execute("SELECT count(*) FROM appearances WHERE canonical_url LIKE '%utm_%'").fetchone()[0] == 0
    )
    stories_before = con.execute("SELECT count(*) FROM stories").fetchone()[0]
    # A story whose representative moved to a fuller copy keeps its earlier version too.
    versions_before = con.execute("SELECT count(*) FROM story_versions").fetchone()[0]
    con.close()

    second = ingest_sample(data_dir, sample_server)
    assert second.not_modified == second.feeds_polled == len(expected)
    assert second.new_appearances == second.new_stories == second.updated_appearances == 0
    con = open_reader(data_dir)
    assert con.execute("SELECT count(*) FROM stories").fetchone()[0] == stories_before
    assert con.execute("SELECT count(*) FROM story_versions").fetchone()[0] == versions_before
    # Still broken, still reported.
    assert [r.feed_id for r in second.errors] == ["vesti-kg-broken"]

    # Any Parquet reader sees the same lake.
    dataset = ds.dataset(data_dir / "lake" / "stories", format="parquet", partitioning="hive")
    assert dataset.count_rows() == versions_before

    # The views-only catalogue opens in a separate DuckDB (as the DuckDB CLI would).
    catalogue = duckdb.connect(str(data_dir / "newswire.duckdb"), read_only=True)
    assert catalogue.execute("SELECT count(*) FROM stories").fetchone()[0] == stories_before
    catalogue.close()

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "sql",
            "--data-dir",
            str(data_dir),
            "--format",
            "json",
            "SELECT count(*) AS n FROM stories",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(cli.stdout) == [{"n": stories_before}]
