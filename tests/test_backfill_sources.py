"""The pure parts of backfill sources, driven by fixture files under
tests/fixtures/backfill/ (each with its expectation in <name>.expected.json), plus the
parameter checks that must refuse bad input before any work."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from newswire.tasks.backfill_pages import PageWalk, cms_page_url, feed_links
from newswire.tasks.sitemap import SitemapEntry, article_entry, parse_sitemap, wanted

FIXTURES = Path(__file__).parent / "fixtures" / "backfill"


def _expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["rss-prev-archive", "atom-paged"])
def test_feed_links(name):
    expected = _expected(name)
    assert feed_links((FIXTURES / f"{name}.xml").read_bytes(), expected["base_url"]) == expected["links"]


@pytest.mark.parametrize(
    "path", sorted(p for p in FIXTURES.iterdir() if "sitemap" in p.name and ".expected" not in p.name)
)
def test_sitemaps(path):
    expected = _expected(path.stem)
    sitemap = parse_sitemap(path.read_bytes())
    assert sitemap.kind == expected["kind"]
    if sitemap.kind == "invalid":
        assert expected["error_contains"] in sitemap.error
        return
    start, end = date.fromisoformat(expected["start"]), date.fromisoformat(expected["end"])
    kept = [e.loc for e in sitemap.entries if wanted(e, start, end, sitemap.kind == "index")]
    assert kept == expected["wanted"]
    for loc, title in expected.get("titles", {}).items():
        assert next(e.title for e in sitemap.entries if e.loc == loc) == title


def test_article_page():
    expected = _expected("article")
    entry = article_entry(
        (FIXTURES / "article.html").read_bytes(), expected["url"], SitemapEntry(loc=expected["url"])
    )
    assert entry.link == expected["link"]
    assert entry.title == expected["title"]
    assert entry.summary == expected["summary"]
    assert entry.published == datetime.fromisoformat(expected["published"])
    assert entry.authors == expected["authors"]
    assert entry.language == expected["language"]
    assert re.findall(r"<p>(.*?)</p>", entry.content) == expected["content_paragraphs"]


def test_page_walk_falls_back_from_paged_to_page_then_gives_up():
    feed = "https://cms.example.kz/rss?lang=ru"
    walk = PageWalk(feed_url=feed)
    no_links = b"<rss version='2.0'><channel><title>x</title></channel></rss>"
    assert walk.next_url(no_links, feed, ["a", "b"], date(2026, 11, 1), date(2026, 10, 1)) == cms_page_url(
        feed, "paged", 2
    )
    assert cms_page_url(feed, "paged", 2) == "https://cms.example.kz/rss?lang=ru&paged=2"
    # The CMS ignores ?paged=: the same items come back, so ?page= is tried instead.
    assert walk.next_url(no_links, feed, ["a", "b"], None, date(2026, 10, 1)) == cms_page_url(feed, "page", 2)
    # ... which fails too: the feed simply has no older pages, and says so.
    assert walk.page_failed("HTTP 404") is None
    assert "no older pages" in walk.finished


def test_flow_parameters_render_as_a_typed_form():
    from prefect.utilities.callables import parameter_schema

    from newswire.flows.backfill import backfill

    schema = parameter_schema(backfill).model_dump()
    properties = schema["properties"]
    assert properties["source"]["enum"] == ["archive", "pages", "sitemap"]
    assert properties["max_pages"]["minimum"] == 1
    assert {"format": "date"}.items() <= next(
        option for option in properties["start"]["anyOf"] if option.get("type") == "string"
    ).items()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--from", "2026-10-10", "--to", "2026-10-01"], "before start"),
        (["--from", "2026-10-01", "--to", "2026-10-02", "--feed", "no-such-feed"], "unknown feed id"),
        (["--from", "2026-10-01", "--to", "2026-10-02", "--source", "ftp"], "archive', 'pages' or 'sitemap"),
        (["--from", "2026-10-01", "--to", "2026-10-02", "--max-pages", "0"], "max_pages"),
    ],
)
def test_cli_refuses_bad_backfills_before_starting_prefect(tmp_path, arguments, message):
    result = subprocess.run(
        [sys.executable, "-m", "newswire", "backfill", *arguments, "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "nothing was done" in " ".join(result.stderr.split())
    assert not (tmp_path / "data").exists()
