"""One schema for every entry, whatever feed dialect it came in.

Feeds lie about dates (none, or next year), reuse or change GUIDs, wrap text in HTML and
tracking parameters. ``normalise_entry`` turns a ``ParsedEntry`` into the fields we store
and key on; it is pure, so replaying a raw payload with today's code gives today's rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tld import get_fld

from tasks.catalog import Feed
from tasks.documents import ParsedDocument, ParsedEntry
from tasks.settings import NormalisePolicy
from tasks.text import clean_line, content_hash, html_to_text, truncate
from tasks.urls import canonical_url
from tasks.wire_versions import change_hash

# A content hash is only a story key when there is enough text to be specific: two daily
# "Weather forecast" items with no body must not become one story.
MIN_WORDS_FOR_CONTENT_KEY = 12


@dataclass
class NormalisedEntry:
    feed_id: str
    outlet_id: str
    entry_id: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    body: str
    published_at: datetime
    # None when the feed's date was used as given; "missing" or "future" when it was
    # replaced by the fetch time.
    date_issue: str | None
    updated_at: datetime | None
    language: str | None
    authors: list[str]
    categories: list[str]
    content_hash: str
    word_count: int
    # The raw payload (bronze) this entry was parsed from, for provenance and replay.
    raw_sha256: str | None = None
    # Filled by later stages (enrichment, wire formats): column name -> value, matching
    # the optional columns of the appearances/stories schema.
    enrichment: dict[str, Any] = field(default_factory=dict)

    @property
    def published_guessed(self) -> bool:
        return self.date_issue is not None

    @property
    def appearance_keys(self) -> list[str]:
        """Keys that identify this entry within its feed: the entry id, and the canonical
        URL so a feed that changes GUIDs does not create a second appearance."""
        keys = [f"id:{self.entry_id}"]
        if self.canonical_url:
            keys.append(f"url:{self.canonical_url}")
        return keys

    @property
    def change_hash(self) -> str:
        """What must differ for a re-sighting to count as a change (wire_versions.py)."""
        return change_hash(self.content_hash, self.enrichment)

    @property
    def story_keys(self) -> list[str]:
        """Exact-duplicate keys across the whole history, strongest first. A wire item's
        guid (agencies keep it across versions and feeds) comes before everything else."""
        keys = [f"guid:{self.guid}"] if self.guid and self.enrichment.get("pubstatus") else []
        if self.canonical_url:
            keys.append(f"url:{self.canonical_url}")
        if self.word_count >= MIN_WORDS_FOR_CONTENT_KEY:
            keys.append(f"hash:{self.content_hash}")
        return keys


def _primary_language(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    primary = code.split("-", 1)[0]
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def outlet_of(entry: ParsedEntry, feed: Feed) -> str:
    """The outlet that carried the entry: the catalogue's, except for an aggregator (Google
    News and the like), whose items name their publisher. There it is the publisher's
    domain (``reuters.com``, the catalogue convention for ``outlet``, so a copy found
    through Google News and the outlet's own feed count as one outlet) or, without a URL,
    its name in lower case."""
    if feed.kind != "aggregator":
        return feed.outlet_id
    if entry.source_url:
        domain = get_fld(entry.source_url, fail_silently=True, fix_protocol=True)
        if domain:
            return domain
    name = clean_line(entry.source_title).lower()
    return name or feed.outlet_id


def _stable_entry_id(entry: ParsedEntry, canonical: str | None, title: str) -> str:
    if entry.guid and entry.guid.strip():
        return entry.guid.strip()
    if canonical:
        return canonical
    when = entry.published or entry.updated
    digest = hashlib.sha256(f"{title}\n{when.isoformat() if when else ''}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def choose_published(
    entry: ParsedEntry, fetched_at: datetime, policy: NormalisePolicy
) -> tuple[datetime, str | None]:
    """The entry's publication time in UTC, or the fetch time with the reason it was
    replaced."""
    published = entry.published or entry.updated
    if published is None:
        return fetched_at, "missing"
    if published > fetched_at + timedelta(minutes=policy.future_tolerance_minutes):
        return fetched_at, "future"
    return published, None


def normalise_entry(
    entry: ParsedEntry,
    feed: Feed,
    document: ParsedDocument,
    fetched_at: datetime,
    base_url: str,
    policy: NormalisePolicy,
    raw_sha256: str | None = None,
) -> NormalisedEntry:
    title = truncate(clean_line(entry.title), policy.max_title_chars)
    summary = truncate(html_to_text(entry.summary), policy.max_summary_chars)
    body = html_to_text(entry.content) if entry.content else ""
    if body == summary:
        body = ""
    body = truncate(body, policy.max_body_chars)
    canonical = canonical_url(entry.link, base=base_url)
    published_at, date_issue = choose_published(entry, fetched_at, policy)
    text = body or summary
    return NormalisedEntry(
        feed_id=feed.id,
        outlet_id=outlet_of(entry, feed),
        entry_id=_stable_entry_id(entry, canonical, title),
        guid=entry.guid,
        url=entry.link,
        canonical_url=canonical,
        title=title,
        summary=summary,
        body=body,
        published_at=published_at,
        date_issue=date_issue,
        updated_at=entry.updated,
        language=_primary_language(entry.language or document.language or feed.language),
        authors=[a for a in (clean_line(a) for a in entry.authors) if a],
        categories=sorted({c for c in (clean_line(c) for c in entry.categories) if c}),
        content_hash=content_hash(title, text),
        word_count=len(title.split()) + len(text.split()),
        raw_sha256=raw_sha256,
        enrichment=dict(entry.extra),
    )


def normalise_document(
    document: ParsedDocument,
    feed: Feed,
    fetched_at: datetime,
    base_url: str,
    policy: NormalisePolicy,
    raw_sha256: str | None = None,
) -> list[NormalisedEntry]:
    """All entries of one document; entries repeated within the document collapse to
    their last occurrence (some CMSs list an updated item twice)."""
    by_id: dict[str, NormalisedEntry] = {}
    for entry in document.entries:
        normalised = normalise_entry(entry, feed, document, fetched_at, base_url, policy, raw_sha256)
        by_id.pop(normalised.entry_id, None)
        by_id[normalised.entry_id] = normalised
    return list(by_id.values())
