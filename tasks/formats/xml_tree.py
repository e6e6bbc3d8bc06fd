"""Navigating agency XML (NewsML-G2, NITF): parse with the hardened parser (no network, no
entity expansion, no DTD loading, no huge-tree mode; tasks/xml_safety.py), then find
elements by local name and turn them into text or paragraphs.

parse.py removes DOCTYPE/ENTITY declarations (``defuse_xml``) before any parser runs; the
parser itself (``hardened_parser``) is the second lock on the same door.
The declared encoding is honoured: bytes go to lxml untouched (one corpus file is
ISO-8859-1).
"""

from __future__ import annotations

import re
from html import escape

from lxml import etree

from newswire.tasks.xml_safety import hardened_parser

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_xml(data: bytes | str, warnings: list[str] | None = None) -> etree._Element:
    """The root element; raises ``etree.XMLSyntaxError`` on malformed input.

    One exception: references to entities that are not defined (NITF and XHTML bodies use
    ``&nbsp;`` and friends from DTDs we never load, and parse.py strips any internal
    DTD) are dropped with a warning instead of losing the item. Truncated or otherwise
    broken documents still fail."""
    if isinstance(data, str):
        # lxml refuses str input that carries an encoding declaration.
        data = _XML_DECLARATION.sub("", data, count=1)
    try:
        return etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as error:
        if "not defined" not in str(error) or warnings is None:
            raise
        root = etree.fromstring(data, parser=hardened_parser(recover=True))
        if root is None:
            raise
        for reference in list(root.iter(etree.Entity)):
            _remove_keeping_tail(reference)
        warnings.append(f"undefined entity references dropped ({error})")
        return root


def _remove_keeping_tail(node: etree._Element) -> None:
    parent, tail = node.getparent(), node.tail or ""
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(node)


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Direct children with this local name, whatever their namespace."""
    if element is None:
        return []
    return [child for child in element if local_name(child) == name]


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    found = children(element, name)
    return found[0] if found else None


def descendants(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [node for node in element.iter() if local_name(node) == name]


def text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


# Block elements of NITF and XHTML bodies that hold a paragraph of story text.
_PARAGRAPHS = {"p", "hl2", "li", "blockquote", "pre", "h1", "h2", "h3", "h4"}


def paragraphs_html(container: etree._Element | None) -> str:
    """The story text of an NITF/XHTML container as simple ``<p>`` HTML."""
    if container is None:
        return ""
    parts = []
    for node in container.iter():
        if local_name(node) in _PARAGRAPHS and not any(
            local_name(a) in _PARAGRAPHS for a in node.iterancestors()
        ):
            text = text_of(node)
            if text:
                parts.append(f"<p>{escape(text)}</p>")
    if not parts:
        text = text_of(container)
        return f"<p>{escape(text)}</p>" if text else ""
    return "".join(parts)
