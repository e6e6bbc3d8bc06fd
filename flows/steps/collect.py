"""Collect: fetch -> land raw -> parse -> normalise, for polled feeds and for directory
drops (a polled feed's parse runs with the other CPU stages, flows/steps/prepare.py).
Every payload newswire reads (feeds, archive and sitemap pages, article pages, drop
files) is landed by ``land_raw``, so nothing is read without being kept raw (bronze) for
replay.

One Prefect task per batch of feeds, never per story (STACK-NOTES.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from newswire.flows.run import FeedOutcome
from newswire.flows.runtime import stop
from newswire.tasks.catalog import Feed
from newswire.tasks.drop import DropPickup, pick_up_drop
from newswire.tasks.fetch import FetchRequest, FetchResult, fetch_feeds
from newswire.tasks.normalise import normalise_document
from newswire.tasks.parse import parse_document
from newswire.tasks.schedule import request_url
from newswire.tasks.settings import Settings
from newswire.warehouse.failpoints import failpoint
from newswire.warehouse.raw_store import RawStore
from newswire.warehouse.records import PickedUpFile
from newswire.warehouse.writer import Warehouse


def land_raw(results: Iterable[FetchResult], settings: Settings) -> None:
    """Keep every body received in the raw store (bronze), content-addressed."""
    raw = RawStore.for_data_dir(settings.data_dir)
    raw.land_all((result.body, result.body_sha256) for result in results if result.body is not None)


def fetch_and_land(
    requests: list[FetchRequest], settings: Settings, should_stop: Callable[[], bool] | None = None
) -> list[FetchResult]:
    """Fetch concurrently and land every body received (``should_stop``: start no new
    request once it says so; those results come back ``skipped``)."""
    results = fetch_feeds(requests, settings.fetch, should_stop) if requests else []
    land_raw(results, settings)
    return results


def poll_request(feed: Feed, state: dict[str, Any]) -> FetchRequest:
    """The conditional GET for a feed. Validators are kept across a catalogue URL change: a
    server that answers 304 to an ETag it issued, or the same bytes, has nothing new
    whatever the URL."""
    return FetchRequest(
        feed_id=feed.id,
        url=request_url(feed, state),
        etag=state.get("etag"),
        last_modified=state.get("last_modified"),
        previous_body_sha256=state.get("last_body_sha256"),
        allow_private_network=feed.allow_private_network,
    )


def parse_and_normalise(outcome: FeedOutcome, settings: Settings) -> None:
    """Parse the fetched body into ``outcome.document`` and, unless it is broken (then
    ``document.error`` says why), normalise its entries into ``outcome.entries``."""
    result, feed = outcome.result, outcome.feed
    base_url = result.final_url or result.url
    outcome.document = parse_document(
        result.body,
        result.headers,
        base_url,
        settings.fetch.max_body_bytes,
        forced_format=feed.format,
        max_entries=settings.max_entries_per_feed,
        fast_path=settings.fast_parse,
    )
    if not outcome.document.error:
        outcome.entries = normalise_document(
            outcome.document,
            feed,
            result.fetched_at,
            base_url,
            settings.normalise,
            raw_sha256=result.body_sha256,
        )


def wants_parse(outcome: FeedOutcome) -> bool:
    """A body fetched this run that changed: parse and normalise it (a failed fetch and
    unchanged bytes have nothing new to read)."""
    result = outcome.result
    return not result.error and result.body is not None and not result.unchanged and outcome.document is None


def parse_fetched(outcome: FeedOutcome, settings: Settings, logger) -> None:
    """Parse and normalise a fetched body (``wants_parse``); a broken one is logged and
    kept raw for replay."""
    parse_and_normalise(outcome, settings)
    if outcome.document.error:
        result = outcome.result
        logger.warning(
            "feed %s (%s): %s; the raw payload is kept (sha256 %s) for replay",
            outcome.feed.id,
            result.url,
            outcome.document.error,
            result.body_sha256,
        )


@task(name="fetch-and-land", cache_policy=NO_CACHE, persist_result=False)
def fetch_feed_batch(
    feeds: list[Feed], states: dict[str, dict[str, Any]], settings: Settings
) -> list[FeedOutcome]:
    """One batch of feeds: fetch concurrently and land every payload raw. Parsing is a CPU
    stage (flows/steps/prepare.py): it runs on the CPU task runner, not here."""
    logger = get_run_logger()
    requests = [poll_request(feed, states.get(feed.id) or {}) for feed in feeds]
    results = fetch_and_land(requests, settings, should_stop=stop.requested)
    outcomes = []
    for feed, result in zip(feeds, results, strict=True):
        if result.skipped:  # the operator stopped the run: this feed stays due, untouched
            continue
        outcome = FeedOutcome(feed=feed, result=result)
        if result.error:
            logger.warning("feed %s (%s): fetch failed: %s", feed.id, result.url, result.error)
        elif result.unchanged and (states.get(feed.id) or {}).get("last_error_kind") == "parse":
            outcome.content_error = states[feed.id]["last_error"]
        outcomes.append(outcome)
    failpoint("landed")
    return outcomes


def known_drop_files(warehouse: Warehouse, feeds: list[Feed]) -> dict[str, dict[str, list[PickedUpFile]]]:
    """Files already picked up, per drop feed (read under the writer lock)."""
    return warehouse.known_drop_files([feed.id for feed in feeds])


@task(name="pick-up-drops", cache_policy=NO_CACHE, persist_result=False)
def pick_up_drops(
    feeds: list[Feed], known_files: dict[str, dict[str, list[PickedUpFile]]], settings: Settings
) -> list[FeedOutcome]:
    """Directory-drop feeds: each new file is landed raw, parsed and normalised like a fetch."""
    logger = get_run_logger()
    outcomes = []
    for feed in feeds:
        pickup = pick_up_drop(feed, known_files.get(feed.id, {}), settings)
        land_raw((dropped.result for dropped in pickup.files), settings)
        problem = pickup.result.error or pickup.parse_error
        if problem:
            logger.warning("drop feed %s (%s): %s", feed.id, feed.path, problem)
        logger.info(
            "drop feed %s: %d new files, %d entries, %d files waiting (too recent or over the per-run cap)",
            feed.id,
            len(pickup.files),
            len(pickup.entries),
            pickup.waiting,
        )
        outcomes.append(drop_outcome(pickup))
    return outcomes


def drop_outcome(pickup: DropPickup) -> FeedOutcome:
    return FeedOutcome(
        pickup.feed, pickup.result, entries=pickup.entries, content_error=pickup.parse_error, drop=pickup
    )
