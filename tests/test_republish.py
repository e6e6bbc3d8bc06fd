"""The republished feeds (tasks/republish.py): JSON Feed 1.1 valid against the spec's
schema, both formats read back by our own parser with the same ids, titles and links, the
same stories give the same bytes, and a revision updates its entry."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema

from newswire.tasks.parse import parse_document
from newswire.tasks.republish import FeedMeta, alert_message, atom_entry_id, atom_feed, json_feed
from newswire.warehouse.desk_queries import DeskStory, OutletLink
from newswire.warehouse.outputs import write_if_changed

SCHEMA = Path(__file__).parent / "fixtures" / "outputs" / "jsonfeed-1.1.schema.json"
META = FeedMeta(name="tajikistan", title="Tajikistan", base_url="http://127.0.0.1:8787")

REUTERS = DeskStory(
    story_id="scd32c869b58004d28564bdd3",
    revision=1,
    title="Putin urges Central Asian states to step up trade with Russia",
    body="President Vladimir Putin on Thursday urged the leaders of Central Asia...\n\nMore & <more>.",
    url="https://www.reuters.com/world/putin-urges-central-asian-states-trade-2025-10-09/",
    language="en",
    published_at=datetime(2025, 10, 9, 10, 40, tzinfo=UTC),
    updated_at=datetime(2025, 10, 9, 11, 0, tzinfo=UTC),
    first_seen_at=datetime(2025, 10, 9, 11, 0, tzinfo=UTC),
    wire_agency="Reuters",
    dateline_place="Moscow",
    dateline_date=None,
    countries=("RU", "TJ", "KZ"),
    primary_country="RU",
    in_region=True,
    outlets=(
        OutletLink("brecorder.com", "https://www.brecorder.com/news/40385600/putin-urges"),
        OutletLink(
            "reuters.com", "https://www.reuters.com/world/putin-urges-central-asian-states-trade-2025-10-09/"
        ),
        OutletLink("theprint.in", "https://theprint.in/world/putin-urges-central-asian-states/2761400/"),
        OutletLink("timesca.com", "https://timesca.com/putin-urges-central-asia-trade/"),
    ),
)
STAFF = replace(
    REUTERS,
    story_id="s29ecc8836e19dfc4973799b4",
    title="Погода: в Душанбе дожди",
    body="",
    url="https://asiaplustj.info/ru/news/weather",
    language="ru",
    wire_agency=None,
    dateline_place=None,
    countries=(),
    primary_country=None,
    outlets=(OutletLink("asiaplustj.info", "https://asiaplustj.info/ru/news/weather"),),
)


def parse(body: bytes):
    document = parse_document(body, {}, META.atom_url, max_bytes=10_000_000)
    assert document.error is None, document.error
    return document


def test_json_feed_validates_against_the_json_feed_1_1_schema():
    checker = jsonschema.FormatChecker()

    @checker.checks("uri")
    def is_uri(value: str) -> bool:
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    document = json.loads(json_feed(META, [REUTERS, STAFF]))
    jsonschema.validate(document, json.loads(SCHEMA.read_text()), format_checker=checker)
    # and the schema does refuse a broken one
    del document["items"][0]["content_text"]
    try:
        jsonschema.validate(document, json.loads(SCHEMA.read_text()), format_checker=checker)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an item without content passed the schema")


def test_both_feeds_read_back_with_the_same_ids_titles_and_links():
    stories = [REUTERS, STAFF]
    atom, jsonf = parse(atom_feed(META, stories)), parse(json_feed(META, stories))
    assert atom.format != jsonf.format
    assert [e.guid for e in atom.entries] == [atom_entry_id(s.story_id) for s in stories]
    assert [e.guid for e in jsonf.entries] == [s.story_id for s in stories]
    for document in (atom, jsonf):
        assert [e.title for e in document.entries] == [s.title for s in stories]
        assert [e.link for e in document.entries] == [s.url for s in stories]
        assert document.entries[0].authors == ["Reuters"]
        assert document.entries[0].published == REUTERS.published_at
        assert document.entries[0].updated == REUTERS.updated_at
    assert set(jsonf.entries[0].categories) == {"RU", "TJ", "KZ"}
    assert {"RU", "TJ", "KZ", "Moscow", "Reuters"} <= set(atom.entries[0].categories)
    assert "More & <more>." in atom.entries[0].content


def test_every_outlet_is_a_related_link_with_its_name():
    entry = feedparser.parse(atom_feed(META, [REUTERS])).entries[0]
    related = [(link.title, link.href) for link in entry.links if link.rel == "related"]
    assert related == [(o.outlet, o.url) for o in REUTERS.outlets]
    assert [link.href for link in entry.links if link.rel == "alternate"] == [REUTERS.url]
    item = json.loads(json_feed(META, [REUTERS]))["items"][0]
    assert item["_newswire"]["outlets"] == [{"outlet": o.outlet, "url": o.url} for o in REUTERS.outlets]
    assert item["_newswire"]["dateline"] == "Moscow"


def test_same_stories_same_bytes_and_a_revision_updates_its_entry(tmp_path):
    first = atom_feed(META, [REUTERS, STAFF]), json_feed(META, [REUTERS, STAFF])
    assert first == (atom_feed(META, [REUTERS, STAFF]), json_feed(META, [REUTERS, STAFF]))
    revised = replace(
        REUTERS, revision=2, title="UPDATED: Putin urges", updated_at=datetime(2025, 10, 9, 14, 0, tzinfo=UTC)
    )
    entry = feedparser.parse(atom_feed(META, [revised, STAFF])).entries[0]
    assert entry.id == atom_entry_id(REUTERS.story_id) and entry.title == "UPDATED: Putin urges"
    assert entry.updated == "2025-10-09T14:00:00Z"
    assert feedparser.parse(atom_feed(META, [revised, STAFF])).feed.updated == "2025-10-09T14:00:00Z"
    path = tmp_path / "out" / "q.atom.xml"
    assert write_if_changed(path, first[0]) is True
    mtime = path.stat().st_mtime_ns
    assert write_if_changed(path, first[0]) is False and path.stat().st_mtime_ns == mtime
    assert list(path.parent.iterdir()) == [path]


def test_an_empty_feed_is_valid_and_stable():
    assert atom_feed(META, []) == atom_feed(META, [])
    assert feedparser.parse(atom_feed(META, [])).feed.updated == "1970-01-01T00:00:00Z"
    assert json.loads(json_feed(META, []))["items"] == []


def test_alert_message_names_agency_countries_outlets_and_a_link():
    message = alert_message(META, REUTERS)
    assert message.title == REUTERS.title
    assert message.body.splitlines()[0] == "Reuters — Moscow"
    assert "Countries: RU, TJ, KZ" in message.body
    for outlet in REUTERS.outlets:
        assert f"- {outlet.outlet}: {outlet.url}" in message.body
    assert f"http://127.0.0.1:8787/stories/{REUTERS.story_id}" in message.body


def test_a_wire_item_without_links_gets_the_story_page_instead():
    from newswire.cli.story_html import story_card

    wire = replace(REUTERS, url=None, outlets=(OutletLink("reuters.com", None),))
    page_url = META.story_page_url(wire.story_id)
    entry = feedparser.parse(atom_feed(META, [wire])).entries[0]
    assert [(link.rel, link.href) for link in entry.links] == [("alternate", page_url), ("related", page_url)]
    item = json.loads(json_feed(META, [wire]))["items"][0]
    assert item["url"] == page_url and item["_newswire"]["outlets"] == [
        {"outlet": "reuters.com", "url": None}
    ]
    assert "- reuters.com\n" in alert_message(META, wire).body
    assert '<span class="outlet">reuters.com</span>' in story_card(wire)
