"""The parse fast path (tasks/fast_feed.py) against feedparser: on every corpus feed and
on the ingest benchmark's generated feeds, the strict reader either gives up or gives
exactly the document feedparser gives, entry for entry and after normalisation."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CORPUS_DIR, REPO_ROOT
from newswire.tasks.catalog import Feed
from newswire.tasks.fast_feed import read_plain_rss
from newswire.tasks.normalise import normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import NormalisePolicy

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from ingest import generate_feeds

LIMIT = 10_000_000
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
FEED = Feed(
    id="f", name="Outlet", url="https://outlet.example/rss", kind="outlet", language="en", country="KZ"
)
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def corpus_files() -> list[Path]:
    folder = CORPUS_DIR / "feeds"
    return (
        sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".tsv") if folder.is_dir() else []
    )


def both_ways(body: bytes, headers: dict[str, str]):
    fast = parse_document(body, headers, FEED.url, LIMIT, fast_path=True)
    slow = parse_document(body, headers, FEED.url, LIMIT, fast_path=False)
    return fast, slow


def assert_same(body: bytes, headers: dict[str, str]) -> None:
    fast, slow = both_ways(body, headers)
    assert fast == slow
    normalised = [
        normalise_document(document, FEED, FETCHED, FEED.url, NormalisePolicy(), raw_sha256="x")
        for document in (fast, slow)
    ]
    assert normalised[0] == normalised[1]


@pytest.mark.skipif(not corpus_files(), reason="the shared corpus is not next to this checkout")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: str(p.relative_to(CORPUS_DIR / "feeds")))
def test_every_corpus_feed_reads_the_same_with_the_fast_path(path: Path) -> None:
    assert_same(path.read_bytes(), {"content-type": "application/xml"})


def test_generated_benchmark_feeds_take_the_fast_path_and_read_the_same(tmp_path: Path) -> None:
    generate_feeds(tmp_path, feeds=12, entries=20)
    for path in sorted((tmp_path / "feeds").glob("*.xml")):
        body = path.read_bytes()
        assert read_plain_rss(body, HEADERS) is not None, f"{path.name} fell back to feedparser"
        assert_same(body, HEADERS)


@pytest.mark.parametrize(
    "item",
    [
        "<title>A &amp; B</title><link>https://x.example/1</link>",  # an entity to interpret
        "<title> padded </title><link>https://x.example/1</link>",
        "<title>T</title><link>/relative/1</link>",  # feedparser resolves relative links
        "<title>T</title><link>https://x.example/a/../1</link>",
        '<title>T</title><link>https://x.example/1</link><guid isPermaLink="false">g</guid>',
        "<title>T</title><link>https://x.example/1</link><author>a@b.example (A)</author>",
        "<title>T</title><link>https://x.example/1</link><pubDate>Mon, 32 Oct 2025 10:00:00 GMT</pubDate>",
        "<title>T</title><link>https://x.example/1</link><!-- a comment -->",
    ],
)
def test_anything_unusual_falls_back_to_feedparser(item: str) -> None:
    body = f'<rss version="2.0"><channel><title>C</title><item>{item}</item></channel></rss>'
    assert read_plain_rss(body.encode(), HEADERS) is None
    assert_same(body.encode(), HEADERS)


def test_not_plain_rss_falls_back() -> None:
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>'
    latin1 = b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel></channel></rss>'
    broken = b'<rss version="2.0"><channel><item><title>T</title></channel></rss>'
    for body in (atom, latin1, broken):
        assert read_plain_rss(body, HEADERS) is None
