"""From fetched bytes to format-neutral entries.

The format is detected from the content (``.rss`` files that are Atom exist; so do gzip
bodies served without Content-Encoding), the document is defused (size already capped
by the fetcher; DOCTYPE/ENTITY declarations stripped, because feedparser expands a
quadratic-blowup entity into hundreds of MB), then handed to the parser for its format.
A document that cannot be parsed yields a ``ParsedDocument`` with ``error`` set — never an
exception — so one bad feed is one line in the run summary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from newswire.tasks.content_decoding import BodyTooLarge, BoundedDecoder
from newswire.tasks.dates import date_text_problem, struct_to_datetime
from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.encoding import to_utf8
from newswire.tasks.entry_cap import ENTRY_CAP_SETTING, cap_entries, cap_xml_items
from newswire.tasks.fast_feed import read_plain_feed
from newswire.tasks.formats import FORMAT_PARSERS, detect_family
from newswire.tasks.text import valid_unicode
from newswire.tasks.xml_safety import (
    UnsafeDocument,
    defuse_xml,
    replace_invalid_character_references,
    to_utf8_if_wide,
    with_utf8_charset,
)

# We turn feed HTML into plain text ourselves (tasks/text.py), so feedparser's sanitiser
# and relative-URI rewriting are work whose result we throw away.
feedparser.SANITIZE_HTML = False
feedparser.RESOLVE_RELATIVE_URIS = False

_GZIP_MAGIC = b"\x1f\x8b"
# Content families parsed as JSON: never run through the XML defusing.
_JSON_FAMILIES = frozenset({"json", "jsonfeed", "ninjs"})
# feedparser flags these but parses the document fully: a feed served as text/plain, or
# an encoding declaration the HTTP header overrides. Not worth a warning per poll.
_BENIGN_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


def maybe_gunzip(body: bytes, max_bytes: int) -> bytes:
    """Some servers send gzip bytes without Content-Encoding; undo that, within the cap
    (the fetcher's bounded decoder, so the body cap means the same thing everywhere)."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    try:
        return BoundedDecoder("gzip", max_bytes).decode(body)
    except BodyTooLarge:
        raise ValueError(f"gzip-compressed body inflates past {max_bytes:,} bytes") from None
    except ValueError:
        return body  # starts like gzip but is not: let the parser see the bytes as they are


def _checked_date(item: Any, field_name: str) -> tuple[datetime | None, str | None]:
    """feedparser's reading of a date field, unless the string as written is no date."""
    # dict.get: feedparser's own .get maps a missing updated(_parsed) onto published
    # (with a DeprecationWarning); we want what the entry says.
    raw = dict.get(item, field_name)
    problem = date_text_problem(raw if isinstance(raw, str) else None)
    if problem:
        return None, f"{field_name} {problem}"
    return struct_to_datetime(dict.get(item, f"{field_name}_parsed")), None


def _declared_type(item: Any, detail: str) -> str | None:
    value = (item.get(detail) or {}).get("type")
    return value if isinstance(value, str) else None


def _entry_from_feedparser(item: Any) -> ParsedEntry:
    content, content_type = None, None
    if item.get("content"):
        longest = max(item["content"], key=lambda c: len(c.get("value") or ""))
        content, content_type = longest.get("value") or None, longest.get("type")
    authors = [a.get("name") for a in item.get("authors", []) if a.get("name")]
    if not authors and item.get("author"):
        authors = [item["author"]]
    categories = [t.get("term") or t.get("label") for t in item.get("tags", [])]
    link = item.get("link")
    if not link:
        for candidate in item.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    source = item.get("source") or {}
    published, published_problem = _checked_date(item, "published")
    updated, updated_problem = _checked_date(item, "updated")
    return ParsedEntry(
        source_url=source.get("href") or source.get("url") or None,
        source_title=source.get("title") or None,
        guid=item.get("id") or None,
        link=link or None,
        title=item.get("title"),
        summary=item.get("summary"),
        content=content,
        title_type=_declared_type(item, "title_detail"),
        summary_type=_declared_type(item, "summary_detail"),
        content_type=content_type if isinstance(content_type, str) else None,
        published=published,
        updated=updated,
        date_problem=published_problem or updated_problem,
        authors=authors,
        categories=[c for c in categories if c],
        language=(item.get("language") or None),
    )


def parse_xml_feed(body: bytes, headers: dict[str, str], url: str) -> ParsedDocument:
    """RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF via feedparser (bytes + our response headers)."""
    # A Content-Location header (kept by the fetcher) is feedparser's base for links, with
    # xml:base applied on top; RESOLVE_RELATIVE_URIS is off, so HTML fields are not
    # rewritten (measured: +6 % on a 190 KB Atom feed, within noise). Links still
    # relative are resolved against ``ParsedDocument.base_url`` in normalise.
    parsed = feedparser.parse(body, response_headers=headers)
    version = parsed.get("version") or "unknown"
    document = ParsedDocument(
        format=version,
        title=parsed.feed.get("title"),
        link=parsed.feed.get("link"),
        language=parsed.feed.get("language"),
    )
    ttl = parsed.feed.get("ttl")
    if isinstance(ttl, str) and ttl.strip().isdigit():
        document.ttl_minutes = int(ttl.strip())
    document.entries = [_entry_from_feedparser(item) for item in parsed.entries]
    if parsed.get("bozo") and not isinstance(parsed.bozo_exception, _BENIGN_BOZO):
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
        if document.entries:
            document.warnings.append(f"feed is not well-formed, parsed leniently ({problem})")
        else:
            document.error = f"not a parseable feed ({problem})"
    elif version == "unknown" and not document.entries:
        document.error = "no RSS, Atom or RDF feed found in the document"
    return document


# Parsers by detected content family: feedparser for RSS/Atom/RDF, tasks/formats/ for
# JSON Feed, ninjs, NewsML-G2 and the JSON/XML families we recognise but do not read.
PARSERS: dict[str, Callable[[bytes, dict[str, str], str], ParsedDocument]] = {
    "xml-feed": parse_xml_feed,
    **FORMAT_PARSERS,
}


def parse_document(
    body: bytes,
    headers: dict[str, str],
    url: str,
    max_bytes: int,
    forced_format: str = "auto",
    max_entries: int = 0,
    fast_path: bool = True,
) -> ParsedDocument:
    """Parse one fetched payload; never raises for bad input. ``max_entries`` (> 0) keeps
    the first that many entries and warns about the rest (tasks/entry_cap.py); ``fast_path``:
    plain RSS 2.0, Atom 1.0 and RSS 1.0 are read by the strict lxml readers
    (tasks/fast_feed.py), the same entries faster."""
    base_url = _base_url(headers, url)
    if any(k.lower() == "content-location" for k in headers):
        # The parser resolves links against it too: give it the vetted, absolute form.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-location"}
        headers["content-location"] = base_url
    document = _parse_document(body, headers, url, max_bytes, forced_format, max_entries, fast_path)
    cap_entries(document, max_entries)
    document.base_url = base_url
    # Messages quote the document (feedparser's errors do); they are stored with the fetch.
    document.error = valid_unicode(document.error)[0] if document.error else None
    document.warnings = [valid_unicode(warning)[0] for warning in document.warnings]
    return document


def _base_url(headers: dict[str, str], url: str) -> str:
    """The URL fetched, or the Content-Location the server says the body has (RFC 9110:
    relative references in the body resolve against it)."""
    location = next((v for k, v in headers.items() if k.lower() == "content-location"), None)
    if not location or not location.strip():
        return url
    try:
        resolved = urljoin(url, location.strip())
    except ValueError:
        return url
    return resolved if urlsplit(resolved).scheme in ("http", "https") else url


def _parse_document(
    body: bytes,
    headers: dict[str, str],
    url: str,
    max_bytes: int,
    forced_format: str,
    max_entries: int,
    fast_path: bool,
) -> ParsedDocument:
    try:
        body = maybe_gunzip(body, max_bytes)
    except ValueError as error:
        return ParsedDocument(format="unknown", error=str(error))
    family = detect_family(body) if forced_format == "auto" else _family_of(forced_format)
    defused_warnings: list[str] = []
    if family not in _JSON_FAMILIES:
        body, transcoded = to_utf8_if_wide(body)
        if transcoded:
            headers = with_utf8_charset(headers)
            defused_warnings.append("UTF-16/32 document transcoded to UTF-8 before parsing")
            if forced_format == "auto":
                family = detect_family(body)
        try:
            body, defused = defuse_xml(body)
        except UnsafeDocument as error:
            return ParsedDocument(format="unknown", error=str(error))
        defused_warnings += defused
        body, replaced = replace_invalid_character_references(body)
        if replaced:
            defused_warnings.append(
                f"{replaced} character reference(s) to code points XML forbids (&#xD800; and the like) "
                "replaced by U+FFFD"
            )
    parser = PARSERS.get(family)
    if parser is None:
        snippet = body[:60].decode("utf-8", "replace").strip()
        return ParsedDocument(
            format="unknown",
            error=f"not a feed: the body does not start like XML or JSON ({snippet!r}...)",
        )
    encoding_note, capped = None, None
    try:
        if family == "xml-feed":
            decision = to_utf8(body, headers)
            body, headers, encoding_note = decision.body, decision.headers, decision.note
            capped = cap_xml_items(body, max_entries)
            body = capped.body
        document = (read_plain_feed(body, headers) if fast_path and family == "xml-feed" else None) or parser(
            body, headers, url
        )
    except Exception as error:  # a parser bug must cost one feed, not the run
        return ParsedDocument(format=family, error=f"parser failed: {type(error).__name__}: {error}")
    document.warnings.extend(defused_warnings)
    if capped is not None and capped.items_cut:
        document.warnings.append(capped.warning(ENTRY_CAP_SETTING))
        document.entries_not_read = capped.items_cut
    if encoding_note:
        document.warnings.append(f"character encoding: {encoding_note}")
    return document


def _family_of(forced_format: str) -> str:
    return {"rss": "xml-feed", "atom": "xml-feed"}.get(forced_format, forced_format)
