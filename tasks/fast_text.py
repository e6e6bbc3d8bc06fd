"""What the strict feed readers (tasks/fast_feed.py, fast_atom.py, fast_rdf.py) share:
when a text, a link or a date reads the same in lxml as in feedparser, and when a body is
plain enough to try at all.

feedparser post-processes every text it stores (mixin.pop): it strips it, resolves
link-like fields against the document's base, decodes entities in embedded markup, maps
C1 control characters to their cp1252 letters and "repairs" UTF-8 that looks as if it
had been decoded as Latin-1. A strict reader takes a text only when none of that can
change it; anything else is ``UNSURE`` and the document goes to feedparser.
"""

from __future__ import annotations

import re

from feedparser.datetimes import _parse_date
from lxml import etree

from newswire.tasks.dates import date_text_problem, struct_to_datetime
from newswire.tasks.encoding import declared_encodings

# Characters feedparser rewrites (C1 controls become cp1252 letters) or that a strict
# reader does not compare (carriage returns).
_REWRITTEN = re.compile(r"[\r\x80-\x9f]")
_MARKUP = re.compile(r"[<&]")
# What feedparser's looks_like_html needs before it retypes an RSS "plain" text as HTML.
_LOOKS_LIKE_HTML = re.compile(r"</\w+>|&#?\w+;")
_UNSAFE_LINK = re.compile(r"\s|/\.\.?(?:/|$)|[^\x21-\x7e]|^[a-z]+:///")
# A URI with a scheme feedparser's link resolution leaves as it is ("urn:", "tag:").
_OPAQUE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$")
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
UNSURE = "\x00unsure"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def plain_utf8(body: bytes, headers: dict[str, str]) -> bool:
    """UTF-8 by declaration and header (tasks/encoding.py reads both, as the slow path
    does), and no Content-Location: feedparser resolves links and ids against it, which a
    strict reader does not attempt."""
    if any(k.lower() == "content-location" for k in headers):
        return False
    return all(
        label is None or label.lower() in ("utf-8", "utf8") for label in declared_encodings(body, headers)
    )


def parse_xml(body: bytes):
    """The root element, or None when the bytes are not well-formed XML."""
    try:
        return etree.fromstring(body, PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def text_of(element, markup: str = "none") -> str | None:
    """The element's text as feedparser stores it (stripped), None when empty, ``UNSURE``
    when feedparser might store something else: characters it rewrites, a text of only
    whitespace (it keeps ""), and, by ``markup``:

    - ``"none"``: no ``<`` or ``&`` at all (links, ids, dates, categories);
    - ``"sniffed"``: an RSS text declared plain (titles) that does not look like HTML to
      feedparser (a closing tag or an entity reference: it would retype it text/html);
    - ``"kept"``: taken as it is (HTML-typed fields, Atom texts: feedparser keeps them)."""
    text = element.text
    if not text:
        return None
    if _REWRITTEN.search(text) or _latin1_mojibake(text):
        return UNSURE
    if markup == "none" and _MARKUP.search(text):
        return UNSURE
    if markup == "sniffed" and _LOOKS_LIKE_HTML.search(text):
        return UNSURE
    return text.strip() or UNSURE


def _latin1_mojibake(text: str) -> bool:
    """feedparser re-decodes a text whose characters are all Latin-1 as UTF-8 when it can
    ("Ã©" becomes "é"): such a text would not read the same."""
    if text.isascii():
        return False
    try:
        text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def safe_link(link: str) -> bool:
    """An absolute http(s) URL that feedparser's resolution leaves unchanged."""
    return link.startswith(("http://", "https://")) and not _UNSAFE_LINK.search(link)


def safe_id(value: str) -> bool:
    """An id feedparser's link resolution leaves unchanged: a safe link or an opaque URI."""
    return safe_link(value) or (not value.startswith(("http:", "https:")) and bool(_OPAQUE_ID.match(value)))


def element_text(element, markup: str = "none"):
    """``text_of`` for a leaf element without attributes, else ``UNSURE``."""
    if element.attrib or len(element):
        return UNSURE
    return text_of(element, markup)


def read_date(text: str):
    """feedparser's reading of a date, or ``UNSURE`` (an unbelievable or odd date is
    feedparser's business: its path flags it)."""
    if date_text_problem(text):
        return UNSURE
    value = struct_to_datetime(_parse_date(text))
    return UNSURE if value is None else value
