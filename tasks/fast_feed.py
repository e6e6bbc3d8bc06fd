"""Strict lxml readers for the plainest RSS 2.0, Atom 1.0 and RSS 1.0 (RDF) documents,
the parse fast path.

feedparser reads anything (ill-formed XML, a dozen RSS and Atom dialects, HTML
sniffing) and costs ~170 µs per entry; lxml parses the same bytes ~18x faster
(benchmarks/ingest.py, STACK-NOTES.md). Most feeds a desk polls are plain, so
``read_plain_feed`` takes those and gives up on everything else: it returns ``None``
whenever it is not sure it would produce exactly what ``parse_xml_feed`` (feedparser)
produces, and the caller falls back to feedparser. "Sure" is narrow on purpose:

- well-formed UTF-8 XML (``parse_document`` has already transcoded and defused it), no
  Content-Location header (feedparser resolves against it);
- the root is ``<rss version="2.0">`` with no namespaces (this module), an Atom 1.0
  ``<feed>`` (tasks/fast_atom.py) or an RSS 1.0 ``<rdf:RDF>`` (tasks/fast_rdf.py), with
  children only from short known lists, fields without unexpected attributes or child
  elements, none repeated but categories (and Atom authors and non-alternate links);
- texts feedparser stores as they are (stripped): HTML-typed fields with their markup,
  plain ones without markup feedparser would retype as HTML, none with characters it
  rewrites (tasks/fast_text.py); links absolute http(s) URLs without dot segments
  (feedparser resolves and cleans those);
- dates read by feedparser's own date parser, so they are the same instant.

``tests/test_fast_feed.py`` checks it against feedparser on every corpus feed and on the
benchmark's generated feeds in all three formats. ``NEWSWIRE_FAST_PARSE=false`` turns it
off.
"""

from __future__ import annotations

from newswire.tasks import fast_atom, fast_rdf
from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.fast_text import UNSURE, parse_xml, plain_utf8, read_date, safe_link, text_of

# Channel children that either feed the document record or that feedparser only stores
# under keys newswire never reads.
_CHANNEL_FIELDS = frozenset(
    {
        "title",
        "link",
        "description",
        "language",
        "ttl",
        "item",
        "lastBuildDate",
        "pubDate",
        "generator",
        "docs",
        "copyright",
        "managingEditor",
        "webMaster",
    }
)
_ITEM_FIELDS = frozenset({"title", "link", "guid", "pubDate", "description", "category"})
# How much markup each text may carry (fast_text.text_of); the rest: none.
_MARKUP = {"title": "sniffed", "description": "kept"}


def read_plain_feed(body: bytes, headers: dict[str, str]) -> ParsedDocument | None:
    """The document as ``parse_xml_feed`` would read it, or None: not sure, use feedparser."""
    if not plain_utf8(body, headers):
        return None
    root = parse_xml(body)
    if root is None:
        return None
    if root.tag == "rss":
        return _rss(root)
    if root.tag == fast_atom.FEED:
        return fast_atom.read(root)
    if root.tag == fast_rdf.RDF:
        return fast_rdf.read(root)
    return None


def read_plain_rss(body: bytes, headers: dict[str, str]) -> ParsedDocument | None:
    """``read_plain_feed`` for plain RSS 2.0 only (None for any other format)."""
    if not plain_utf8(body, headers):
        return None
    root = parse_xml(body)
    return _rss(root) if root is not None and root.tag == "rss" else None


def _rss(root) -> ParsedDocument | None:
    if dict(root.attrib) != {"version": "2.0"} or root.nsmap:
        return None
    channels = list(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
        return None
    channel = channels[0]
    fields: dict[str, str | None] = {}
    items = []
    for child in channel:
        if not isinstance(child.tag, str) or child.tag not in _CHANNEL_FIELDS:
            return None
        if child.tag == "item":
            items.append(child)
            continue
        if child.tag in fields or child.attrib or len(child):
            return None
        fields[child.tag] = text_of(child, _MARKUP.get(child.tag, "none"))
        if fields[child.tag] is UNSURE:
            return None
    entries = []
    for item in items:
        entry = _entry(item)
        if entry is None:
            return None
        entries.append(entry)
    document = ParsedDocument(
        format="rss20", title=fields.get("title"), link=fields.get("link"), language=fields.get("language")
    )
    if document.link is not None and not safe_link(document.link):
        return None
    ttl = fields.get("ttl")
    if ttl is not None and ttl.isdigit():
        document.ttl_minutes = int(ttl)
    document.entries = entries
    return document


def _entry(item) -> ParsedEntry | None:
    if item.attrib:
        return None
    fields: dict[str, str | None] = {}
    categories: list[str] = []
    for child in item:
        if not isinstance(child.tag, str) or child.tag not in _ITEM_FIELDS or child.attrib or len(child):
            return None
        value = text_of(child, _MARKUP.get(child.tag, "none"))
        if value is UNSURE:
            return None
        if child.tag == "category":
            if value is None:
                return None
            if value not in categories:  # feedparser keeps each distinct tag once
                categories.append(value)
            continue
        if child.tag in fields or value is None:
            return None
        fields[child.tag] = value
    link = fields.get("link")
    if link is None or not safe_link(link) or "title" not in fields:
        return None
    published = None
    if "pubDate" in fields:
        published = read_date(fields["pubDate"])
        if published is UNSURE:
            return None
    return ParsedEntry(
        guid=fields.get("guid"),
        link=link,
        title=fields["title"],
        summary=fields.get("description"),
        title_type="text/plain",
        summary_type="text/html" if "description" in fields else None,
        published=published,
        categories=categories,
    )
