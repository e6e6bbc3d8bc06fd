"""A strict lxml reader for the plainest RSS 2.0 documents, the parse fast path.

feedparser reads anything (ill-formed XML, a dozen RSS and Atom dialects, HTML
sniffing) and costs ~170 µs per entry; lxml parses the same bytes ~18x faster
(benchmarks/ingest.py, STACK-NOTES.md). Most feeds a desk polls are plain RSS 2.0, so
this reader takes those and gives up on everything else: ``read_plain_rss`` returns
``None`` whenever it is not sure it would produce exactly what ``parse_xml_feed``
(feedparser) produces, and the caller falls back to feedparser. "Sure" is narrow on
purpose:

- well-formed UTF-8 XML (``parse_document`` has already transcoded and defused it),
  root ``<rss version="2.0">`` with no namespaces, no ``xml:`` attributes anywhere;
- channel and item children only from short known lists, item fields without
  attributes or child elements, none repeated but ``category``;
- text fields without markup or entities to interpret (no ``<`` or ``&`` after XML
  parsing), without surrounding whitespace, links absolute http(s) URLs without dot
  segments (feedparser resolves and cleans those);
- dates read by feedparser's own date parser, so they are the same instant.

``tests/test_fast_feed.py`` checks it against feedparser on every corpus feed and on the
benchmark's generated feeds. ``NEWSWIRE_FAST_PARSE=false`` turns it off.
"""

from __future__ import annotations

import re

from feedparser.datetimes import _parse_date
from lxml import etree

from newswire.tasks.dates import date_text_problem, struct_to_datetime
from newswire.tasks.documents import ParsedDocument, ParsedEntry

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
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_PLAIN_TEXT = re.compile(r"[<&\r]")
_UNSAFE_LINK = re.compile(r"\s|/\.\.?(?:/|$)|[^\x21-\x7e]")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_plain_rss(body: bytes, headers: dict[str, str]) -> ParsedDocument | None:
    """The document as ``parse_xml_feed`` would read it, or None: not sure, use feedparser."""
    if not _utf8(body, headers):
        return None
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.tag != "rss" or dict(root.attrib) != {"version": "2.0"} or root.nsmap:
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
        fields[child.tag] = _text(child)
        if fields[child.tag] is _UNSURE:
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
    if document.link is not None and not _safe_link(document.link):
        return None
    ttl = fields.get("ttl")
    if ttl is not None and ttl.isdigit():
        document.ttl_minutes = int(ttl)
    document.entries = entries
    return document


_UNSURE = "\x00unsure"


def _utf8(body: bytes, headers: dict[str, str]) -> bool:
    declared = _DECLARATION.match(body[:200])
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    charset = re.search(r"charset\s*=\s*[\"']?([\w.-]+)", content_type, re.I)
    return charset is None or charset.group(1).lower() in ("utf-8", "utf8")


def _text(element) -> str | None:
    """The element's text if plain (no markup, entities or surrounding space), None when
    empty, ``_UNSURE`` otherwise."""
    text = element.text
    if not text:
        return None
    if _PLAIN_TEXT.search(text) or text != text.strip():
        return _UNSURE
    return text


def _safe_link(link: str) -> bool:
    return link.startswith(("http://", "https://")) and not _UNSAFE_LINK.search(link)


def _entry(item) -> ParsedEntry | None:
    if item.attrib:
        return None
    fields: dict[str, str | None] = {}
    categories: list[str] = []
    for child in item:
        if not isinstance(child.tag, str) or child.tag not in _ITEM_FIELDS or child.attrib or len(child):
            return None
        value = _text(child)
        if value is _UNSURE:
            return None
        if child.tag == "category":
            if value is None:
                return None
            categories.append(value)
            continue
        if child.tag in fields or value is None:
            return None
        fields[child.tag] = value
    link = fields.get("link")
    if link is None or not _safe_link(link) or "title" not in fields:
        return None
    published = None
    if "pubDate" in fields:
        if date_text_problem(fields["pubDate"]):
            return None  # an unbelievable date: feedparser's path flags it
        published = struct_to_datetime(_parse_date(fields["pubDate"]))
        if published is None:
            return None  # feedparser's reading of an odd date is feedparser's business
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
