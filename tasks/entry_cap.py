"""A cap on entries per document, applied before the parser builds them.

feedparser turns every item into a dictionary of dictionaries (~10 KB of Python objects
for a 50-byte item): a 10 MB feed of 200,000 tiny items cost 2.8 GB. The body cap
(``NEWSWIRE_FETCH_MAX_BODY_BYTES``) bounds the bytes, not the items, so the document is
cut after its first ``max_entries`` items before parsing (feeds list newest first, so the
newest are kept), closed with the end tags of the elements still open, and the cut is
reported as a warning. Anything after the cap is not read this poll; an unchanged body
is not parsed again, so a feed that never shrinks below the cap has its tail read only by
raising ``NEWSWIRE_MAX_ENTRIES_PER_FEED``.

Finding the cut with expat (which knows CDATA and comments from markup) costs a pass over
the bytes up to the cut only; an ill-formed document is cut at the item start tag found
by a byte search instead, and feedparser's lenient mode reads the truncated text.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass
from itertools import islice

from newswire.tasks.documents import ParsedDocument

ENTRY_CAP_SETTING = "NEWSWIRE_MAX_ENTRIES_PER_FEED"

# An item or entry start tag, any namespace prefix (<item>, <rss:item ...>, <entry>, <atom:entry/>).
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_ITEM_NAMES = frozenset({"item", "entry"})
# Where items live: RSS 0.9x/2.0 <channel>, RSS 1.0 <rdf:RDF>, Atom <feed>; some RSS
# put items directly under <rss>.
_ITEM_PARENTS = frozenset({"channel", "RDF", "feed", "rss"})


@dataclass(frozen=True)
class CappedBody:
    """The document to parse, and how many items the cap left out (0: nothing cut)."""

    body: bytes
    items_seen: int
    items_kept: int

    @property
    def items_cut(self) -> int:
        return self.items_seen - self.items_kept

    def warning(self, setting: str) -> str:
        return (
            f"{self.items_seen:,} entries in the document; only the first {self.items_kept:,} "
            f"were read ({setting}={self.items_kept}); the rest are not stored this poll"
        )


def cap_xml_items(body: bytes, max_entries: int) -> CappedBody:
    """``body`` cut after its first ``max_entries`` items, closed so it stays well-formed.
    Cheap when under the cap (one byte search); 0 or less means no cap."""
    if max_entries <= 0:
        return CappedBody(body, 0, 0)
    starts = sum(1 for _ in _ITEM_START.finditer(body))
    if starts <= max_entries:
        return CappedBody(body, starts, starts)
    walked = _expat_walk(body, max_entries)
    if isinstance(walked, int):  # fewer real items than start-tag look-alikes (CDATA)
        return CappedBody(body, walked, walked)
    if walked is None:
        offset, closing = next(islice(_ITEM_START.finditer(body), max_entries, None)).start(), b""
    else:
        offset, closing = walked
    return CappedBody(body[:offset] + closing, starts, max_entries)


class _Found(Exception):
    pass


def _expat_walk(body: bytes, max_entries: int) -> tuple[int, bytes] | int | None:
    """(byte offset of item number ``max_entries + 1``, end tags closing what is open
    there); the number of items when the document has no more than ``max_entries``; None
    when expat cannot read that far (ill-formed)."""
    parser = xml.parsers.expat.ParserCreate()
    open_names: list[str] = []
    items = 0
    found: list[tuple[int, bytes]] = []

    def start(name: str, _attributes) -> None:
        nonlocal items
        parent = open_names[-1].rsplit(":", 1)[-1] if open_names else None
        if name.rsplit(":", 1)[-1] in _ITEM_NAMES and parent in _ITEM_PARENTS:
            items += 1
            if items > max_entries:
                closing = "".join(f"</{open_name}>" for open_name in reversed(open_names))
                found.append((parser.CurrentByteIndex, closing.encode()))
                raise _Found
        open_names.append(name)

    def end(_name: str) -> None:
        open_names.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(body, True)
    except _Found:
        return found[0]
    except (xml.parsers.expat.ExpatError, ValueError, LookupError):
        return None
    return items


def cap_entries(document: ParsedDocument, max_entries: int) -> None:
    """The same cap on a parsed document (JSON Feed, ninjs and the wire formats are parsed
    whole, then cut), with the same warning; counted in ``entries_not_read``."""
    if max_entries > 0 and len(document.entries) > max_entries:
        seen = len(document.entries)
        del document.entries[max_entries:]
        document.entries_not_read += seen - max_entries
        document.warnings.append(CappedBody(b"", seen, max_entries).warning(ENTRY_CAP_SETTING))
