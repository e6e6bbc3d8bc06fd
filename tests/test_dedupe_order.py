"""Arrival order does not change the stories: the bundled sample ingested feed by feed —
The Times of Central Asia's copy of the Reuters Dushanbe story first, the full Reuters
copies later — gives the same stories as one run over every feed, and `dedupe --rebuild`
changes nothing. Through the real ingest flow (loopback server, Prefect, lake)."""

from __future__ import annotations

import pytest

from conftest import SAMPLE_CATALOG, ingest_sample
from newswire.flows.rebuild import rebuild_clusters
from newswire.tasks.catalog import load_catalog
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

HEADLINE = "%Putin urges Central Asia%"


def _partition(data_dir) -> tuple[set[frozenset[str]], int, list]:
    con = open_reader(data_dir)
    try:
        rows = con.execute("SELECT story_id, appearance_id FROM appearances").fetchall()
        live = con.execute("SELECT count(*) FROM stories").fetchone()[0]
        merged = con.execute(
            "SELECT story_id, merged_into FROM stories_all WHERE merged_into IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    stories: dict[str, set[str]] = {}
    for story_id, appearance_id in rows:
        stories.setdefault(story_id, set()).add(appearance_id)
    return {frozenset(members) for members in stories.values()}, live, merged


@pytest.mark.sweep
def test_feed_by_feed_in_any_order_gives_the_stories_of_one_run(prefect_server, sample_server, tmp_path):
    at_once = tmp_path / "at-once"
    ingest_sample(at_once, sample_server)
    expected, expected_live, _ = _partition(at_once)
    assert expected_live == 168

    feed_ids = [feed.id for feed in load_catalog(SAMPLE_CATALOG, {"base": sample_server.base_url})]
    order = ["timesca-en"] + [f for f in reversed(feed_ids) if f != "timesca-en"]
    by_feed = tmp_path / "by-feed"
    for feed_id in order:
        ingest_sample(by_feed, sample_server, feed_ids=[feed_id])
    partition, live, merged = _partition(by_feed)
    assert live == expected_live
    assert partition == expected
    # The Times of Central Asia copy started a story of its own; the full copies that came
    # later merged it into theirs: its id is kept, as a revision merged into the survivor.
    con = open_reader(by_feed)
    reuters = con.execute(
        "SELECT story_id, outlets FROM stories WHERE title LIKE ? OR title LIKE ?",
        [HEADLINE, "%Putin urges Central Asian states%"],
    ).fetchall()
    con.close()
    assert len(reuters) == 1 and "timesca.com" in reuters[0][1]
    assert all(survivor == reuters[0][0] for _, survivor in merged) and merged

    report = rebuild_clusters(by_feed)
    assert report.reassigned_appearances == 0 and report.stories_written == 0
    assert _partition(by_feed)[0] == expected
