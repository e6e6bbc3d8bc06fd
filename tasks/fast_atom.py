"""The parse fast path for plain Atom 1.0 (tasks/fast_feed.py says what "plain" means).

What feedparser does with an Atom entry, and so what this reader must do the same way or
refuse (feedparser/namespaces/_base.py):

- ``link`` is the href of an alternate link of an HTML type, else the id; more than one
  alternate link, or one of another type, is refused;
- ``id`` is resolved like a link: only absolute http(s) links and opaque URIs
  (``urn:``, ``tag:``) are taken as they are;
- ``summary`` is copied from a text or HTML ``content`` when the entry has no summary
  (its declared type then stays unset); a summary *after* the content is refused;
- ``title``/``summary``/``content`` types: ``text`` (the default) is text/plain,
  ``html`` text/html; ``xhtml`` (inline markup) and ``src`` content are refused;
- the feed's ``xml:lang`` is the document's language; entries get none.
"""

from __future__ import annotations

from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.fast_text import UNSURE, XML_NS, element_text, read_date, safe_id, safe_link, text_of

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = f"{ATOM}feed"
_TYPES = {None: "text/plain", "text": "text/plain", "html": "text/html"}
# Feed children that feed the document record or that newswire never reads.
_FEED_FIELDS = frozenset(
    f"{ATOM}{name}"
    for name in (
        "title",
        "subtitle",
        "link",
        "id",
        "updated",
        "author",
        "rights",
        "generator",
        "icon",
        "logo",
    )
)
_LINK_ATTRIBUTES = frozenset({"rel", "type", "href", "hreflang", "title", "length"})
_AUTHOR_FIELDS = frozenset(f"{ATOM}{name}" for name in ("name", "email", "uri"))


def read(root) -> ParsedDocument | None:
    if root.nsmap != {None: ATOM[1:-1]} or set(root.attrib) - {f"{XML_NS}lang"}:
        return None
    document = ParsedDocument(format="atom10", language=root.get(f"{XML_NS}lang") or None)
    seen: set[str] = set()
    links: list[str] = []
    for child in root:
        if not isinstance(child.tag, str):
            return None
        if child.tag == f"{ATOM}entry":
            entry = _entry(child)
            if entry is None:
                return None
            document.entries.append(entry)
            continue
        if child.tag not in _FEED_FIELDS or document.entries:  # the feed's fields come first
            return None
        if child.tag == f"{ATOM}link":
            link = _alternate(child)
            if link is UNSURE:
                return None
            links += [link] if link else []
        elif child.tag == f"{ATOM}author":
            if _author(child) is UNSURE:
                return None
        elif child.tag == f"{ATOM}title":
            if child.tag in seen:
                return None
            title = _text_construct(child)
            if title is UNSURE:
                return None
            document.title = title[0]
        elif child.tag == f"{ATOM}generator":  # its attributes are kept apart
            if len(child) or text_of(child) is UNSURE:
                return None
        elif element_text(child) is UNSURE:
            return None
        seen.add(child.tag)
    if len(links) > 1:
        return None
    document.link = links[0] if links else None
    return document


def _text_construct(element):
    """(text, declared type) of an Atom text construct, or ``UNSURE`` (an empty one too:
    feedparser keeps "" where this reader would say None)."""
    if len(element) or set(element.attrib) - {"type"}:
        return UNSURE
    declared = _TYPES.get(element.get("type"), UNSURE)
    text = text_of(element, "kept")  # feedparser sniffs no Atom text for markup
    if declared is UNSURE or text is UNSURE or text is None:
        return UNSURE
    return text, declared


def _alternate(link):
    """The href of an alternate HTML link, "" for another kind of link, ``UNSURE`` for a
    link feedparser might read otherwise."""
    if len(link) or link.text or set(link.attrib) - _LINK_ATTRIBUTES:
        return UNSURE
    href = link.get("href")
    if not href or not safe_link(href):
        return UNSURE
    if link.get("rel", "alternate") != "alternate":
        return ""
    return href if link.get("type", "text/html") == "text/html" else UNSURE


def _author(author):
    """The author's name, or ``UNSURE`` (no name, or more than name, email and uri)."""
    if author.attrib or (author.text and author.text.strip()):
        return UNSURE
    name = None
    seen = set()
    for child in author:
        if not isinstance(child.tag, str) or child.tag not in _AUTHOR_FIELDS or child.tag in seen:
            return UNSURE
        seen.add(child.tag)
        value = element_text(child)
        if value is UNSURE or value is None:
            return UNSURE
        if child.tag == f"{ATOM}name":
            name = value
    return name if name is not None else UNSURE


def _entry(element) -> ParsedEntry | None:
    if element.attrib or (element.text and element.text.strip()):
        return None
    entry = ParsedEntry()
    links: list[str] = []
    seen: set = set()
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else None
        if tag is None or not tag.startswith(ATOM) or (child.tail and child.tail.strip()):
            return None
        name = tag[len(ATOM) :]
        if name in seen and name not in ("link", "author", "category"):
            return None
        seen.add(name)
        if not _field(entry, name, child, links, seen):
            return None
    if len(links) > 1:
        return None
    # Without an alternate link feedparser takes the id for the link (an Atom id is a
    # permalink to it, as an RSS guid without isPermaLink="false").
    entry.link = links[0] if links else entry.guid
    if (
        entry.summary is None
        and entry.content is not None
        and entry.content_type in ("text/plain", "text/html")
    ):
        entry.summary = entry.content  # feedparser copies it; summary_detail stays unset
    return entry


def _field(entry: ParsedEntry, name: str, child, links: list[str], seen: set) -> bool:
    """Read one entry child into ``entry``; False when not sure. ``seen`` holds the names
    of the fields read so far and the (term, scheme, label) of each category."""
    if name == "link":
        link = _alternate(child)
        if link is UNSURE:
            return False
        links += [link] if link else []
    elif name == "author":
        author = _author(child)
        if author is UNSURE:
            return False
        entry.authors.append(author)
    elif name == "category":
        if len(child) or child.text or set(child.attrib) - {"term", "scheme", "label"}:
            return False
        tag = (child.get("term"), child.get("scheme"), child.get("label"))
        if tag not in seen and (tag[0] or tag[2]):  # feedparser keeps each distinct tag once
            seen.add(tag)
            entry.categories.append(tag[0] or tag[2])
    elif name in ("title", "summary", "content"):
        if name == "summary" and "content" in seen:
            return False  # feedparser's copy of the content would be overwritten
        if name == "content" and child.get("src") is not None:
            return False
        construct = _text_construct(child)
        if construct is UNSURE:
            return False
        setattr(entry, name, construct[0])
        setattr(entry, f"{name}_type", construct[1])
    elif name in ("published", "updated"):
        text = element_text(child)
        value = UNSURE if text is UNSURE or text is None else read_date(text)
        if value is UNSURE:
            return False
        setattr(entry, name, value)
    elif name == "id":
        value = element_text(child)
        if value is UNSURE or value is None or not safe_id(value):
            return False
        entry.guid = value
    elif name == "rights":
        return _text_construct(child) is not UNSURE
    else:
        return False
    return True
