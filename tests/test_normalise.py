"""Normalisation of messy entries: text, URLs, dates, identities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newswire.tasks.catalog import Feed
from newswire.tasks.normalise import IDENTITY_COLLISION, count_warnings, normalise_document
from newswire.tasks.parse import ParsedDocument, ParsedEntry, parse_document
from newswire.tasks.settings import NormalisePolicy
from newswire.tasks.text import comparison_form, content_hash, html_to_text
from newswire.tasks.urls import canonical_url

FEED = Feed(id="f", name="F", url="https://f.example/rss", kind="outlet", language="en-GB", country="KZ")
NOW = datetime(2025, 10, 9, 12, 0, tzinfo=UTC)


def _normalise(*entries: ParsedEntry):
    document = ParsedDocument(format="rss20", entries=list(entries))
    return normalise_document(document, FEED, NOW, FEED.url, NormalisePolicy())


def test_canonical_url_strips_tracking_and_fragments():
    assert (
        canonical_url("HTTPS://News.Example:443/a/?utm_source=rss&fbclid=x&id=7&b=2#comments")
        == "https://news.example/a/?b=2&id=7"
    )
    assert canonical_url("/story/1?from=rss", base="https://24.kg/english/") == "https://24.kg/story/1"
    assert canonical_url("mailto:desk@example.com") is None
    # Found by the fuzz test: a link whose "port" is a date, an unclosed IPv6 bracket.
    assert canonical_url("https://24.kg:22:30Z</a") is None
    assert canonical_url("http://[::1/story") is None
    assert canonical_url(None) is None


def test_html_to_text_keeps_paragraphs_and_decodes_entities():
    text = html_to_text(
        "<p>Putin&#8217;s &amp;amp; <b>trade</b></p><script>x()</script><p>Second&nbsp;para</p>"
    )
    assert text == "Putin’s & trade\n\nSecond para"


def test_comparison_form_ignores_typography():
    assert comparison_form("“Good result” – Putin’s") == comparison_form('"good  result" - Putin\'s')
    assert content_hash("Title", "Body  text") == content_hash("TITLE", "body text")
    assert content_hash("Title", "Body") != content_hash("Title", "Other body")


def test_missing_and_future_dates_are_replaced_and_flagged():
    good, missing, future = _normalise(
        ParsedEntry(guid="1", title="a", published=NOW - timedelta(hours=2)),
        ParsedEntry(guid="2", title="b"),
        ParsedEntry(guid="3", title="c", published=datetime(2031, 1, 1, tzinfo=UTC)),
    )
    assert good.published_at == NOW - timedelta(hours=2) and good.date_issue is None
    assert missing.published_at == NOW and missing.date_issue == "missing" and missing.published_guessed
    assert future.published_at == NOW and future.date_issue == "future"


def test_entry_identity_falls_back_from_guid_to_link_to_hash():
    with_guid, with_link, bare = _normalise(
        ParsedEntry(guid=" g1 ", link="https://f.example/1", title="x"),
        ParsedEntry(link="https://f.example/2?utm_medium=rss", title="y"),
        ParsedEntry(title="z", published=NOW),
    )
    assert with_guid.entry_id == "g1"
    assert with_link.entry_id == "https://f.example/2"
    assert bare.entry_id.startswith("sha256:")
    assert _normalise(ParsedEntry(title="z", published=NOW))[0].entry_id == bare.entry_id


def test_an_entry_that_breaks_normalising_costs_that_entry_only(monkeypatch):
    from newswire.tasks import normalise as tasks_normalise

    real = tasks_normalise.canonical_url
    monkeypatch.setattr(
        tasks_normalise,
        "canonical_url",
        lambda url, base=None: (_ for _ in ()).throw(ValueError("boom")) if url == "bad" else real(url, base),
    )
    items = [ParsedEntry(guid="1", link="bad", title="a"), ParsedEntry(guid="2", title="b")]
    document = ParsedDocument(format="rss20", entries=items)
    entries = normalise_document(document, FEED, NOW, FEED.url, NormalisePolicy())
    assert [e.guid for e in entries] == ["2"]
    assert document.warnings == ["entry skipped #1: normalising failed: ValueError: boom"]


def test_language_comes_from_entry_then_feed_then_catalogue():
    (entry,) = _normalise(ParsedEntry(guid="1", title="t"))
    assert entry.language == "en"


def test_an_item_listed_twice_is_one_entry_but_a_reused_guid_on_another_link_is_kept_apart():
    link = "https://f.example/1"
    (update,) = _normalise(
        ParsedEntry(guid="1", link=link, title="old"), ParsedEntry(guid="1", link=link, title="new")
    )
    assert (update.title, update.warnings) == ("new", [])
    reused = (ParsedEntry(guid="1", link=link, title="old"), ParsedEntry(guid="1", title="other"))
    old, other = _normalise(*reused)
    assert (old.entry_id, old.warnings) == ("1", [])
    assert other.entry_id == f"1#{other.content_hash[:12]}"
    assert count_warnings([old, other], IDENTITY_COLLISION) == 1
    # A repoll of the same document gives the same ids (no new appearance each run).
    assert [e.entry_id for e in _normalise(*reused)] == ["1", other.entry_id]


def test_a_home_page_link_is_no_identity():
    home = "https://f.example/"
    first, second = _normalise(
        ParsedEntry(link=home, title="Episode 1", summary="One"),
        ParsedEntry(link=home, title="Episode 2", summary="Two"),
    )
    assert first.entry_id.startswith("sha256:") and first.entry_id != second.entry_id
    assert not first.url_is_key and first.appearance_keys == [f"id:{first.entry_id}"]
    assert all(not key.startswith("url:") for key in first.story_keys)


def test_windows_1251_feed_decodes(tmp_path):
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Лента</title>'
        "<item><title>В Бишкеке прошли переговоры</title><guid>1</guid></item></channel></rss>"
    ).encode("windows-1251")
    document = parse_document(body, {"content-type": "application/rss+xml"}, "http://x/", 10**6)
    assert document.error is None
    assert document.entries[0].title == "В Бишкеке прошли переговоры"


def test_doctype_with_entities_is_stripped_not_expanded():
    lol = b"&lol;" * 1000
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "' + b"x" * 50_000 + b'">]>'
        b'<rss version="2.0"><channel><item><title>' + lol + b"</title><guid>1</guid></item></channel></rss>"
    )
    document = parse_document(body, {}, "http://x/", 10**6)
    assert any("DOCTYPE" in w for w in document.warnings)
    assert all(len(e.title or "") < 10_000 for e in document.entries)


def test_not_a_feed_is_a_clear_error():
    document = parse_document(b"Hello, this is a plain text page", {}, "http://x/", 10**6)
    assert document.error and "not a feed" in document.error


def test_aggregator_items_are_credited_to_the_publisher_they_name():
    from dataclasses import replace

    from newswire.tasks.normalise import outlet_of

    aggregator = replace(FEED, id="gnews", kind="aggregator")
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Putin urges trade</title>'
        b'<link>https://news.google.com/x</link><source url="https://www.reuters.com">Reuters</source>'
        b"</item><item><title>Tenge slides</title><source>Times of Central Asia</source></item>"
        b"</channel></rss>"
    )
    reuters, named_only = parse_document(body, {}, "http://x/", 10**6).entries
    assert outlet_of(reuters, aggregator) == "reuters.com"
    assert outlet_of(named_only, aggregator) == "times of central asia"
    assert outlet_of(reuters, FEED) == "f"  # an ordinary feed is its own outlet
