"""Which parser a body needs, from its content: never from the file extension or the
Content-Type alone (the corpus has ``.rss`` files that are Atom, JSON Feeds that write
their version as "1.1", and servers label everything text/xml).

Families: ``jsonfeed``, ``ninjs`` (one object or a JSON array of them), ``newsml-g2``
(newsItem, packageItem, newsMessage, and bare G2 fragments the parser rejects by name),
``newsml-1`` (recognised so it can be refused clearly), ``json`` (JSON of no known kind),
``xml-feed`` (RSS/Atom/RDF, for feedparser) and ``unknown``.
"""

from __future__ import annotations

import json
import re
from typing import Any

_BOMS_AND_SPACE = b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"
# The first element of an XML document, after the declaration, comments, PIs and DOCTYPE.
_ROOT_ELEMENT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_G2_ROOTS = {
    b"newsItem",
    b"packageItem",
    b"newsMessage",
    b"conceptItem",
    b"knowledgeItem",
    b"planningItem",
    # Fragments of an item (guideline listings): recognised so the error can say so.
    b"itemMeta",
    b"contentMeta",
    b"contentSet",
}
# Keys only a ninjs document has (1.x lower case, 3.x camelCase).
_NINJS_MARKERS = {
    "headline",
    "headlines",
    "versioncreated",
    "versionCreated",
    "firstcreated",
    "firstCreated",
    "pubstatus",
    "pubStatus",
    "body_text",
    "body_html",
    "body_xhtml",
    "bodies",
    "byline",
    "by",
    "renditions",
    "associations",
    "eventDetails",
    "title",
    "type",
}


def detect_family(body: bytes) -> str:
    head = body[:4096].lstrip(_BOMS_AND_SPACE)
    if head.startswith((b"{", b"[")):
        return _json_family(body)
    if head.startswith(b"<"):
        root = _ROOT_ELEMENT.search(_skip_comments(body[:65536]))
        if root:
            name = root.group(1)
            if name in _G2_ROOTS:
                return "newsml-g2"
            if name == b"NewsML":
                return "newsml-1"
        return "xml-feed"
    if b"<rss" in head or b"<feed" in head or b"<rdf" in head or b"\x00" in head[:8]:
        # UTF-16/32 bodies: feedparser handles BOMs and wide encodings.
        return "xml-feed"
    return "unknown"


def _skip_comments(head: bytes) -> bytes:
    return re.sub(rb"<!--.*?-->", b"", head, flags=re.DOTALL)


def _json_family(body: bytes) -> str:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return "json"  # the JSON parser reports where it broke
    return json_family(document)


def json_family(document: Any) -> str:
    if isinstance(document, list):
        objects = [item for item in document if isinstance(item, dict)]
        # A timeline/collection; one broken item must not turn the file into "unknown JSON".
        return "ninjs" if any(looks_like_ninjs(item) for item in objects) else "json"
    if not isinstance(document, dict):
        return "json"
    version = document.get("version")
    if isinstance(version, str) and "jsonfeed.org" in version:
        return "jsonfeed"
    if isinstance(document.get("items"), list) and (
        version in ("1", "1.0", "1.1") or "home_page_url" in document or "feed_url" in document
    ):
        return "jsonfeed"
    if looks_like_ninjs(document):
        return "ninjs"
    return "json"


def looks_like_ninjs(document: dict) -> bool:
    """ninjs requires `uri` (1.x-3.x); a JSON Schema has `$schema` and `properties`."""
    if "$schema" in document and "properties" in document:
        return False
    return isinstance(document.get("uri"), str) and bool(_NINJS_MARKERS & set(document))
