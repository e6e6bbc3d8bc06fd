"""Speed paths change no row: the same generated feeds ingested through the real flow
with the parse fast path on and off (NEWSWIRE_FAST_PARSE) give the same stories and
appearances, column for column (run ids and clock times aside)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO_ROOT
from newswire.cli.demo_server import FeedServer
from newswire.warehouse.views import open_reader

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from ingest import generate_feeds

# Columns that differ between two runs of the same data: when and by which run.
VOLATILE = ("run_id", "_at", "fetch_id")


def content_tables(data_dir: Path) -> dict[str, list[tuple]]:
    """Every table a desk reads, volatile columns dropped, rows sorted."""
    con = open_reader(data_dir)
    try:
        tables = {}
        for table in ("stories", "appearances"):
            cursor = con.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            keep = [i for i, name in enumerate(names) if not any(v in name for v in VOLATILE)]
            tables[table] = sorted(tuple(repr(row[i]) for i in keep) for row in cursor.fetchall())
        return tables
    finally:
        con.close()


def ingest_generated(data_dir: Path, catalog: Path, server: FeedServer):
    from newswire.flows.ingest import ingest

    return ingest(
        catalog=str(catalog),
        catalog_substitutions={"base": server.base_url},
        data_dir=str(data_dir),
        force=True,
    )


def test_fast_parse_on_and_off_give_the_same_tables(prefect_server, tmp_path, monkeypatch):
    catalog = generate_feeds(tmp_path / "gen", feeds=8, entries=15)
    with FeedServer(tmp_path / "gen") as server:
        ingest_generated(tmp_path / "fast", catalog, server)
        monkeypatch.setenv("NEWSWIRE_FAST_PARSE", "false")
        ingest_generated(tmp_path / "feedparser", catalog, server)
    fast, slow = content_tables(tmp_path / "fast"), content_tables(tmp_path / "feedparser")
    assert len(fast["appearances"]) > 100  # a feed may carry one syndicated story twice
    assert fast["stories"] and len(fast["stories"]) < len(fast["appearances"])  # copies merged
    assert fast == slow
