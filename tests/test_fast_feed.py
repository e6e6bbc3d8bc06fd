"""The parse fast path (tasks/fast_feed.py, fast_atom.py, fast_rdf.py) against
feedparser: on every corpus feed, on feedparser's own test fixtures and on the ingest
benchmark's generated feeds as RSS 2.0, Atom 1.0 and RSS 1.0, the strict readers either
give up or give exactly the document feedparser gives, entry for entry and after
normalisation."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CORPUS_DIR, REPO_ROOT
from newswire.tasks.catalog import Feed
from newswire.tasks.fast_feed import read_plain_feed
from newswire.tasks.normalise import normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import NormalisePolicy

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "reliability"))
from differential import load_fixtures
from parse_speed import generated_documents

LIMIT = 10_000_000
HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
FEED = Feed(
    id="f", name="Outlet", url="https://outlet.example/rss", kind="outlet", language="en", country="KZ"
)
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
ATOM = '<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{}</feed>'
ATOM_ENTRY = '<entry><title>T</title><link href="https://x.example/1"/><id>urn:1</id>{}</entry>'
RDF = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" {}><channel rdf:about="https://x.example/">'
    "<title>C</title><link>https://x.example/</link></channel>"
    '<item rdf:about="https://x.example/1"><title>T</title><link>https://x.example/1</link>{}</item></rdf:RDF>'
)


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


def test_feedparser_fixtures_read_the_same_with_the_fast_path() -> None:
    """feedparser's own 611 test documents (tests/fixtures/feedparser/) are its edge cases:
    each one the fast path takes must read exactly as feedparser reads it."""
    fixtures = load_fixtures()
    taken, different = 0, []
    for fixture in fixtures:
        headers = {k.lower(): v for k, v in fixture.headers.items()}
        if read_plain_feed(fixture.body, headers) is None:
            continue
        taken += 1
        fast, slow = both_ways(fixture.body, headers)
        if fast != slow:
            different.append(fixture.name)
    assert different == []
    assert taken >= 20, f"the fast path took only {taken} of {len(fixtures)} fixtures"


@pytest.mark.parametrize("name", ["rss", "atom", "rdf"])
def test_generated_benchmark_feeds_take_the_fast_path_and_read_the_same(tmp_path: Path, name: str) -> None:
    for body in generated_documents(tmp_path, feeds=12, entries=20)[name]:
        assert read_plain_feed(body, HEADERS) is not None, f"a generated {name} feed fell back to feedparser"
        assert_same(body, HEADERS)


@pytest.mark.parametrize(
    "item",
    [
        "<title>A &amp;amp; B</title><link>https://x.example/1</link>",  # feedparser retypes it as HTML
        "<title>A </b></title><link>https://x.example/1</link>",
        "<title>T</title><link>https://x.example/1?a=1&amp;b;=2</link>",  # feedparser "repairs" &b;
        "<title> </title><link>https://x.example/1</link>",  # only space: feedparser keeps ""
        "<title>T</title><link>/relative/1</link>",  # feedparser resolves relative links
        "<title>T</title><link>https://x.example/a/../1</link>",
        '<title>T</title><link>https://x.example/1</link><guid isPermaLink="false">g</guid>',
        "<title>T</title><link>https://x.example/1</link><author>a@b.example (A)</author>",
        "<title>T</title><link>https://x.example/1</link><pubDate>Mon, 32 Oct 2025 10:00:00 GMT</pubDate>",
        "<title>T</title><link>https://x.example/1</link><!-- a comment -->",
        "<title>Ã©tÃ©</title><link>https://x.example/1</link>",  # feedparser "repairs" it to été
        "<title>T\x85</title><link>https://x.example/1</link>",  # a C1 control: cp1252 in feedparser
    ],
)
def test_anything_unusual_falls_back_to_feedparser(item: str) -> None:
    body = f'<rss version="2.0"><channel><title>C</title><item>{item}</item></channel></rss>'
    assert read_plain_feed(body.encode(), HEADERS) is None
    assert_same(body.encode(), HEADERS)


@pytest.mark.parametrize(
    "item",
    [
        "<title>A &amp; B</title><link>https://x.example/1</link>",  # "&" alone: still plain text
        "<title> padded </title><link>https://x.example/1</link><description>\n D \n</description>",
        "<title>T</title><link>https://x.example/1</link><description>&lt;b&gt;B&lt;/b&gt;</description>",
        "<title>T</title><link>https://x.example/1</link><description><![CDATA[<p>A &amp; B</p>]]>"
        "</description>",
    ],
)
def test_plain_rss_with_html_descriptions_takes_the_fast_path(item: str) -> None:
    body = f'<rss version="2.0"><channel><title>C</title><item>{item}</item></channel></rss>'.encode()
    assert read_plain_feed(body, HEADERS) is not None
    assert_same(body, HEADERS)


@pytest.mark.parametrize(
    "fields",
    [
        '<summary>S</summary><content type="html">C</content>',
        '<summary type="html">&lt;p&gt;S &amp;amp; T&lt;/p&gt;</summary>',  # both: summary first is fine
        '<content type="html">Only the content</content>',  # feedparser copies it to the summary
        '<category term="a"/><category term="a"/><category label="B"/>',  # a repeated tag counts once
        "<author><name>A</name><email>a@x.example</email></author><author><name>B</name></author>",
        "<published>2025-10-01T09:00:00+02:00</published><updated>2025-10-01T10:00:00Z</updated>",
    ],
)
def test_plain_atom_takes_the_fast_path_and_reads_the_same(fields: str) -> None:
    body = ATOM.format(ATOM_ENTRY.format(fields)).encode()
    assert read_plain_feed(body, HEADERS) is not None
    assert_same(body, HEADERS)


@pytest.mark.parametrize(
    "document",
    [
        ATOM.format(ATOM_ENTRY.format('<content type="html">C</content><summary>S</summary>')),
        ATOM.format(
            ATOM_ENTRY.format(
                '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">S</div></summary>'
            )
        ),
        ATOM.format(ATOM_ENTRY.format('<content src="https://x.example/c"/>')),
        ATOM.format(ATOM_ENTRY.format('<link href="https://x.example/2"/>')),  # two alternate links
        ATOM.format(
            ATOM_ENTRY.format('<link rel="alternate" type="application/pdf" href="https://x.example/p"/>')
        ),
        ATOM.format(ATOM_ENTRY.format("<author><email>a@x.example</email></author>")),
        ATOM.format(ATOM_ENTRY.format("<summary></summary>")),  # feedparser keeps ""
        ATOM.format(
            '<entry><title>T</title><link href="https://x.example/1"/><id>12</id></entry>'
        ),  # relative id
        ATOM.format('<entry xml:base="https://x.example/"><title>T</title><link href="1"/></entry>'),
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>F</title></feed>',
        RDF.format("", "<dc:creator>a@x.example (A)</dc:creator>"),
        RDF.format(
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"', "<content:encoded>C</content:encoded>"
        ),
        RDF.format("", "<dc:language>ru</dc:language>"),  # an item's own language
    ],
)
def test_unusual_atom_and_rdf_fall_back_to_feedparser(document: str) -> None:
    assert read_plain_feed(document.encode(), HEADERS) is None
    assert_same(document.encode(), HEADERS)


def test_plain_rdf_takes_the_fast_path_and_reads_the_same() -> None:
    body = RDF.format(
        "",
        "<description>D</description><dc:date>2025-10-01T10:00:00+03:00</dc:date>"
        "<dc:creator>Bob</dc:creator><dc:subject>Econ</dc:subject><dc:subject>Econ</dc:subject>",
    ).encode()
    document = read_plain_feed(body, HEADERS)
    assert document is not None and document.entries[0].updated is not None
    assert_same(body, HEADERS)


def test_not_plain_falls_back() -> None:
    latin1 = b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel></channel></rss>'
    broken = b'<rss version="2.0"><channel><item><title>T</title></channel></rss>'
    rss090 = b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>C</title></channel></rdf:RDF>'
    for body in (latin1, broken, rss090):
        assert read_plain_feed(body, HEADERS) is None
    plain = b'<rss version="2.0"><channel><title>C</title></channel></rss>'
    # feedparser resolves links and ids against a Content-Location: not this reader's business
    assert read_plain_feed(plain, {**HEADERS, "Content-Location": "https://x.example/"}) is None
