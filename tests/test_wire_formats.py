"""Every wire file and JSON Feed of the shared corpus through ``parse_document``, checked
against the document itself: each expectation is read here with json/lxml directly, not
through our parsers. Messy cases live in tests/fixtures/wire/ with their expectation."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from lxml import etree

from conftest import CORPUS_DIR
from newswire.tasks.formats.detect import detect_family
from newswire.tasks.parse import parse_document

WIRE = CORPUS_DIR / "wire"
FEEDS = CORPUS_DIR / "feeds"
FIXTURES = Path(__file__).parent / "fixtures" / "wire"
NAR = "http://iptc.org/std/nar/2006-10-01/"
MAX = 10 * 1024 * 1024


def _manifest(directory: Path) -> list[tuple[str, str]]:
    with open(directory / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return [(row["path"], row["format"]) for row in csv.DictReader(handle, delimiter="\t")]


WIRE_FILES = _manifest(WIRE)
JSON_FEEDS = [(path, fmt) for path, fmt in _manifest(FEEDS) if fmt == "jsonfeed"]


def _when(value) -> datetime | None:
    """RFC 3339 as the specs say, or RFC 822 as some real JSON Feeds write it."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return parsedate_to_datetime(value)


def _ninjs_expected(item: dict) -> dict:
    headline = item.get("headline")
    if not headline and item.get("headlines"):
        mains = [h for h in item["headlines"] if h.get("role") in (None, "main")] or item["headlines"]
        headline = mains[0]["value"]
    version = item.get("version")
    return {
        "guid": item["uri"],
        "title": (headline or item.get("title") or "").strip() or None,
        "version": int(version) if version is not None else None,
        "published": _when(item.get("firstCreated") or item.get("firstcreated")),
        "updated": _when(item.get("versionCreated") or item.get("versioncreated")),
        "pubstatus": item.get("pubStatus") or item.get("pubstatus") or "usable",
    }


def _g2_expected(item: etree._Element) -> dict:
    ns = {"n": NAR}
    headline = item.xpath("string(n:contentMeta/n:headline)", namespaces=ns).strip()
    headline = headline or item.xpath("string(n:itemMeta/n:title)", namespaces=ns).strip()
    first = item.xpath("string(n:itemMeta/n:firstCreated)", namespaces=ns).strip()
    first = first or item.xpath("string(n:contentMeta/n:contentCreated)", namespaces=ns).strip()
    status = item.xpath("string(n:itemMeta/n:pubStatus/@qcode)", namespaces=ns)
    return {
        "guid": item.get("guid"),
        "title": " ".join(headline.split()) or None,
        "version": int(item.get("version")) if item.get("version") else None,
        "published": _when(first),
        "updated": _when(item.xpath("string(n:itemMeta/n:versionCreated)", namespaces=ns).strip()),
        "pubstatus": status.split(":", 1)[1] if status else "usable",
    }


def _actual(entry) -> dict:
    return {
        "guid": entry.guid,
        "title": entry.title,
        "version": entry.extra.get("wire_version"),
        "published": entry.published,
        "updated": entry.updated,
        "pubstatus": entry.extra.get("pubstatus"),
    }


@pytest.mark.parametrize(("path", "fmt"), WIRE_FILES, ids=[p for p, _ in WIRE_FILES])
def test_every_wire_file_parses_as_the_document_says(path: str, fmt: str):
    body = (WIRE / path).read_bytes()
    document = parse_document(body, {}, f"file://{path}", MAX)
    if fmt.startswith("ninjs"):
        payload = json.loads(body)
        items = payload if isinstance(payload, list) else [payload]
        assert document.error is None
        assert document.format.startswith(f"ninjs-{fmt.split('-')[1][0]}")
        assert [_actual(e) for e in document.entries] == [_ninjs_expected(i) for i in items]
    elif fmt == "newsml-g2":
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        name = etree.QName(root).localname
        if name in ("contentMeta", "contentSet"):
            assert document.entries == [] and f"<{name}> fragment" in document.error
            return
        items = [root] if name != "newsMessage" else root.find(f"{{{NAR}}}itemSet").findall("*")
        with_guid = [item for item in items if item.get("guid")]
        assert document.error is None
        assert [_actual(e) for e in document.entries] == [_g2_expected(i) for i in with_guid]
        assert len(document.warnings) == len(items) - len(with_guid)
    elif fmt == "newsml-1.2":
        assert document.format == "newsml-1" and "NewsML 1.x is not supported" in document.error
    elif fmt == "json-schema":
        assert document.entries == [] and "JSON Schema" in document.error
    else:
        pytest.fail(f"MANIFEST format {fmt!r} has no expectation here")


@pytest.mark.parametrize("path", [p for p, _ in JSON_FEEDS])
def test_every_json_feed_parses_as_the_document_says(path: str):
    body = (FEEDS / path).read_bytes()
    feed = json.loads(body)
    document = parse_document(body, {}, "https://example.org/feed.json", MAX)
    assert document.error is None and document.warnings == []
    assert document.format == ("jsonfeed-1.1" if feed["version"].endswith("1.1") else "jsonfeed-1.0")
    expected = [
        {
            "guid": item.get("id"),
            "link": item.get("url") or item.get("external_url"),
            "title": item.get("title"),
            "published": _when(item.get("date_published")),
            "updated": _when(item.get("date_modified")),
        }
        for item in feed["items"]
    ]
    actual = [
        {"guid": e.guid, "link": e.link, "title": e.title, "published": e.published, "updated": e.updated}
        for e in document.entries
    ]
    assert actual == expected
    assert all(e.content for e in document.entries if "content_html" in str(feed["items"]))


def test_ninjs_versions_of_one_story_agree():
    """The same dpa story in ninjs 2.1 and 3.0, and one Business Wire release in 1.4 and
    3.0: field renames between versions must not change what we read."""
    for old, new in (
        ("ninjs/2.1/dpa_text.json", "ninjs/3.0/dpa_text.json"),
        (
            "ninjs/1.4/businesswire-newsml-20130731006140.json",
            "ninjs/3.0/businesswire-newsml-20130731006140.json",
        ),
    ):
        first, second = (parse_document((WIRE / p).read_bytes(), {}, "x", MAX).entries[0] for p in (old, new))
        for attribute in ("guid", "title", "updated", "language"):
            assert getattr(first, attribute) == getattr(second, attribute), (old, attribute)
        assert first.extra["wire_version"] == second.extra["wire_version"]
        assert first.content and second.content


def test_wire_fields_map_onto_the_schema_columns():
    item = parse_document(
        (WIRE / "newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml").read_bytes(), {}, "x", MAX
    )
    entry = item.entries[0]
    assert entry.extra["wire_agency"] == "Associated Press"
    assert entry.extra["dateline_place"] == "New York, NY"
    assert {"scheme": "medtop", "code": "20000350", "name": "central bank"} in entry.extra["subjects"]
    assert "Nim zzriureet" in entry.content and "Staff Reporter" not in entry.content
    assert entry.authors == ["By Meredith Jameson, Staff Reporter"]
    # ISO-8859-1 declared: names come out decoded; AP's machine subjects take the assert's name.
    ap = parse_document((WIRE / "newsml-g2/ap_metadata_example.xml").read_bytes(), {}, "x", MAX).entries[0]
    assert {
        "scheme": "apgeography",
        "code": "2f6e294082b310048474df092526b43e",
        "name": "Kentucky",
    } in ap.extra["subjects"]
    # A picture's caption (associations) is not the story body.
    tt = parse_document((WIRE / "ninjs/3.0/tt_text_image_3.json").read_bytes(), {}, "x", MAX).entries[0]
    caption = json.loads((WIRE / "ninjs/3.0/tt_text_image_3.json").read_bytes())["associations"][0]
    caption_text = caption["descriptions"][0]["value"]
    assert caption_text[:40] not in (tt.content or "") and caption_text[:40] not in (tt.summary or "")
    assert tt.extra["urgency"] == 3 and tt.extra["withdrawn"] is False


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("feeds/rss-parser/input/many-links.rss", "xml-feed"),  # Atom in a .rss file
        ("feeds/gofeed/parser/json/version_json_11.json", "jsonfeed"),  # version "1.1", no URL
        ("wire/ninjs/3.0/20231016-event-timeline-sample.json", "ninjs"),  # a JSON array
        ("wire/newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml", "newsml-g2"),
        ("wire/newsml1/businesswire-newsml-20130605006126.xml", "newsml-1"),  # leading blank line
        ("wire/ninjs/schema/ninjs-schema_3.1.json", "json"),
    ],
)
def test_detection_reads_content_not_names(path: str, family: str):
    assert detect_family((CORPUS_DIR / path).read_bytes()) == family


def test_gzip_wire_body_and_forced_format():
    body = (WIRE / "ninjs/3.0/ntb_text.json").read_bytes()
    document = parse_document(gzip.compress(body), {}, "x", MAX)
    assert document.entries[0].title == "Google har kjøpt giganttomt i Skien"
    # A catalogue entry may force the format; forcing the wrong one is a clear error.
    assert parse_document(body, {}, "x", MAX, forced_format="ninjs").entries
    assert parse_document(body, {}, "x", MAX, forced_format="newsml-g2").error.startswith("not well-formed")


def _fixture_cases() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expect.json"))


@pytest.mark.parametrize("path", _fixture_cases(), ids=lambda p: p.name)
def test_messy_fixture(path: Path):
    """Each fixture has ``<name>.expect.json`` beside it: error substring or null,
    warnings count, and the (guid, title, pubstatus, withdrawn) of each entry."""
    expect = json.loads(path.with_name(path.name + ".expect.json").read_text(encoding="utf-8"))
    document = parse_document(path.read_bytes(), {}, "https://example.org/x", MAX)
    if expect["error"] is None:
        assert document.error is None
    else:
        assert expect["error"] in (document.error or "")
    assert len(document.warnings) == expect["warnings"], document.warnings
    assert [
        [e.guid, e.title, e.extra.get("pubstatus"), e.extra.get("withdrawn")] for e in document.entries
    ] == expect["entries"]
    for needle in expect.get("body_contains", []):
        assert any(needle in (e.content or "") for e in document.entries), needle
    for needle in expect.get("nowhere", []):
        assert all(needle not in f"{e.title}{e.summary}{e.content}" for e in document.entries), needle
