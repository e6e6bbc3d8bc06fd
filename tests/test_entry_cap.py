"""The per-document entry cap (tasks/entry_cap.py): the document is cut before parsing,
stays parseable, and the cut is reported."""

from __future__ import annotations

import json
import xml.parsers.expat

from newswire.tasks.entry_cap import cap_xml_items
from newswire.tasks.parse import parse_document

MAX = 10 * 1024 * 1024


def _rss(items: int, extra: str = "") -> bytes:
    body = "".join(f"<item><title>Item {i}</title><guid>g{i}</guid></item>" for i in range(items))
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    return f"{head}{extra}{body}</channel></rss>".encode()


def _well_formed(body: bytes) -> bool:
    try:
        xml.parsers.expat.ParserCreate().Parse(body, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def test_a_document_over_the_cap_is_cut_and_closed_before_parsing():
    capped = cap_xml_items(_rss(50), 10)
    assert (capped.items_seen, capped.items_kept, capped.items_cut) == (50, 10, 40)
    assert capped.body.endswith(b"</item></channel></rss>") and _well_formed(capped.body)
    document = parse_document(_rss(50), {}, "http://x/", MAX, max_entries=10)
    assert [e.guid for e in document.entries] == [f"g{i}" for i in range(10)]
    assert document.entries_not_read == 40
    assert any("50 entries in the document; only the first 10 were read" in w for w in document.warnings)
    assert "NEWSWIRE_MAX_ENTRIES_PER_FEED" in " ".join(document.warnings)


def test_under_the_cap_or_without_one_nothing_changes():
    body = _rss(10)
    assert cap_xml_items(body, 10).body is body and cap_xml_items(body, 0).body is body
    document = parse_document(body, {}, "http://x/", MAX, max_entries=10)
    assert len(document.entries) == 10 and document.entries_not_read == 0 and not document.warnings


def test_atom_with_a_prefix_and_rss_1_0_are_cut_at_their_entries():
    entries = "".join(f"<a:entry><a:id>urn:{i}</a:id><a:title>E{i}</a:title></a:entry>" for i in range(6))
    atom = f'<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>T</a:title>{entries}</a:feed>'.encode()
    capped = cap_xml_items(atom, 2)
    assert (
        capped.items_cut == 4 and capped.body.endswith(b"</a:entry></a:feed>") and _well_formed(capped.body)
    )
    assert [e.guid for e in parse_document(atom, {}, "http://x/", MAX, max_entries=2).entries] == [
        "urn:0",
        "urn:1",
    ]
    items = "".join(
        f'<item rdf:about="http://x/{i}"><title>I{i}</title><link>http://x/{i}</link></item>'
        for i in range(5)
    )
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
        f'<channel rdf:about="http://x/"><title>T</title></channel>{items}</rdf:RDF>'
    ).encode()
    document = parse_document(rdf, {}, "http://x/", MAX, max_entries=3)
    assert [e.link for e in document.entries] == ["http://x/0", "http://x/1", "http://x/2"]


def test_item_tags_inside_cdata_are_not_entries():
    body = _rss(
        3, extra="<description><![CDATA[<item>a</item><item>b</item><entry>c</entry>]]></description>"
    )
    capped = cap_xml_items(body, 3)
    assert capped.body is body and capped.items_cut == 0


def test_an_ill_formed_document_is_cut_at_the_start_tag_and_read_leniently():
    body = _rss(20).replace(b"<title>Item 3</title>", b"<title>Item 3 & broken</title>")
    document = parse_document(body, {}, "http://x/", MAX, max_entries=5)
    assert len(document.entries) == 5 and document.entries_not_read == 15


def test_json_feed_entries_are_capped_after_parsing():
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "items": [{"id": str(i), "url": f"https://x.org/{i}", "title": f"T{i}"} for i in range(30)],
    }
    document = parse_document(json.dumps(feed).encode(), {}, "https://x.org/feed.json", MAX, max_entries=7)
    assert len(document.entries) == 7 and document.entries_not_read == 23
    assert any("30 entries in the document; only the first 7 were read" in w for w in document.warnings)
