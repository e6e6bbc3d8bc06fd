"""The parse fast path for plain RSS 1.0 (RDF) documents (tasks/fast_feed.py says what
"plain" means).

What feedparser does with an RSS 1.0 item, and so what this reader does too: the id is
the item's ``rdf:about`` as written, ``description`` is the summary (declared
text/html), ``dc:date`` is the *updated* date (feedparser maps it onto ``updated``, not
``published``), ``dc:creator`` the author, each distinct ``dc:subject`` a category.
``dc:language`` of the channel is the document's language. Anything else — other
namespaces (``content:encoded`` among them), images and text inputs with content, an
item's own language — goes to feedparser.
"""

from __future__ import annotations

from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.fast_text import UNSURE, element_text, read_date, safe_link

_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RSS_NS = "http://purl.org/rss/1.0/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
RDF = f"{{{_RDF_NS}}}RDF"
_ABOUT = f"{{{_RDF_NS}}}about"
_RESOURCE = f"{{{_RDF_NS}}}resource"
_RSS = f"{{{_RSS_NS}}}"
_DC = f"{{{_DC_NS}}}"
# Channel fields newswire reads or feedparser keeps under keys newswire never reads.
_CHANNEL_TEXT = frozenset(
    [
        f"{_RSS}title",
        f"{_RSS}link",
        f"{_RSS}description",
        f"{_DC}language",
        f"{_DC}date",
        f"{_DC}rights",
        f"{_DC}publisher",
    ]
)
_ITEM_TEXT = frozenset([f"{_RSS}title", f"{_RSS}link", f"{_RSS}description", f"{_DC}date", f"{_DC}creator"])
# How much markup each text may carry (fast_text.text_of); the rest: none.
_MARKUP = {f"{_RSS}title": "sniffed", f"{_RSS}description": "kept"}


def read(root) -> ParsedDocument | None:
    if set(root.nsmap.values()) - {_RDF_NS, _RSS_NS, _DC_NS} or root.nsmap.get(None) != _RSS_NS:
        return None
    if root.attrib or not len(root) or root[0].tag != f"{_RSS}channel":
        return None
    channel = _channel(root[0])
    if channel is None:
        return None
    document = ParsedDocument(
        format="rss10",
        title=channel.get(f"{_RSS}title"),
        link=channel.get(f"{_RSS}link"),
        language=channel.get(f"{_DC}language"),
    )
    if document.link is not None and not safe_link(document.link):
        return None
    for item in root[1:]:
        if item.tag != f"{_RSS}item":
            return None
        entry = _entry(item)
        if entry is None:
            return None
        document.entries.append(entry)
    return document


def _channel(channel) -> dict[str, str | None] | None:
    if set(channel.attrib) - {_ABOUT}:
        return None
    fields: dict[str, str | None] = {}
    for child in channel:
        if not isinstance(child.tag, str):
            return None
        if child.tag == f"{_RSS}items":
            continue  # the rdf:Seq of item resources: feedparser reads nothing from it
        if child.tag == f"{_RSS}image":
            if len(child) or child.text or set(child.attrib) - {_RESOURCE}:
                return None
            continue
        if child.tag not in _CHANNEL_TEXT or child.tag in fields:
            return None
        fields[child.tag] = element_text(child, _MARKUP.get(child.tag, "none"))
        if fields[child.tag] is UNSURE:
            return None
    return fields


def _entry(item) -> ParsedEntry | None:
    if set(item.attrib) - {_ABOUT}:
        return None
    fields: dict[str, str] = {}
    categories: list[str] = []
    for child in item:
        if not isinstance(child.tag, str):
            return None
        value = element_text(child, _MARKUP.get(child.tag, "none"))
        if value is UNSURE or value is None:
            return None
        if child.tag == f"{_DC}subject":
            if value not in categories:  # feedparser keeps each distinct tag once
                categories.append(value)
            continue
        if child.tag not in _ITEM_TEXT or child.tag in fields:
            return None
        fields[child.tag] = value
    link, title = fields.get(f"{_RSS}link"), fields.get(f"{_RSS}title")
    if link is None or not safe_link(link) or title is None:
        return None
    creator = fields.get(f"{_DC}creator")
    if creator is not None and any(c in creator for c in "@()<>"):
        return None  # feedparser splits an e-mail address off the name
    updated = None
    if f"{_DC}date" in fields:
        updated = read_date(fields[f"{_DC}date"])
        if updated is UNSURE:
            return None
    description = fields.get(f"{_RSS}description")
    return ParsedEntry(
        guid=item.get(_ABOUT) or None,
        link=link,
        title=title,
        summary=description,
        title_type="text/plain",
        summary_type="text/html" if description is not None else None,
        updated=updated,
        authors=[creator] if creator else [],
        categories=categories,
    )
