"""One schema for every entry, whatever feed dialect it came in.

Feeds lie about dates (none, or next year), reuse or change GUIDs, wrap text in HTML and
tracking parameters. ``normalise_entry`` turns a ``ParsedEntry`` into the fields we store
and key on; it is pure, so replaying a raw payload with today's code gives today's rows.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tld import get_fld

from newswire.tasks.catalog import Feed
from newswire.tasks.documents import ParsedDocument, ParsedEntry
from newswire.tasks.settings import NormalisePolicy
from newswire.tasks.text import clean_line, content_hash, html_to_text, truncate, valid_unicode
from newswire.tasks.urls import canonical_url
from newswire.tasks.wire_versions import change_hash

# A content hash is only a story key when there is enough text to be specific: two daily
# "Weather forecast" items with no body must not become one story.
MIN_WORDS_FOR_CONTENT_KEY = 12
# How entry warnings start, so a run can count them (flows/ingest.py RunSummary).
TEXT_REPAIRED = "text repaired"
IDENTITY_COLLISION = "identity collision"
DATE_NOT_BELIEVED = "date not believed"
# A document warning (stored with the fetch): an entry normalising could not handle.
ITEM_SKIPPED = "entry skipped"


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
    # What normalising had to repair or decide about this entry, one line each, stored
    # with it (``entry_warnings``): code points that cannot be stored replaced, a date
    # not believed, an id shared with another entry of the document.
    warnings: list[str] = field(default_factory=list)
    # False when the canonical URL is not this entry's own: shared with other entries of
    # its document (a podcast feed linking every episode to its home page) or the site's
    # home page itself. Such a URL identifies neither an appearance nor a story.
    url_is_key: bool = True

    @property
    def published_guessed(self) -> bool:
        return self.date_issue is not None

    @property
    def appearance_keys(self) -> list[str]:
        """Keys that identify this entry within its feed: the entry id, and the canonical
        URL so a feed that changes GUIDs does not create a second appearance."""
        keys = [f"id:{self.entry_id}"]
        if self.canonical_url and self.url_is_key:
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
        if self.canonical_url and self.url_is_key:
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


def _stable_entry_id(entry: ParsedEntry, item_url: str | None, title: str, text: str) -> str:
    """The guid when there is one (a link many guids share is not an identity); else the
    canonical link when it names an item (not the site's home page); else a hash of
    title, date and text, so two same-titled entries of different content ("Weather",
    "Live updates") stay two entries."""
    if entry.guid and entry.guid.strip():
        return entry.guid.strip()
    if item_url:
        return item_url
    when = entry.published or entry.updated
    digest = hashlib.sha256(
        f"{title}\n{when.isoformat() if when else ''}\n{content_hash(text)}".encode()
    ).hexdigest()
    return f"sha256:{digest[:32]}"


def _plausibility(moment: datetime, fetched_at: datetime, policy: NormalisePolicy) -> str | None:
    if moment > fetched_at + timedelta(minutes=policy.future_tolerance_minutes):
        return "future"
    if moment.year < policy.earliest_plausible_year:
        return "implausible"
    return None


def choose_published(
    entry: ParsedEntry, fetched_at: datetime, policy: NormalisePolicy
) -> tuple[datetime, str | None]:
    """The entry's publication time in UTC, or the fetch time with the reason it was
    replaced: ``missing`` (no date), ``invalid`` (a date no calendar has, tasks/dates.py),
    ``future`` (beyond the tolerance) or ``implausible`` (before
    ``policy.earliest_plausible_year``: year 1, 99 or 1600 is a CMS default, not news)."""
    stated = [moment for moment in (entry.published, entry.updated) if moment is not None]
    if not stated:
        return fetched_at, "invalid" if entry.date_problem else "missing"
    issue = None
    for moment in stated:
        issue = _plausibility(moment, fetched_at, policy)
        if issue is None:
            return moment, None
    return fetched_at, issue


def _storable(entry: ParsedEntry) -> tuple[ParsedEntry, list[str]]:
    """``entry`` with every string (nested ones in ``extra`` too) valid Unicode: lone
    surrogates and noncharacters replaced by U+FFFD, as a JSON ``"\\ud800"`` produces.
    Nothing downstream (ids, hashes, Arrow, Parquet) can encode them. Returns the
    repaired entry and one warning naming the fields repaired."""
    repairs: Counter[str] = Counter()

    def repaired(value: Any, name: str) -> Any:
        if isinstance(value, str):
            text, count = valid_unicode(value)
            repairs[name] += count
            return text
        if isinstance(value, list | tuple):
            return type(value)(repaired(item, name) for item in value)
        if isinstance(value, dict):
            return {repaired(key, name): repaired(item, name) for key, item in value.items()}
        return value

    changes = {}
    for spec in fields(entry):
        value = getattr(entry, spec.name)
        fixed = repaired(value, spec.name)
        if repairs[spec.name]:
            changes[spec.name] = fixed
    if not changes:
        return entry, []
    detail = ", ".join(f"{name} ({count})" for name, count in repairs.items() if count)
    warning = f"{TEXT_REPAIRED}: code points that cannot be stored replaced in {detail}"
    return replace(entry, **changes), [warning]


def normalise_entry(
    entry: ParsedEntry,
    feed: Feed,
    document: ParsedDocument,
    fetched_at: datetime,
    base_url: str,
    policy: NormalisePolicy,
    raw_sha256: str | None = None,
) -> NormalisedEntry:
    entry, warnings = _storable(entry)
    title = truncate(clean_line(entry.title, entry.title_type), policy.max_title_chars)
    summary = truncate(html_to_text(entry.summary, entry.summary_type), policy.max_summary_chars)
    body = html_to_text(entry.content, entry.content_type) if entry.content else ""
    if body == summary:
        body = ""
    body = truncate(body, policy.max_body_chars)
    canonical = canonical_url(entry.link, base=document.base_url or base_url)
    published_at, date_issue = choose_published(entry, fetched_at, policy)
    if entry.date_problem:
        warnings.append(f"{DATE_NOT_BELIEVED}: {entry.date_problem}")
    updated_at = entry.updated
    if updated_at is not None and _plausibility(updated_at, fetched_at, policy):
        updated_at = None
    text = body or summary
    names_item = not _is_home_page(canonical, document, base_url)
    return NormalisedEntry(
        feed_id=feed.id,
        outlet_id=outlet_of(entry, feed),
        entry_id=_stable_entry_id(entry, canonical if names_item else None, title, text),
        guid=entry.guid,
        url=entry.link,
        canonical_url=canonical,
        title=title,
        summary=summary,
        body=body,
        published_at=published_at,
        date_issue=date_issue,
        updated_at=updated_at,
        language=_primary_language(entry.language or document.language or feed.language),
        authors=[a for a in (clean_line(a) for a in entry.authors) if a],
        categories=sorted({c for c in (clean_line(c) for c in entry.categories) if c}),
        content_hash=content_hash(title, text),
        word_count=len(title.split()) + len(text.split()),
        raw_sha256=raw_sha256,
        enrichment=dict(entry.extra),
        warnings=warnings,
        url_is_key=names_item,
    )


def _is_home_page(canonical: str | None, document: ParsedDocument, base_url: str) -> bool:
    """A link to the site's root or to the feed's own home page names no item."""
    if not canonical:
        return False
    if _is_site_root(canonical):
        return True
    home = document.link if isinstance(document.link, str) else None
    base = document.base_url or base_url
    return bool(home) and canonical == canonical_url(valid_unicode(home)[0], base=base)


def _is_site_root(canonical: str) -> bool:
    parts = urlsplit(canonical)
    return parts.path in ("", "/") and not parts.query


def normalise_document(
    document: ParsedDocument,
    feed: Feed,
    fetched_at: datetime,
    base_url: str,
    policy: NormalisePolicy,
    raw_sha256: str | None = None,
) -> list[NormalisedEntry]:
    """All entries of one document, none lost to a shared identity. An entry that makes
    normalising raise is skipped with an ``entry skipped`` warning on the document (the
    fetch row keeps it); the others load.

    An id listed twice with the same link is one item (some CMSs list an item and its
    update): the last is kept. Two entries that share an id but not the link, and differ
    in content, are two items (a podcast reusing a guid): both are kept, the later one's
    id gets its content hash appended and an ``identity collision`` warning, which the run
    counts. A canonical URL shared by entries of different ids is no key for any of them
    (``url_is_key``), so dedupe cannot merge them through it."""
    kept: dict[str, NormalisedEntry] = {}
    for position, entry in enumerate(document.entries, start=1):
        try:
            normalised = normalise_entry(entry, feed, document, fetched_at, base_url, policy, raw_sha256)
        except Exception as error:  # a bug on one odd item costs that item, not the feed or run
            problem = valid_unicode(f"{type(error).__name__}: {error}")[0][:300]
            document.warnings.append(f"{ITEM_SKIPPED} #{position}: normalising failed: {problem}")
            continue
        earlier = kept.get(normalised.entry_id)
        if (
            earlier is not None
            and earlier.change_hash != normalised.change_hash
            and earlier.canonical_url != normalised.canonical_url
        ):
            distinct = f"{normalised.entry_id}#{normalised.content_hash[:12]}"
            normalised.warnings.append(
                f"{IDENTITY_COLLISION}: id {normalised.entry_id[:200]!r} is shared with another entry "
                f"of the document with different content; kept as {distinct[:200]!r}"
            )
            normalised.entry_id = distinct
        kept.pop(normalised.entry_id, None)
        kept[normalised.entry_id] = normalised
    return without_shared_url_keys(list(kept.values()))


def without_shared_url_keys(entries: list[NormalisedEntry]) -> list[NormalisedEntry]:
    """``entries`` with ``url_is_key`` cleared where a canonical URL is shared by entries
    of different ids in one feed, or is a site's root: such a URL names no item. Used on
    one document here and on a feed's whole stored history by the story rebuild."""
    ids_by_url: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in entries:
        if entry.canonical_url:
            ids_by_url[(entry.feed_id, entry.canonical_url)].add(entry.entry_id)
    for entry in entries:
        if entry.canonical_url and (
            len(ids_by_url[(entry.feed_id, entry.canonical_url)]) > 1 or _is_site_root(entry.canonical_url)
        ):
            entry.url_is_key = False
    return entries


def count_warnings(entries: list[NormalisedEntry], kind: str) -> int:
    """How many of ``entries`` carry a warning of ``kind`` (``TEXT_REPAIRED``...)."""
    return sum(1 for entry in entries if any(w.startswith(kind) for w in entry.warnings))
