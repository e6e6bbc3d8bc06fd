"""Routes for cli.demo_server.FeedServer that misbehave the ways real feed servers do:
resets, slow drips, lies about length, bombs, endless bodies, redirect tricks, throttling.

Shared by the reliability tests and benchmarks/reliability_report.py.
"""

from __future__ import annotations

import gzip
import random
import socket
import struct
import threading
import time
from collections import Counter
from email.utils import formatdate
from functools import cache
from pathlib import Path

import brotli

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.settings import FetchLimits

# Short limits so every fault resolves in seconds; the loopback server needs private access.
FAULT_LIMITS = FetchLimits(
    connect_timeout_s=1,
    # Longer than the slow drip's 1 s between bytes: only the total budget can stop it.
    read_timeout_s=2,
    total_timeout_s=3,
    max_retries=0,
    backoff_base_s=0.05,
    max_body_bytes=2 * 1024 * 1024,
    max_retry_after_s=5,
    allow_private_networks=True,
)
# The same without private access: what SSRF cases run with.
STRICT_LIMITS = FetchLimits(connect_timeout_s=1, read_timeout_s=1, total_timeout_s=3, max_retries=0)

GOOD_FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Good</title>'
    b"<item><title>Almaty metro extension opens</title><link>https://example.org/good-1</link>"
    b"<guid>good-1</guid><description>The line now reaches the airport.</description></item>"
    b"</channel></rss>"
)


@cache
def brotli_bomb() -> bytes:
    """256 MB of zeros in ~400 bytes: one network chunk inflates to all of it."""
    return brotli.compress(b"\0" * (256 * 1024 * 1024), quality=5)


@cache
def gzip_bomb() -> bytes:
    """64 MB of zeros in ~65 KB."""
    return gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=6)


def _headers(handler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def _reset(handler) -> None:
    """Close with RST instead of FIN (SO_LINGER 0): what a crashed peer or a middlebox does."""
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def good(handler) -> None:
    send(handler, 200, GOOD_FEED, {"Content-Type": "application/rss+xml", "ETag": '"good"'})


def reset_mid_body(handler) -> None:
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(GOOD_FEED))})
    handler.wfile.write(GOOD_FEED[:40])
    _reset(handler)


def slow_drip(handler) -> None:
    """Slowloris: one byte per second, forever within the test's patience."""
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(GOOD_FEED))})
    for byte in GOOD_FEED:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(1.0)


def slow_headers(handler) -> None:
    """The status line and headers one byte per 0.5 s (within any read timeout), then the feed."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Content-Length: %d\r\nX-Padding: %s\r\n\r\n" % (len(GOOD_FEED), b"." * 40)
    )
    for byte in head:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.5)
    handler.wfile.write(GOOD_FEED)


def never_answers(handler) -> None:
    time.sleep(30)


def endless_body(handler) -> None:
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"})
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(GOOD_FEED[:-17]), GOOD_FEED[:-17]))
    chunk = b"<item><title>again</title></item>" * 2000
    while True:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def fifty_mb_declared(handler) -> None:
    size = 50 * 1024 * 1024
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(size)})
    handler.wfile.write(b"<rss><channel><title>")
    chunk = b"A" * (1024 * 1024)
    for _ in range(49):
        handler.wfile.write(chunk)


def fifty_mb_one_element(handler) -> None:
    """50 MB of one element, chunked: no length to refuse early."""
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"})
    chunk = b"A" * (1024 * 1024)
    handler.wfile.write(b"%x\r\n%s\r\n" % (21, b"<rss><channel><title>"))
    for _ in range(50):
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    handler.wfile.write(b"0\r\n\r\n")


def _bomb(encoding: str, payload: bytes):
    def route(handler) -> None:
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": encoding}
        _headers(handler, 200, {**headers, "Content-Length": str(len(payload))})
        handler.wfile.write(payload)

    return route


def zstd_encoded(handler) -> None:
    """An encoding we never asked for (and could not decode with a bound)."""
    _headers(handler, 200, {"Content-Encoding": "zstd", "Content-Length": "4"})
    handler.wfile.write(b"\x28\xb5\x2f\xfd")


def length_too_long(handler) -> None:
    """Declares more than it sends, then closes."""
    _headers(
        handler, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(GOOD_FEED) + 500)}
    )
    handler.wfile.write(GOOD_FEED)
    handler.close_connection = True


def length_too_short(handler) -> None:
    """Declares less than it sends: the rest is garbage on the connection."""
    _headers(handler, 200, {"Content-Type": "application/rss+xml", "Content-Length": "60"})
    handler.wfile.write(GOOD_FEED + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!")


def redirect(status: int, location: str):
    def route(handler) -> None:
        _headers(handler, status, {"Location": location, "Content-Length": "0"})

    return route


def not_modified_without_validators(handler) -> None:
    _headers(handler, 304, {})


def _throttle_once(status: int, retry_after) -> object:
    calls = Counter()

    def route(handler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            value = retry_after() if callable(retry_after) else retry_after
            _headers(handler, status, {"Retry-After": value, "Content-Length": "0"})
        else:
            good(handler)

    return route


def install(server: FeedServer) -> dict[str, str]:
    """Add every misbehaving route; returns name -> URL."""
    routes = {
        "/good": good,
        "/reset-mid-body": reset_mid_body,
        "/slow-drip": slow_drip,
        "/slow-headers": slow_headers,
        "/never-answers": never_answers,
        "/endless": endless_body,
        "/fifty-mb-declared": fifty_mb_declared,
        "/fifty-mb-one-element": fifty_mb_one_element,
        "/gzip-bomb": _bomb("gzip", gzip_bomb()),
        "/brotli-bomb": _bomb("br", brotli_bomb()),
        "/zstd": zstd_encoded,
        "/length-too-long": length_too_long,
        "/length-too-short": length_too_short,
        "/loop-a": redirect(302, "/loop-b"),
        "/loop-b": redirect(302, "/loop-a"),
        "/to-file": redirect(302, "file:///etc/passwd"),
        "/to-metadata": redirect(302, "http://169.254.169.254/latest/meta-data/"),
        "/to-localhost": redirect(302, server.url("/good").replace("127.0.0.1", "localhost")),
        "/to-loopback": redirect(307, server.url("/good")),
        "/304-no-validators": not_modified_without_validators,
        "/429-seconds": _throttle_once(429, "1"),
        "/503-date": _throttle_once(503, lambda: formatdate(time.time() + 2, usegmt=True)),
        "/503-too-long": _throttle_once(503, "3600"),
    }
    for status in (301, 302, 307, 308):
        routes[f"/moved-{status}"] = redirect(status, "/good")
    for hop in range(1, 21):
        routes[f"/chain/{hop}"] = redirect(302, f"/chain/{hop - 1}" if hop > 1 else "/good")
    server.routes.update(routes)
    return {path: server.url(path) for path in routes}


def feed_toml(feed_id: str, path: str, country: str = "KG") -> str:
    """One catalogue entry for a route of the loopback server (``{base}`` substituted by the run)."""
    return (
        f'[[feed]]\nid = "{feed_id}"\nname = "{feed_id}"\nurl = "{{base}}{path}"\nkind = "outlet"\n'
        f'language = "en"\ncountry = "{country}"\nallow_private_network = true\n\n'
    )


def ingest_routes(server: FeedServer, feeds: dict[str, str], work_dir: Path):
    """One real ingest (the Prefect flow) of ``feeds`` (feed id -> path on ``server``),
    into ``work_dir``/data; returns the run summary."""
    from newswire.flows.ingest import ingest

    catalog = work_dir / "catalog.toml"
    catalog.write_text("".join(feed_toml(feed_id, path) for feed_id, path in feeds.items()))
    return ingest(
        catalog=str(catalog),
        catalog_substitutions={"base": server.base_url},
        data_dir=str(work_dir / "data"),
        force=True,
    )


def refused_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


class FlakyRoute:
    """Fails about ``failure_rate`` of requests at random (500, 503, reset, truncated body,
    stall) and otherwise serves a feed whose items are a pure function of the path, so a
    soak can check every item arrives exactly once."""

    def __init__(self, failure_rate: float = 0.2, seed: int = 7):
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.failures: Counter[str] = Counter()

    def __call__(self, handler) -> None:
        with self.lock:
            roll = self.random.random()
            kind = self.random.choice(("500", "503", "reset", "truncated", "stall"))
        if roll < self.failure_rate:
            with self.lock:
                self.failures[kind] += 1
            if kind in ("500", "503"):
                _headers(handler, int(kind), {"Content-Length": "0"})
            elif kind == "reset":
                _headers(handler, 200, {"Content-Length": "400"})
                _reset(handler)
            elif kind == "truncated":
                _headers(handler, 200, {"Content-Length": "400"})
                handler.wfile.write(b"<rss><channel>")
                handler.close_connection = True
            else:
                time.sleep(3)
            return
        feed_no = handler.path.rsplit("/", 1)[-1]
        items = "".join(
            f"<item><guid>feed{feed_no}-item{i}</guid><title>Feed {feed_no} item {i}</title>"
            f"<link>https://example.org/{feed_no}/{i}</link></item>"
            for i in range(3)
        )
        body = f'<rss version="2.0"><channel><title>{feed_no}</title>{items}</channel></rss>'
        send(handler, 200, body.encode(), {"Content-Type": "application/rss+xml"})
