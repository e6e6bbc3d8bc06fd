"""Hostile and broken documents: each is one per-feed outcome (an error or entries), within
bounds, never an exception. Cases and expectations: tests/fixtures/hostile/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hostile_cases import MAX_BODY_BYTES, case_names, check_case, load_cases

from newswire.cli.demo_server import FeedServer
from newswire.tasks.catalog import Feed
from newswire.tasks.normalise import normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.settings import NormalisePolicy
from newswire.tasks.xml_safety import defuse_xml, exceeds_depth

FEED = Feed(
    id="hostile", name="Hostile", url="https://example.org/feed", kind="outlet", language="en", country="KG"
)
POLICY = NormalisePolicy()
FETCHED_AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def xxe_server():
    """Where an external entity would be fetched from: it must never be asked."""
    with FeedServer() as server:
        yield server


@pytest.fixture(scope="module")
def cases(xxe_server):
    return {case.name: case for case in load_cases({"base": xxe_server.base_url})}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", case_names())
def test_hostile_document_is_one_bounded_outcome(name, cases):
    case = cases[name]
    document = parse_document(case.body, case.headers, FEED.url, MAX_BODY_BYTES)
    entries = [] if document.error else normalise_document(document, FEED, FETCHED_AT, FEED.url, POLICY)
    assert check_case(case, document, entries) == []
    for entry in entries:
        assert len(entry.title) <= POLICY.max_title_chars
        assert "\x00" not in entry.title + entry.summary + entry.body
        # Impossible dates become the fetch time, flagged: never an overflow, never year 9999.
        assert entry.published_at <= FETCHED_AT + timedelta(minutes=POLICY.future_tolerance_minutes)
        assert entry.published_at.year >= 1970 or entry.date_issue


def test_external_entities_are_never_fetched(xxe_server, cases):
    """The DTD and entity URLs point at a live loopback server: nothing may ask it."""
    for name in ("xxe-http", "xxe-file"):
        document = parse_document(cases[name].body, {}, FEED.url, MAX_BODY_BYTES)
        assert not document.error
    assert sum(xxe_server.hits.values()) == 0


def test_defuse_removes_every_declaration_and_keeps_the_rest():
    body = (
        b'<?xml version="1.0"?><!-- x --><!doctype rss [<!ENTITY a "x]y">]>'
        b'<rss><!ENTITY b SYSTEM "z"><i/></rss>'
    )
    defused, warnings = defuse_xml(body)
    assert b"<!ENTITY" not in defused.upper() and b"<!DOCTYPE" not in defused.upper()
    assert defused.startswith(b'<?xml version="1.0"?><!-- x -->') and defused.endswith(b"<i/></rss>")
    assert warnings


def test_depth_check_ignores_markup_inside_cdata_and_comments():
    html = b"<p>" * 1000
    assert not exceeds_depth(b"<rss><item><description><![CDATA[" + html + b"]]></description></item></rss>")
    assert not exceeds_depth(b"<rss><!--" + html + b"--></rss>")
    assert exceeds_depth(b"<rss>" + b"<x>" * 300 + b"</x>" * 300 + b"</rss>")
    # Self-closing elements and a real feed's structure stay far below the limit.
    assert not exceeds_depth(b"<rss>" + b"<br/>" * 10_000 + b"</rss>")


def test_utf16_document_with_a_utf16_charset_header_still_parses_after_transcoding():
    title = "Бишкек: переговоры"
    body = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{title}</title><link>https://example.org/u16</link></item></channel></rss>"
    ).encode("utf-16")
    headers = {"content-type": "application/rss+xml; charset=UTF-16"}
    document = parse_document(body, headers, FEED.url, MAX_BODY_BYTES)
    assert not document.error and [e.title for e in document.entries] == [title]


def test_gzip_members_decode_whatever_the_chunking_and_within_the_budget():
    import gzip

    from newswire.tasks.content_decoding import BodyTooLarge, BoundedDecoder

    body = gzip.compress(b"first member;", mtime=0) + gzip.compress(b"second member", mtime=0) + b"\0" * 8
    for size in (1, 2, 7, len(body)):
        decoder = BoundedDecoder("gzip", 1000)
        decoded = b"".join(decoder.decode(body[i : i + size]) for i in range(0, len(body), size))
        assert decoded == b"first member;second member", size
    with pytest.raises(BodyTooLarge):  # the budget counts every member
        BoundedDecoder("gzip", 20).decode(body)


def test_declarations_hidden_in_cdata_before_the_root_are_still_removed():
    """CDATA is text only inside the root element; before it, feedparser's lenient mode
    still reads declarations, so nothing there is skipped."""
    body = b'<![CDATA[ <!DOCTYPE r [<!ENTITY a "boom">]> ]]><rss><i><![CDATA[<!DOCTYPE html>]]></i></rss>'
    defused, _ = defuse_xml(body)
    assert defused.count(b"<!DOCTYPE") == 1 and defused.endswith(b"<i><![CDATA[<!DOCTYPE html>]]></i></rss>")
