"""Directory-drop sources: agencies that deliver files by FTP/SFTP into a folder.

A drop feed (catalogue ``path = "..."``) is read like a feed is fetched: each new file
becomes one ``FetchResult`` (file:// URL, its bytes and sha256), is landed raw, parsed and
normalised exactly like a polled body, and recorded in ``fetches``. A file is new when
its path + sha256 has never been picked up (``drop_files`` in the writer state): a file
rewritten with new content is picked up again, an untouched one never is. Size + mtime
of known files let a rescan skip reading them at all.

Files are taken oldest first (mtime, then name), recursively; hidden files and
directories and names that upload tools use for partial transfers are ignored, and so
are files modified within ``DropPolicy.min_file_age_seconds`` (still being written).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.tasks.catalog import Feed
from newswire.tasks.documents import ParsedDocument
from newswire.tasks.fetch import FetchResult
from newswire.tasks.normalise import NormalisedEntry, normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.records import fetch_row
from newswire.tasks.settings import Settings

# Suffixes of transfers in progress (FileZilla .filepart, rsync/curl .part, WinSCP
# .filepart, generic .tmp/.partial) and of files an agency marks as not for us.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload", ".lock")

# path -> [(sha256, size, mtime_ns), ...] of files already picked up.
KnownFiles = dict[str, list[tuple[str, int, int]]]


@dataclass
class DropFile:
    # The path as the directory listing gives it (the file:// URL in ``result`` is
    # percent-encoded, so it is not a key to compare listings with).
    path: str
    result: FetchResult
    document: ParsedDocument | None
    size: int
    mtime_ns: int


@dataclass
class DropPickup:
    """One scan of one drop directory."""

    feed: Feed
    result: FetchResult
    files: list[DropFile] = field(default_factory=list)
    entries: list[NormalisedEntry] = field(default_factory=list)
    waiting: int = 0

    @property
    def parse_error(self) -> str | None:
        broken = [f for f in self.files if f.document is None or f.document.error]
        if not broken:
            return None
        first = broken[0]
        problem = first.result.error or (first.document.error if first.document else "unreadable")
        return (
            f"{len(broken)} of {len(self.files)} dropped files could not be ingested; "
            f"first: {Path(first.path).name}: {problem} (see the fetches table for each file)"
        )

    def fetch_rows(self, run_id: str) -> list[dict[str, Any]]:
        rows = []
        for dropped in self.files:
            row = fetch_row(dropped.result, run_id, dropped.document)
            row["fetch_id"] = drop_fetch_id(run_id, self.feed.id, dropped.path)
            rows.append(row)
        return rows

    def state_rows(self, run_id: str) -> list[dict[str, Any]]:
        return [
            {
                "path": dropped.path,
                "sha256": dropped.result.body_sha256,
                "feed_id": self.feed.id,
                "size": dropped.size,
                "mtime_ns": dropped.mtime_ns,
                "fetch_id": drop_fetch_id(run_id, self.feed.id, dropped.path),
                "picked_up_at": dropped.result.fetched_at,
            }
            for dropped in self.files
            if dropped.result.body_sha256
        ]


def drop_fetch_id(run_id: str, feed_id: str, path: str) -> str:
    return f"{run_id}:{feed_id}:{hashlib.sha256(path.encode()).hexdigest()[:16]}"


def _candidates(directory: Path) -> list[tuple[int, str, os.stat_result]]:
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            full = os.path.join(root, name)
            try:
                stat = os.stat(full)
            except OSError:
                continue  # removed between listing and stat
            found.append((stat.st_mtime_ns, full, stat))
    found.sort()
    return found


def _is_known(known: KnownFiles, path: str, size: int, mtime_ns: int, sha256: str | None) -> bool:
    for known_sha, known_size, known_mtime in known.get(path, []):
        if sha256 is None and (known_size, known_mtime) == (size, mtime_ns):
            return True
        if sha256 is not None and known_sha == sha256:
            return True
    return False


def pick_up_drop(
    feed: Feed, known: KnownFiles, settings: Settings, now: datetime | None = None
) -> DropPickup:
    """Read, parse and normalise the files of ``feed``'s directory not picked up before."""
    now = now or datetime.now(UTC)
    directory = Path(feed.path)
    pickup = DropPickup(feed=feed, result=FetchResult(feed_id=feed.id, url=feed.url, fetched_at=now))
    if not directory.is_dir():
        pickup.result.error_kind = "drop"
        pickup.result.error = (
            f"drop directory {directory} does not exist or is not a directory: create it, or fix "
            f"`path` of feed {feed.id!r} in the catalogue"
        )
        return pickup
    try:
        candidates = _candidates(directory)
    except OSError as error:
        pickup.result.error_kind = "drop"
        pickup.result.error = f"cannot list drop directory {directory}: {error.strerror}"
        return pickup
    youngest_allowed = now.timestamp() - settings.drop.min_file_age_seconds
    bytes_taken = 0
    for mtime_ns, path, stat in candidates:
        if _is_known(known, path, stat.st_size, mtime_ns, None):
            continue
        over_budget = pickup.files and bytes_taken + stat.st_size > settings.drop.max_bytes_per_run
        if (
            mtime_ns / 1e9 > youngest_allowed
            or len(pickup.files) >= settings.drop.max_files_per_run
            or over_budget
        ):
            pickup.waiting += 1
            continue
        bytes_taken += stat.st_size
        dropped = _read(feed, path, stat, settings, now)
        if dropped.result.body_sha256 and _is_known(known, path, 0, 0, dropped.result.body_sha256):
            continue  # touched, not changed
        pickup.files.append(dropped)
        if dropped.document is not None and not dropped.document.error:
            pickup.entries += normalise_document(
                dropped.document,
                feed,
                now,
                dropped.result.url,
                settings.normalise,
                raw_sha256=dropped.result.body_sha256,
            )
    # 200 when something new was picked up, 304 when the directory had nothing new: the
    # run summary and feed health read it like a conditional GET.
    pickup.result.status = 200 if pickup.files else 304
    return pickup


def _read(feed: Feed, path: str, stat: os.stat_result, settings: Settings, now: datetime) -> DropFile:
    url = Path(path).as_uri()
    result = FetchResult(feed_id=feed.id, url=url, fetched_at=now, final_url=url, attempts=1)
    dropped = DropFile(path, result, document=None, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
    limit = settings.fetch.max_body_bytes
    try:
        with open(path, "rb") as handle:
            body = handle.read(limit + 1)
    except OSError as error:
        result.error_kind, result.error = "drop", f"cannot read {path}: {error.strerror}"
        return dropped
    result.body_sha256 = hashlib.sha256(body).hexdigest()
    result.bytes_received = len(body)
    if len(body) > limit:
        result.error_kind = "too_large"
        result.error = f"{path} is larger than the {limit:,}-byte cap (NEWSWIRE_FETCH_MAX_BODY_BYTES)"
        return dropped
    result.status, result.body = 200, body
    dropped.document = parse_document(
        body,
        {},
        url,
        limit,
        forced_format=feed.format,
        max_entries=settings.max_entries_per_feed,
        fast_path=settings.fast_parse,
    )
    return dropped
