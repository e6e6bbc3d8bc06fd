"""When each feed is polled next, and how its health is tracked.

A failing feed is backed off exponentially rather than hammered, and is never dropped:
after ``DORMANT_AFTER_FAILURES`` failures in a row it is marked dormant and still tried at
the longest interval, because a surprising number of feeds come back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tasks.catalog import Feed
from tasks.fetch import FetchResult
from tasks.settings import PollPolicy

# Ten failures at a 15-minute base with doubling is about a day of trying.
DORMANT_AFTER_FAILURES = 10


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


def poll_interval(feed: Feed, failures: int, policy: PollPolicy) -> timedelta:
    base = feed.poll_interval_minutes or policy.default_interval_minutes
    minutes = base * (2 ** min(failures, 10)) if failures else base
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
    next_poll = now + poll_interval(feed, failures, policy)
    if result.retry_after_s:
        next_poll = max(next_poll, now + timedelta(seconds=result.retry_after_s))
    if succeeded:
        health = "active"
    elif failures >= DORMANT_AFTER_FAILURES:
        health = "dormant"
    else:
        health = "failing"
    error = parse_error if result.ok else result.error
    return {
        "feed_id": feed.id,
        "url": feed.url,
        "current_url": current_url,
        "etag": etag,
        "last_modified": last_modified,
        "last_body_sha256": body_sha256,
        "last_status": result.status,
        "last_error": None if succeeded else error,
        "last_error_kind": None if succeeded else (result.error_kind or "parse"),
        "last_fetched_at": result.fetched_at,
        "last_success_at": now if succeeded else previous.get("last_success_at"),
        "last_new_entry_at": now if new_entries else previous.get("last_new_entry_at"),
        "consecutive_failures": failures,
        "next_poll_at": next_poll,
        "health": health,
        "entries_last_seen": entries_seen if entries_seen is not None else previous.get("entries_last_seen"),
        "updated_run_id": run_id,
    }
