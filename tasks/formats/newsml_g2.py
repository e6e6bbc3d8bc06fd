"""IPTC NewsML-G2 (https://iptc.org/standards/newsml-g2/): newsItem, packageItem, and
newsMessage envelopes carrying several items.

Per item: ``@guid``, ``@version``; ``itemMeta`` (``pubStatus``, ``signal``,
``versionCreated``, ``firstCreated``, ``provider``, ``title``); ``contentMeta``
(``headline``, ``by``/``creator``, ``dateline``, ``located``, ``subject``, ``language``,
``urgency``, ``infoSource``, ``description``, ``contentCreated``); the body from
``contentSet``: ``inlineXML`` with NITF (``body.content``) or XHTML (``body``), or
``inlineData`` text. Photo/video items and metadata-only items have no body and load with
their metadata. A packageItem's summary lists the titles of the items it groups.
Bare fragments of an item (a ``contentMeta`` on its own, as in the IPTC guideline
listings) are refused with an error that says so.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lxml import etree

from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.formats.common import (
    as_int,
    parse_datetime,
    read_items,
    split_qcode,
    subject,
    wire_status,
)
from newswire.tasks.formats.nitf import nitf_body, nitf_byline
from newswire.tasks.formats.xml_tree import (
    child,
    children,
    descendants,
    local_name,
    paragraphs_html,
    parse_xml,
    text_of,
)

_ITEMS = ("newsItem", "packageItem", "conceptItem", "knowledgeItem", "planningItem")
_FRAGMENTS = ("itemMeta", "contentMeta", "contentSet")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _name_or_code(element: etree._Element | None) -> str | None:
    """A G2 concept's human name, else the code part of its qcode/literal."""
    if element is None:
        return None
    name = text_of(child(element, "name"))
    if name:
        return name
    return split_qcode(element.get("qcode"))[1] or element.get("literal") or element.get("uri")


def _subjects(item: etree._Element, content_meta: etree._Element | None) -> list[dict[str, str | None]]:
    """Subjects with their scheme and code; a subject without a name takes the one an
    ``assert`` element gives for its qcode (AP's machine-assigned subjects work this way)."""
    asserted = {node.get("qcode"): text_of(child(node, "name")) for node in children(item, "assert")}
    found = []
    for node in children(content_meta, "subject"):
        scheme, code = split_qcode(node.get("qcode"))
        if code is None and node.get("uri"):
            scheme, _, code = node.get("uri").rstrip("/").rpartition("/")
            scheme = scheme + "/" if scheme else None
        entry = subject(scheme, code, text_of(child(node, "name")) or asserted.get(node.get("qcode")))
        if entry:
            found.append(entry)
    return found


def _body(item: etree._Element) -> tuple[str | None, str | None]:
    """(body HTML, NITF byline) from the item's contentSet."""
    content_set = child(item, "contentSet")
    for inline in children(content_set, "inlineXML"):
        for root in inline:
            name = local_name(root)
            if name == "nitf":
                return nitf_body(root) or None, nitf_byline(root)
            if name == "html":
                return paragraphs_html(child(root, "body")) or None, None
        return paragraphs_html(inline) or None, None
    for inline in children(content_set, "inlineData"):
        text = inline.text or ""
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        if paragraphs:
            return "".join(f"<p>{escape(p)}</p>" for p in paragraphs), None
    return None, None


def _package_summary(item: etree._Element) -> str | None:
    lines = []
    for ref in descendants(item, "itemRef"):
        title = text_of(child(ref, "title"))
        if title:
            lines.append(title)
    return "; ".join(lines) or None


def _agency(content_meta: etree._Element | None, item_meta: etree._Element | None) -> str | None:
    source = child(content_meta, "infoSource")
    name = _name_or_code(source)
    if name and not name.startswith(("http:", "https:")):
        return name
    return _name_or_code(child(item_meta, "provider"))


def g2_entry(item: etree._Element) -> ParsedEntry:
    guid = (item.get("guid") or "").strip()
    if not guid:
        raise ValueError(f"<{local_name(item)}> has no guid")
    item_meta, content_meta = child(item, "itemMeta"), child(item, "contentMeta")
    body, nitf_by = _body(item)
    headline = text_of(child(content_meta, "headline")) or text_of(child(item_meta, "title"))
    by = text_of(child(content_meta, "by")) or nitf_by
    authors = [by] if by else [n for n in (_name_or_code(c) for c in children(content_meta, "creator")) if n]
    summary = text_of(child(content_meta, "description"))
    if local_name(item) == "packageItem":
        summary = summary or _package_summary(item)
    located = _name_or_code(child(content_meta, "located"))
    dateline = text_of(child(content_meta, "dateline"))
    language = child(content_meta, "language")
    pubstatus = child(item_meta, "pubStatus")
    subjects = _subjects(item, content_meta)
    extra: dict[str, Any] = {
        "wire_version": as_int(item.get("version")),
        "urgency": as_int(text_of(child(content_meta, "urgency"))),
        "subjects": subjects,
        "wire_agency": _agency(content_meta, item_meta),
        "dateline_place": located or (dateline.split(",", 1)[0].strip() if dateline else None),
        **wire_status(pubstatus.get("qcode") if pubstatus is not None else None),
    }
    first_created = child(item_meta, "firstCreated")
    if first_created is None:
        first_created = child(content_meta, "contentCreated")
    return ParsedEntry(
        guid=guid,
        title=headline,
        summary=f"<p>{escape(summary)}</p>" if summary else None,
        content=body,
        published=parse_datetime(text_of(first_created)),
        updated=parse_datetime(text_of(child(item_meta, "versionCreated"))),
        authors=authors,
        categories=[s["name"] for s in subjects if s["name"]],
        language=(language.get("tag") if language is not None else None) or item.get(_XML_LANG),
        extra=extra,
    )


def parse_newsml_g2(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    warnings: list[str] = []
    try:
        root = parse_xml(body, warnings)
    except etree.XMLSyntaxError as error:
        return ParsedDocument(format="newsml-g2", error=f"not well-formed XML: {error}")
    name = local_name(root)
    if name in _FRAGMENTS:
        return ParsedDocument(
            format="newsml-g2",
            error=f"a NewsML-G2 <{name}> fragment, not an item: nothing to ingest (no guid, no item)",
        )
    if name == "newsMessage":
        item_set = child(root, "itemSet")
        items = [node for node in (item_set if item_set is not None else []) if local_name(node) in _ITEMS]
        label = "newsml-g2-message"
    elif name in _ITEMS:
        items, label = [root], f"newsml-g2-{name}"
    else:
        return ParsedDocument(format="newsml-g2", error=f"<{name}> is not a NewsML-G2 item or newsMessage")
    document = ParsedDocument(format=label, language=root.get(_XML_LANG), warnings=warnings)
    return read_items(document, items, g2_entry, "NewsML-G2 item", "no newsItem or packageItem in it")
