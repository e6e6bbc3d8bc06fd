"""Network faults over real loopback sockets: each ends as one FetchResult with a clear
error (or the right success), within the configured limits, never an exception or a hang."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

import misbehaving
import pytest

from newswire.cli.demo_server import FeedServer
from newswire.tasks.catalog import Feed
from newswire.tasks.fetch import FetchRequest, fetch_feeds
from newswire.tasks.schedule import next_feed_state
from newswire.tasks.settings import FetchLimits, PollPolicy

LIMITS = misbehaving.FAULT_LIMITS

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as server:
        misbehaving.install(server)
        yield server


def fetch(url: str, limits: FetchLimits = LIMITS, **request):
    return fetch_feeds([FetchRequest("fault", url, **request)], limits)[0]


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("/reset-mid-body", "network", ""),
        ("/slow-drip", "timeout", "fetch budget of 3 s exceeded"),
        ("/slow-headers", "timeout", "fetch budget of 3 s exceeded"),
        ("/never-answers", "timeout", "ReadTimeout"),
        ("/endless", "too_large", "after decompression"),
        ("/fifty-mb-declared", "too_large", ""),
        ("/fifty-mb-one-element", "too_large", ""),
        ("/length-too-long", "network", "RemoteProtocolError"),
        ("/zstd", "decoding", "'zstd' is not supported"),
        ("/loop-a", "redirects", "redirect loop"),
        ("/chain/20", "redirects", "more than 8 redirects"),
        ("/to-file", "refused", "scheme 'file'"),
        ("/304-no-validators", "http", "without If-None-Match"),
    ],
)
def test_fault_is_one_clear_error(server, path, kind, message):
    result = fetch(server.url(path))
    assert (result.error_kind, result.body) == (kind, None), result.error
    assert message in result.error
    assert result.elapsed_s < LIMITS.total_timeout_s + 2


def test_connection_refused_is_retried_then_reported():
    limits = FetchLimits(**{**LIMITS.__dict__, "max_retries": 2})
    url = misbehaving.refused_url()
    result = fetch(url, limits)
    assert result.error_kind == "network" and "ConnectError" in result.error
    # The operator's three questions: which host, which port, why.
    assert url.split("/")[2] in result.error and "(Connection refused)" in result.error
    assert result.attempts == 3


@pytest.mark.parametrize("path", ["/gzip-bomb", "/brotli-bomb"])
def test_compression_bomb_stops_at_the_cap_in_bounded_memory(server, path):
    tracemalloc.start()
    try:
        result = fetch(server.url(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_kind == "too_large"
    # The bomb inflates to 64-256 MB; decoding may never hold much more than the cap.
    assert peak < 4 * LIMITS.max_body_bytes, f"peak {peak / 2**20:.0f} MB"


def test_short_content_length_takes_what_was_declared_and_does_not_poison_the_next_request(server):
    first = fetch(server.url("/length-too-short"))
    assert first.status == 200 and len(first.body) == 60
    results = fetch_feeds(
        [FetchRequest("a", server.url("/length-too-short")), FetchRequest("b", server.url("/good"))], LIMITS
    )
    assert results[1].body == misbehaving.GOOD_FEED


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_followed_and_permanent_ones_remembered(server, status):
    result = fetch(server.url(f"/moved-{status}"))
    assert result.status == 200 and result.body == misbehaving.GOOD_FEED
    assert result.redirects == [(status, server.url("/good"))]
    permanent = server.url("/good") if status in (301, 308) else None
    assert result.permanent_redirect_url == permanent


def test_chain_within_the_limit_is_followed(server):
    result = fetch(server.url("/chain/8"))
    assert result.status == 200 and len(result.redirects) == 8


@pytest.mark.parametrize(("path", "waited_at_least"), [("/429-seconds", 1.0), ("/503-date", 0.5)])
def test_retry_after_is_honoured(server, path, waited_at_least):
    limits = FetchLimits(**{**LIMITS.__dict__, "max_retries": 1})
    result = fetch(server.url(path), limits)
    assert result.ok and result.status == 200 and result.attempts == 2
    assert result.elapsed_s >= waited_at_least


def test_retry_after_beyond_the_run_reschedules_the_feed_instead_of_waiting(server):
    limits = FetchLimits(**{**LIMITS.__dict__, "max_retries": 1})
    result = fetch(server.url("/503-too-long"), limits)
    assert result.status == 503 and result.retry_after_s == 3600 and result.attempts == 1
    feed = Feed(id="fault", name="f", url=result.url, kind="outlet", language="en", country="KG")
    now = datetime.now(UTC)
    state = next_feed_state(feed, None, result, None, 0, None, "run", now, PollPolicy())
    assert (state["next_poll_at"] - now).total_seconds() >= 3600


def test_304_to_a_conditional_request_keeps_the_validators_we_had(server):
    server.routes["/conditional"] = misbehaving.not_modified_without_validators
    result = fetch(server.url("/conditional"), etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.ok and result.not_modified
    feed = Feed(id="fault", name="f", url=result.url, kind="outlet", language="en", country="KG")
    previous = {"url": feed.url, "etag": '"v1"', "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    state = next_feed_state(feed, previous, result, None, 0, None, "run", datetime.now(UTC), PollPolicy())
    assert (state["etag"], state["last_modified"]) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")


def test_one_broken_server_does_not_hold_up_the_others(server):
    paths = ["/slow-drip", "/never-answers", "/reset-mid-body", "/brotli-bomb", "/good"]
    results = fetch_feeds([FetchRequest(p, server.url(p)) for p in paths], LIMITS)
    assert [r.ok for r in results] == [False, False, False, False, True]
    assert results[-1].body == misbehaving.GOOD_FEED


@pytest.mark.parametrize("path", ["/slow-drip", "/slow-headers", "/never-answers"])
def test_one_budget_covers_every_attempt(server, path):
    """Three retries allowed, 3 s budget: the fetch ends at ~3 s, not 4 x 3 s."""
    limits = FetchLimits(**{**LIMITS.__dict__, "max_retries": 3})
    result = fetch(server.url(path), limits)
    assert result.error_kind == "timeout" and result.body is None
    assert "fetch budget of 3 s exceeded" in result.error, result.error
    # Not a speed claim: the old per-attempt timeout took 4 x 3 s here.
    assert result.elapsed_s < 2 * limits.total_timeout_s, result.elapsed_s


def test_a_retry_that_would_overrun_the_budget_is_not_waited_for(server):
    server.routes["/always-503"] = lambda handler: misbehaving._headers(handler, 503, {"Content-Length": "0"})
    limits = FetchLimits(**{**LIMITS.__dict__, "max_retries": 3, "backoff_base_s": 5})
    result = fetch(server.url("/always-503"), limits)
    assert result.status == 503 and result.attempts == 1
    assert "not retried" in result.error and "fetch budget of 3 s" in result.error
    assert result.elapsed_s < 1.5
