"""The fetch path over real sockets: a loopback FeedServer with misbehaving routes."""

from __future__ import annotations

import gzip
import time
from dataclasses import replace

import pytest

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.fetch import FetchRequest, fetch_feeds, parse_retry_after
from newswire.tasks.settings import FetchLimits

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
# Fast retries so failure tests take milliseconds; loopback allowed as in the demo.
LIMITS = FetchLimits(backoff_base_s=0.01, allow_private_networks=True, total_timeout_s=5, read_timeout_s=2)


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def fetch_one(url: str, limits: FetchLimits = LIMITS, **request):
    return fetch_feeds([FetchRequest(feed_id="f", url=url, **request)], limits)[0]


def test_conditional_get_and_gzip(sample_server):
    url = sample_server.url("/feeds/tass-ru.xml")
    first = fetch_one(url)
    assert first.status == 200 and first.ok
    assert first.headers["content-encoding"] == "gzip"
    assert first.bytes_received < len(first.body)  # compressed on the wire, decoded for us
    second = fetch_one(url, etag=first.headers["etag"], previous_body_sha256=first.body_sha256)
    assert second.status == 304 and second.not_modified and second.unchanged and second.body is None
    third = fetch_one(url, last_modified=first.headers["last-modified"])
    assert third.status == 304


def test_same_bytes_with_new_etag_count_as_unchanged(server):
    calls = []

    def lying_etag(handler):
        calls.append(1)
        send(handler, 200, FEED, {"ETag": f'"{len(calls)}"'})

    server.routes["/lies"] = lying_etag
    first = fetch_one(server.url("/lies"))
    second = fetch_one(
        server.url("/lies"), etag=first.headers["etag"], previous_body_sha256=first.body_sha256
    )
    assert second.status == 200 and second.unchanged


def test_5xx_is_retried_then_reported(server):
    server.routes["/down"] = lambda h: send(h, 500, b"boom")
    result = fetch_one(server.url("/down"))
    assert result.error == "HTTP 500" and result.error_kind == "http"
    assert result.attempts == LIMITS.max_retries + 1 == server.hits["/down"]


def test_retry_recovers_from_a_transient_503(server):
    def flaky(handler):
        if server.hits["/flaky"] < 2:
            send(handler, 503, b"busy", {"Retry-After": "0"})
        else:
            send(handler, 200, FEED)

    server.routes["/flaky"] = flaky
    result = fetch_one(server.url("/flaky"))
    assert result.ok and result.status == 200 and result.attempts == 2


def test_long_retry_after_is_not_waited_for_but_recorded(server):
    server.routes["/later"] = lambda h: send(h, 429, b"", {"Retry-After": "3600"})
    started = time.monotonic()
    result = fetch_one(server.url("/later"))
    assert time.monotonic() - started < 2
    assert result.retry_after_s == 3600 and server.hits["/later"] == 1
    assert "Retry-After" in result.error


def test_retry_after_as_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None


def test_timeout_is_a_per_feed_error(server):
    def stall(handler):
        time.sleep(1.5)
        send(handler, 200, FEED)

    server.routes["/stall"] = stall
    limits = replace(LIMITS, read_timeout_s=0.3, max_retries=1)
    result = fetch_one(server.url("/stall"), limits)
    assert result.error_kind == "timeout" and result.attempts == 2


def test_oversized_body_is_cut_off(server):
    server.routes["/huge"] = lambda h: send(h, 200, b"<rss>" + b"x" * 200_000)
    result = fetch_one(server.url("/huge"), replace(LIMITS, max_body_bytes=100_000))
    assert result.error_kind == "too_large" and result.body is None


def test_gzip_bomb_is_cut_off_on_decoded_size(server):
    bomb = gzip.compress(b"<" * 5_000_000)

    def serve_bomb(handler):
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        handler.wfile.write(bomb)

    server.routes["/bomb"] = serve_bomb
    result = fetch_one(server.url("/bomb"), replace(LIMITS, max_body_bytes=1_000_000))
    assert len(bomb) < 1_000_000 and result.error_kind == "too_large"


def test_redirects_are_followed_and_recorded(server):
    server.routes["/old"] = lambda h: send(h, 301, b"", {"Location": "/mid"})
    server.routes["/mid"] = lambda h: send(h, 302, b"", {"Location": server.url("/new")})
    server.routes["/new"] = lambda h: send(h, 200, FEED)
    result = fetch_one(server.url("/old"))
    assert result.ok and result.final_url == server.url("/new")
    assert [status for status, _ in result.redirects] == [301, 302]
    # Only an unbroken chain of permanent redirects moves the feed.
    assert result.permanent_redirect_url == server.url("/mid")


def test_redirect_loop_is_an_error(server):
    server.routes["/a"] = lambda h: send(h, 302, b"", {"Location": "/b"})
    server.routes["/b"] = lambda h: send(h, 302, b"", {"Location": "/a"})
    result = fetch_one(server.url("/a"))
    assert result.error_kind == "redirects" and "loop" in result.error


def test_loopback_is_refused_unless_allowed(server):
    server.routes["/ok"] = lambda h: send(h, 200, FEED)
    refused = fetch_one(server.url("/ok"), replace(LIMITS, allow_private_networks=False))
    assert refused.error_kind == "refused" and "allow_private_network" in refused.error
    assert server.hits["/ok"] == 0
    allowed_by_feed = fetch_one(
        server.url("/ok"), replace(LIMITS, allow_private_networks=False), allow_private_network=True
    )
    assert allowed_by_feed.ok


def test_non_http_scheme_is_refused():
    result = fetch_one("file:///etc/passwd")
    assert result.error_kind == "refused" and "scheme" in result.error


def test_connection_refused_is_a_network_error():
    with FeedServer() as dead:
        url = dead.url("/gone")
    result = fetch_one(url, replace(LIMITS, max_retries=1))
    assert result.error_kind == "network" and result.attempts == 2
