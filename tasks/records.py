"""Rows for the lake's tables, built from a dedupe plan and fetch results.

The column names here must match ``warehouse/schema.py``; ``TableSpec.to_arrow`` rejects
any that do not, so a rename cannot silently drop data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from newswire.tasks.dedupe import AppearanceWrite, StoryWrite
from newswire.tasks.documents import ParsedDocument
from newswire.tasks.fetch import FetchResult
from newswire.tasks.normalise import NormalisedEntry


def partition_date(moment: datetime) -> str:
    # isoformat, not strftime: strftime writes year 1 as "1-01-01", not "0001-01-01".
    return moment.date().isoformat()


def _text_columns(entry: NormalisedEntry) -> dict[str, Any]:
    return {
        "url": entry.url,
        "canonical_url": entry.canonical_url,
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "language": entry.language,
        "authors": entry.authors,
        "categories": entry.categories,
        "published_at": entry.published_at,
        "published_guessed": entry.published_guessed,
        "date_issue": entry.date_issue,
        "updated_at": entry.updated_at,
        "content_hash": entry.content_hash,
        "entry_warnings": entry.warnings,
        **entry.enrichment,
    }


def appearance_row(write: AppearanceWrite, run_id: str, seen_at: datetime) -> dict[str, Any]:
    entry = write.entry
    return {
        "appearance_id": write.appearance_id,
        "revision": write.revision,
        "story_id": write.story_id,
        "feed_id": entry.feed_id,
        "outlet_id": entry.outlet_id,
        "entry_id": entry.entry_id,
        "guid": entry.guid,
        **_text_columns(entry),
        "first_seen_at": write.first_seen_at,
        "changed_at": seen_at,
        "raw_sha256": entry.raw_sha256,
        "run_id": run_id,
        "date": partition_date(entry.published_at),
    }


def story_row(write: StoryWrite, run_id: str, seen_at: datetime) -> dict[str, Any]:
    representative = write.representative
    entry = representative.entry
    return {
        "story_id": write.story_id,
        "revision": write.revision,
        "representative_appearance_id": representative.appearance_id,
        "representative_feed_id": entry.feed_id,
        **_text_columns(entry),
        "first_seen_at": write.first_seen_at,
        "changed_at": seen_at,
        "run_id": run_id,
        "date": partition_date(entry.published_at),
    }


def fetch_row(result: FetchResult, run_id: str, document: ParsedDocument | None) -> dict[str, Any]:
    return {
        "fetch_id": f"{run_id}:{result.feed_id}",
        "run_id": run_id,
        "feed_id": result.feed_id,
        "url": result.url,
        "final_url": result.final_url,
        "fetched_at": result.fetched_at,
        "status": result.status,
        "not_modified": result.not_modified,
        "unchanged": result.unchanged,
        "bytes_received": result.bytes_received,
        "body_bytes": len(result.body) if result.body is not None else None,
        "body_sha256": result.body_sha256,
        "content_type": result.headers.get("content-type"),
        "etag": result.headers.get("etag"),
        "last_modified": result.headers.get("last-modified"),
        "elapsed_ms": int(result.elapsed_s * 1000),
        "attempts": result.attempts,
        "redirects": [f"{status} {url}" for status, url in result.redirects],
        "error_kind": result.error_kind,
        "error": result.error,
        "parse_format": document.format if document else None,
        "parse_error": document.error if document else None,
        "parse_warnings": document.warnings if document else [],
        "entries_found": len(document.entries) if document else None,
        "date": partition_date(result.fetched_at),
    }


def entry_from_row(row: dict[str, Any], enrichment_columns: Iterable[str]) -> NormalisedEntry:
    """An appearance as the lake stores it, back as the entry dedupe planned (rebuilds,
    and stored copies a re-clustering moves or makes a story's representative)."""
    text = row["body"] or row["summary"] or ""
    title = row["title"] or ""
    return NormalisedEntry(
        feed_id=row["feed_id"],
        outlet_id=row["outlet_id"] or row["feed_id"],
        entry_id=row["entry_id"],
        guid=row["guid"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=title,
        summary=row["summary"] or "",
        body=row["body"] or "",
        published_at=row["published_at"],
        date_issue=row["date_issue"],
        updated_at=row["updated_at"],
        language=row["language"],
        authors=list(row["authors"] or []),
        categories=list(row["categories"] or []),
        content_hash=row["content_hash"],
        word_count=len(title.split()) + len(text.split()),
        raw_sha256=row["raw_sha256"],
        enrichment={c: row[c] for c in enrichment_columns if row.get(c) is not None},
        warnings=list(row.get("entry_warnings") or []),
    )
