"""End to end through the real flow: loopback HTTP, Prefect, DuckDB, Parquet."""

from __future__ import annotations

import duckdb
import feedparser
import pyarrow.dataset as ds
import pytest

from conftest import SAMPLE_DIR, ingest_sample, sql_in_subprocess
from newswire.tasks.catalog import load_catalog
from newswire.warehouse.views import open_reader

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
    assert all(r[1] == ["24.kg"] and sorted(r[2]) == ["24kg-en", "24kg-en-economy"] for r in rows)

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

    assert sql_in_subprocess(data_dir, "SELECT count(*) AS n FROM stories") == [{"n": stories_before}]


def test_failing_feeds_are_per_feed_errors_and_the_run_goes_on(
    prefect_server, sample_server, data_dir, tmp_path, monkeypatch
):
    import time

    from newswire.cli.demo_server import send
    from newswire.flows.ingest import ingest

    sample_server.routes["/bad/500"] = lambda h: send(h, 500, b"internal error")
    sample_server.routes["/bad/slow"] = lambda h: (time.sleep(3), send(h, 200, b"<rss/>"))
    sample_server.routes["/bad/huge"] = lambda h: send(h, 200, b"<rss>" + b"x" * 300_000 + b"</rss>")
    monkeypatch.setenv("NEWSWIRE_FETCH_READ_TIMEOUT_S", "0.5")
    monkeypatch.setenv("NEWSWIRE_FETCH_MAX_BODY_BYTES", "200000")
    monkeypatch.setenv("NEWSWIRE_FETCH_MAX_RETRIES", "1")
    monkeypatch.setenv("NEWSWIRE_FETCH_BACKOFF_BASE_S", "0.05")
    extra = "".join(
        f'\n[[feed]]\nid = "{name}"\nname = "{name}"\nurl = "{{base}}/bad/{path}"\nkind = "outlet"\n'
        f'language = "en"\ncountry = "KZ"\nallow_private_network = true\n'
        for name, path in (("down-500", "500"), ("too-slow", "slow"), ("too-big", "huge"))
    )
    catalog = tmp_path / "catalog.toml"
    catalog.write_text((SAMPLE_DIR / "catalog.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")

    summary = ingest(
        catalog=str(catalog),
        catalog_substitutions={"base": sample_server.base_url},
        data_dir=str(data_dir),
        force=True,
    )
    errors = {report.feed_id: report.error for report in summary.errors}
    assert set(errors) == {"down-500", "too-slow", "too-big", "vesti-kg-broken"}
    assert errors["down-500"] == "HTTP 500"
    assert "ReadTimeout" in errors["too-slow"]
    assert "exceeds 200,000 bytes" in errors["too-big"]
    assert summary.new_appearances == sum(len(ids) for ids in _expected_entries_by_feed().values())
    con = open_reader(data_dir)
    health = dict(
        con.execute("SELECT feed_id, health FROM feed_state WHERE last_error IS NOT NULL").fetchall()
    )
    assert health == dict.fromkeys(errors, "failing")
    # `newswire stats` counts them in its runs table.
    from newswire.warehouse.queries import RECENT_RUNS_QUERY

    last_run = con.execute(RECENT_RUNS_QUERY).fetchone()
    assert last_run[-1] == len(errors)
