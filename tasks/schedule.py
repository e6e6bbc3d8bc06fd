"""When each feed is polled next, and how its health is tracked.

The interval adapts to the feed: half the observed gap between its entries (a feed posting
100 items a day is polled every few minutes, one posting once a day twice a day), never
sooner than the server's own freshness hints (RSS ``<ttl>``, ``Cache-Control: max-age``,
``Expires``), always clamped to the policy's bounds. Until a feed's rhythm is known the
catalogue's ``poll_interval_minutes`` is used.

A failing feed is backed off exponentially rather than hammered — soft errors (404, 429,
5xx, DNS, timeouts) grow the interval more slowly than hard ones — and is never dropped:
after ``PollPolicy.dormant_after_failures`` failures in a row it is marked dormant, still
tried at the longest interval, and shown by ``newswire feeds health``.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from newswire.tasks.catalog import Feed
from newswire.tasks.fetch import FetchResult
from newswire.tasks.settings import PollPolicy

# Errors that usually fix themselves: the server is overloaded, rate-limits us, lost a
# page for a while, or DNS/network hiccuped.
_SOFT_ERROR_KINDS = frozenset({"timeout", "network"})
_SOFT_STATUSES = frozenset({404, 408, 425, 429, 500, 502, 503, 504})
# Entry dates this close together are one batch publication, not a rhythm.
_MIN_GAP_MINUTES = 1.0
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.IGNORECASE)


def is_due(feed: Feed, state: dict[str, Any] | None, now: datetime) -> bool:
    if state is None or state.get("next_poll_at") is None:
        return True
    if state.get("url") != feed.url:
        return True  # the catalogue changed the URL: poll the new one now
    return state["next_poll_at"] <= now


def request_url(feed: Feed, state: dict[str, Any] | None) -> str:
    """Where to fetch: the catalogue URL, unless it permanently redirected elsewhere."""
    if state and state.get("current_url") and state.get("url") == feed.url:
        return state["current_url"]
    return feed.url


def observed_entry_gap_minutes(published: Iterable[datetime]) -> float | None:
    """Median gap between a feed's entry dates (guessed dates excluded by the caller);
    None when fewer than two distinct dates. The median ignores one-off bursts."""
    times = sorted(set(published))
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(times)]
    gaps = [gap for gap in gaps if gap >= _MIN_GAP_MINUTES]
    return statistics.median(gaps) if gaps else None


def freshness_hint_minutes(headers: dict[str, str], ttl_minutes: int | None) -> float | None:
    """How long the server says the document stays fresh: RSS ttl, Cache-Control max-age,
    or Expires minus Date. The largest hint wins."""
    hints: list[float] = []
    if ttl_minutes:
        hints.append(float(ttl_minutes))
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if match:
        hints.append(int(match.group(1)) / 60)
    expires, served = headers.get("expires"), headers.get("date")
    if expires and served:
        with contextlib.suppress(TypeError, ValueError):
            hints.append(
                (parsedate_to_datetime(expires) - parsedate_to_datetime(served)).total_seconds() / 60
            )
    hints = [hint for hint in hints if hint > 0]
    return max(hints) if hints else None


def is_soft_error(error_kind: str | None, status: int | None) -> bool:
    if error_kind in _SOFT_ERROR_KINDS:
        return True
    return error_kind == "http" and status in _SOFT_STATUSES


def poll_interval(
    feed: Feed,
    policy: PollPolicy,
    entry_gap_minutes: float | None = None,
    hint_minutes: float | None = None,
    failure_score: float = 0.0,
) -> timedelta:
    """The wait before the next poll, within [min, max] of the policy."""
    if entry_gap_minutes is not None:
        minutes = entry_gap_minutes * policy.entry_gap_fraction
    else:
        minutes = feed.poll_interval_minutes or policy.default_interval_minutes
    if hint_minutes is not None:
        minutes = max(minutes, hint_minutes)
    if failure_score:
        # Capped exponent: 2**20 minutes is already far beyond any sane maximum.
        minutes *= 2 ** min(failure_score, 20)
    minutes = max(policy.min_interval_minutes, min(policy.max_interval_minutes, minutes))
    return timedelta(minutes=minutes)


def next_feed_state(
    feed: Feed,
    previous: dict[str, Any] | None,
    result: FetchResult,
    parse_error: str | None,
    new_entries: int,
    entries_seen: int | None,
    run_id: str,
    now: datetime,
    policy: PollPolicy,
    entry_dates: Iterable[datetime] = (),
    ttl_minutes: int | None = None,
) -> dict[str, Any]:
    previous = previous or {}
    same_url = previous.get("url") == feed.url
    succeeded = result.ok and parse_error is None
    failures = 0 if succeeded else int(previous.get("consecutive_failures") or 0) + 1
    etag, last_modified = previous.get("etag"), previous.get("last_modified")
    body_sha256 = previous.get("last_body_sha256")
    if result.status == 200:
        etag = result.headers.get("etag")
        last_modified = result.headers.get("last-modified")
        body_sha256 = result.body_sha256
    elif result.status == 304:
        etag = result.headers.get("etag", etag)
        last_modified = result.headers.get("last-modified", last_modified)
    current_url = previous.get("current_url") if same_url else None
    if result.permanent_redirect_url:
        current_url = result.permanent_redirect_url
    entry_gap = observed_entry_gap_minutes(entry_dates)
    if entry_gap is None:
        entry_gap = previous.get("entry_gap_minutes") if same_url else None
    soft = is_soft_error(result.error_kind, result.status) if result.error else False
    weight = policy.soft_error_weight if soft else policy.hard_error_weight
    if succeeded:
        health = "active"
    elif failures >= policy.dormant_after_failures:
        health = "dormant"
    else:
        health = "failing"
    if health == "dormant":
        interval = timedelta(minutes=policy.max_interval_minutes)
    else:
        interval = poll_interval(
            feed,
            policy,
            entry_gap_minutes=entry_gap,
            hint_minutes=freshness_hint_minutes(result.headers, ttl_minutes) if result.ok else None,
            failure_score=failures * weight,
        )
    next_poll = now + interval
    if result.retry_after_s:
        next_poll = max(next_poll, now + timedelta(seconds=result.retry_after_s))
    error = parse_error if result.ok else result.error
    if succeeded:
        error_kind = None
    elif not result.ok:
        error_kind = f"{result.error_kind or 'error'}:{'soft' if soft else 'hard'}"
    else:
        error_kind = "parse"
    return {
        "feed_id": feed.id,
        "url": feed.url,
        "current_url": current_url,
        "etag": etag,
        "last_modified": last_modified,
        "last_body_sha256": body_sha256,
        "last_status": result.status,
        "last_error": None if succeeded else error,
        "last_error_kind": error_kind,
        "last_fetched_at": result.fetched_at,
        "last_success_at": now if succeeded else previous.get("last_success_at"),
        "last_new_entry_at": now if new_entries else previous.get("last_new_entry_at"),
        "consecutive_failures": failures,
        "next_poll_at": next_poll,
        "health": health,
        "entries_last_seen": entries_seen if entries_seen is not None else previous.get("entries_last_seen"),
        "entry_gap_minutes": entry_gap,
        "poll_interval_minutes": interval.total_seconds() / 60,
        "updated_run_id": run_id,
    }
