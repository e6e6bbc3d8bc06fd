"""Hostile *items* in a real ingest (Prefect flow, loopback server, DuckDB, Parquet): lone
surrogates in every JSON Feed field, an XML reference to a surrogate, and feeds whose
entries share links or titles. Each loads whole, the sample feeds of the run load as if
they were not there, and the next run does not crash (state was committed)."""

from __future__ import annotations

import pytest
from hostile_cases import load_cases
from warehouse_checks import SAMPLE_CATALOG, debris, duplicates

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.desk import SAMPLE_DIR
from newswire.warehouse.views import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

# Fixture case -> appearances it must land.
ITEM_FEEDS = {
    "jsonfeed-lone-surrogates": 3,
    "xml-surrogate-reference": 2,
    "podcast-shared-link": 131,
    "thousand-guids-one-link": 1000,
    "no-guid-same-title": 3,
    "relative-links-content-location": 2,
}


def _feed_toml(feed_id: str, url: str) -> str:
    return (
        f'\n[[feed]]\nid = "{feed_id}"\nname = "Items {feed_id}"\nurl = "{url}"\nkind = "outlet"\n'
        'language = "en"\ncountry = "KG"\nallow_private_network = true\n'
    )


def _run(tmp_path, server):
    from newswire.flows.ingest import ingest

    return ingest(
        catalog=str(tmp_path / "catalog.toml"),
        catalog_substitutions={"base": server.base_url},
        data_dir=str(tmp_path / "data"),
        force=True,
    )


def test_hostile_items_load_whole_and_the_next_run_does_not_crash(prefect_server, tmp_path):
    bodies = {case.name: case.body for case in load_cases() if case.name in ITEM_FEEDS}
    with FeedServer(SAMPLE_DIR) as server:
        catalog = SAMPLE_CATALOG.read_text()
        for name, body in bodies.items():
            kind = "application/feed+json" if body.lstrip().startswith(b"{") else "application/rss+xml"
            headers = {"Content-Type": kind, "Content-Location": "/cdn/kg/rss.xml"}
            server.routes[f"/items/{name}"] = lambda handler, body=body, headers=headers: send(
                handler, 200, body, headers
            )
            catalog += _feed_toml(name, "{base}/items/" + name)
        (tmp_path / "catalog.toml").write_text(catalog)
        first = _run(tmp_path, server)
        second = _run(tmp_path, server)

    data_dir = tmp_path / "data"
    by_feed = {report.feed_id: report for report in first.feeds}
    for name, expected in ITEM_FEEDS.items():
        report = by_feed[name]
        assert report.error is None and report.new_appearances == expected, (name, report)
    sample_errors = [r.feed_id for r in first.errors if r.feed_id not in ITEM_FEEDS]
    assert sample_errors == ["vesti-kg-broken"]
    # 3 JSON Feed items had code points that cannot be stored (the XML references are
    # replaced before parsing, recorded as the fetch's parse warning); the podcast reuses
    # one guid for other content: counted, both kept.
    assert first.text_repaired == 3 and first.identity_collisions == 1
    assert first.as_dict()["identity_collisions"] == 1

    # The second run saw the same documents: nothing new, nothing crashed, nothing lost.
    assert second.new_appearances == 0 and second.updated_appearances == 0
    assert [r.feed_id for r in second.errors] == ["vesti-kg-broken"]

    con = open_reader(data_dir)
    try:
        counts = dict(con.execute("SELECT feed_id, count(*) FROM appearances GROUP BY feed_id").fetchall())
        samples = sum(n for feed, n in counts.items() if feed not in ITEM_FEEDS)
        repaired = con.execute(
            "SELECT title, entry_warnings FROM appearances WHERE feed_id = 'jsonfeed-lone-surrogates' "
            "ORDER BY title"
        ).fetchall()
        podcast_stories = con.execute(
            "SELECT count(DISTINCT story_id) FROM appearances WHERE feed_id = 'podcast-shared-link'"
        ).fetchone()[0]
        runs = con.execute("SELECT count(*) FROM runs WHERE published").fetchone()[0]
        relative = con.execute(
            "SELECT canonical_url FROM appearances WHERE feed_id = 'relative-links-content-location' "
            "ORDER BY canonical_url"
        ).fetchall()
        (xml_warnings,) = con.execute(
            "SELECT parse_warnings FROM fetches WHERE feed_id = 'xml-surrogate-reference' "
            "ORDER BY fetched_at LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    assert {feed: counts.get(feed) for feed in ITEM_FEEDS} == ITEM_FEEDS
    assert samples == 180  # the sample feeds load exactly as in a run without these feeds
    assert [title for title, _ in repaired] == [f"Bishkek talks \ufffd part {n}" for n in range(3)]
    assert all(any(w.startswith("text repaired") for w in warnings) for _, warnings in repaired)
    # A home-page link shared by 130 episodes is no story key: each episode is its own story.
    assert podcast_stories == 131
    assert runs == 2
    # Relative links resolve against the response's Content-Location, not the feed URL.
    base = server.base_url
    assert [url for (url,) in relative] == [f"{base}/cdn/kg/story/7.html", f"{base}/kg/8.html"]
    assert any("character reference" in warning for warning in xml_warnings)
    assert set(duplicates(data_dir).values()) == {0} and debris(data_dir) == []
