"""The parsed-document records: what every parser (tasks/parse.py for RSS/Atom/RDF,
tasks/formats/ for JSON Feed, ninjs and NewsML-G2, tasks/sitemap.py for article pages)
returns and the normaliser reads. Their own module, so the parsers and the registry that
picks between them import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ParsedEntry:
    """One entry as the document states it; cleaning happens in normalise."""

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    language: str | None = None
    # What the document declares the title/summary/content to be (Atom ``type``, JSON
    # Feed ``content_text`` vs ``content_html``): ``text/plain`` means angle brackets are
    # text. None: not declared, markup is sniffed.
    title_type: str | None = None
    summary_type: str | None = None
    content_type: str | None = None
    # Set when the document states a date that cannot be believed as written (month 13,
    # a signed year, an offset of +9999; tasks/dates.py): ``published``/``updated`` are
    # then None and the normaliser flags the entry ``invalid`` instead of ``missing``.
    date_problem: str | None = None
    # The original publisher an aggregator names (RSS <source url="...">Reuters</source>,
    # Atom <source>): the outlet that really carried the story.
    source_url: str | None = None
    source_title: str | None = None
    # Format-specific fields (wire version, urgency, pubstatus, subjects...) that the
    # normaliser maps onto the shared schema.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    format: str
    title: str | None = None
    link: str | None = None
    language: str | None = None
    entries: list[ParsedEntry] = field(default_factory=list)
    # Caching hint some RSS feeds give (<ttl> minutes); the poll scheduler may use it.
    ttl_minutes: int | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    # What relative links resolve against: the response's Content-Location, else the URL
    # fetched (xml:base inside the document is applied by the parser itself).
    base_url: str | None = None
    # Entries past NEWSWIRE_MAX_ENTRIES_PER_FEED, not read (tasks/entry_cap.py).
    entries_not_read: int = 0
