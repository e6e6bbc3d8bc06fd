"""Backfills through the real flow against a loopback news site — pages (WordPress
``?paged=N`` and RFC 5005 archives), sitemaps, archive replay after a normaliser change —
and then ``maintain`` compacting what they wrote without changing any query result."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sites import NewsSite, write_catalog

from newswire.cli.demo_server import FeedServer
from newswire.tasks import normalise as tasks_normalise
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

START, END = date(2026, 10, 10), date(2026, 10, 25)
NEWEST = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _rows(data_dir, query):
    con = open_reader(data_dir)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _count(data_dir, query):
    return _rows(data_dir, query)[0][0]


def test_backfill_sources_then_maintain(prefect_server, tmp_path, monkeypatch):
    from newswire.flows.backfill import backfill
    from newswire.flows.maintain import maintain

    data_dir = tmp_path / "data"
    with FeedServer() as server:
        site = NewsSite(server, "/wire", NEWEST, 60, timedelta(days=1))
        expected = {site.article_url(a) for a in site.in_range(START, END)}
        assert len(expected) == 16
        catalog = write_catalog(
            tmp_path / "catalog.toml",
            [
                {"id": "wire-wp", "name": "Wire (WordPress)", "url": site.url("/wp/feed/"), "outlet": "wire"},
                {"id": "wire-archive", "name": "Wire (RFC 5005)", "url": site.url("/archive/feed.xml")},
                {
                    "id": "wire-sitemap",
                    "name": "Wire (sitemap)",
                    "url": site.url("/archive/feed.xml"),
                    "sitemap": site.url("/sitemap_index.xml"),
                    "tags": ["sitemapped"],
                },
            ],
        )
        run = dict(start=START, end=END, catalog=catalog, data_dir=str(data_dir))

        # Bad parameters are refused before any work: nothing is created.
        for bad, message in (
            (dict(run, start=END, end=START), "before start"),
            (dict(run, feed_ids=["nope"]), "unknown feed id"),
        ):
            with pytest.raises(ValueError, match=message):
                backfill(**bad, source="pages")
        assert not data_dir.exists()

        # pages: WordPress ?paged=N, stopping once the start date is passed.
        first = backfill(**run, source="pages", feed_ids=["wire-wp"])
        assert first.new_appearances == first.new_stories == 16 and not first.errors
        assert server.hits["/wire/wp/feed/"] == 5  # pages 1-5 of 6: page 5 reaches past START
        assert [(r.feed_id, r.status, r.entries) for r in first.feeds] == [("wire-wp", "5 documents", 16)]
        got = _rows(data_dir, "SELECT url, published_at FROM appearances WHERE feed_id = 'wire-wp'")
        assert {r[0] for r in got} == expected
        assert all(START <= r[1].astimezone(UTC).date() <= END for r in got)

        # pages: an RFC 5005 archive chain; the same articles are the same stories.
        archived = backfill(**run, source="pages", feed_ids=["wire-archive"])
        assert archived.new_appearances == 16 and archived.new_stories == 0
        assert archived.duplicates_merged == 16
        assert server.hits["/wire/archive/4.xml"] == 1 and server.hits["/wire/archive/5.xml"] == 0

        # Re-running adds nothing.
        again = backfill(**run, source="pages", feed_ids=["wire-wp", "wire-archive"])
        assert again.new_appearances == again.new_stories == again.updated_appearances == 0

        # sitemap: only the sitemaps and articles that can be in range are fetched.
        mapped = backfill(**run, source="sitemap", tags=["sitemapped"])
        assert mapped.new_appearances == 16 and mapped.new_stories == 0 and not mapped.errors
        assert server.hits["/wire/sitemap-2026-09.xml"] == 0  # lastmod before START
        fetched = {path for path, hits in server.hits.items() if "/articles/" in path and hits}
        assert {server.url(p) for p in fetched} == expected
        sitemap_again = backfill(**run, source="sitemap", tags=["sitemapped"])
        assert sitemap_again.new_appearances == sitemap_again.updated_appearances == 0

    # archive: replay stored payloads after a normaliser fix ("Fergana" -> "Ferghana").
    affected = {site.article_url(a) for a in site.in_range(START, END) if "Fergana" in a.text}
    assert 0 < len(affected) < len(expected)
    before = dict(_rows(data_dir, "SELECT appearance_id, revision FROM appearances"))
    original = tasks_normalise.html_to_text
    monkeypatch.setattr(
        tasks_normalise,
        "html_to_text",
        lambda fragment, *declared: original(fragment, *declared).replace("Fergana", "Ferghana"),
    )
    replay = backfill(**run, source="archive", feed_ids=["wire-wp", "wire-archive"])
    assert replay.new_appearances == 0 and not replay.errors
    assert replay.updated_appearances == 2 * len(affected)  # both feeds carry each article
    after = _rows(data_dir, "SELECT appearance_id, revision, url, feed_id, summary FROM appearances")
    changed = {(r[2], r[3]) for r in after if r[1] != before[r[0]]}
    assert changed == {(url, feed) for url in affected for feed in ("wire-wp", "wire-archive")}
    assert all("Ferghana" in r[4] for r in after if (r[2], r[3]) in changed)
    assert _count(data_dir, f"SELECT count(*) FROM fetches WHERE run_id = '{replay.run_id}'") == 0
    replay_again = backfill(**run, source="archive", feed_ids=["wire-wp", "wire-archive"])
    assert replay_again.updated_appearances == replay_again.new_appearances == 0
    monkeypatch.undo()

    # maintain: at most 2 files per partition afterwards, every query answers the same.
    queries = [
        "SELECT * FROM stories ORDER BY story_id",
        "SELECT * FROM appearances ORDER BY appearance_id",
        "SELECT * FROM story_versions ORDER BY story_id, revision",
        "SELECT * EXCLUDE (date) FROM fetches ORDER BY fetch_id",
        "SELECT date, count(*) FROM appearance_versions GROUP BY ALL ORDER BY ALL",
    ]
    results_before = [_rows(data_dir, q) for q in queries]
    lake = data_dir / "lake"
    files_before = {p: len(list(p.glob("*.parquet"))) for p in lake.glob("*/date=*")}
    assert max(files_before.values()) >= 3
    report = maintain(data_dir=str(data_dir))
    assert report.partitions and report.files_removed > 0
    files_after = {p: len(list(p.glob("*.parquet"))) for p in lake.glob("*/date=*")}
    assert files_after.keys() == files_before.keys() and max(files_after.values()) <= 2
    assert [_rows(data_dir, q) for q in queries] == results_before
    assert not (lake / "_retired").exists() or not any((lake / "_retired").iterdir())
    # Nothing left to do the second time; the views catalogue is still current.
    assert maintain(data_dir=str(data_dir)).partitions == []
