"""Server-side request forgery: a feed URL must not reach loopback, private, link-local or
multicast addresses — directly, through a redirect, or through a DNS name — unless the feed
or the operator allows it. The check is on the address actually connected to."""

from __future__ import annotations

import socket

import misbehaving
import pytest

from newswire.cli.demo_server import FeedServer
from newswire.tasks.fetch import FetchRequest, fetch_feeds
from newswire.tasks.settings import FetchLimits

STRICT = misbehaving.STRICT_LIMITS

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def internal():
    """The service an attacker wants to reach: it counts every request it gets."""
    with FeedServer() as server:
        misbehaving.install(server)
        yield server


def _port(server: FeedServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",  # a DNS name (/etc/hosts) that resolves to loopback
        "2130706433",  # 127.0.0.1 as one decimal number
        "127.1",
        "0.0.0.0",  # connects to loopback on Linux
        "[::ffff:127.0.0.1]",
    ],
)
def test_loopback_in_any_spelling_is_refused(internal, host):
    result = fetch_feeds([FetchRequest("ssrf", f"http://{host}:{_port(internal)}/good")], STRICT)[0]
    assert result.error_kind == "refused", result.error
    assert "server-side request forgery" in result.error
    assert sum(internal.hits.values()) == 0


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "10.1.2.3", "192.168.0.1", "224.0.0.251", "[fe80::1]"]
)
def test_private_link_local_and_multicast_literals_are_refused_before_connecting(address):
    result = fetch_feeds([FetchRequest("ssrf", f"http://{address}/latest/meta-data/")], STRICT)[0]
    assert result.error_kind == "refused" and result.attempts == 1
    assert result.elapsed_s < 0.5


def test_a_feed_that_allows_private_networks_reaches_them(internal):
    requests = [
        FetchRequest("allowed", internal.url("/good"), allow_private_network=True),
        FetchRequest("strict", internal.url("/good")),
    ]
    allowed, strict = fetch_feeds(requests, STRICT)
    assert allowed.ok and allowed.body == misbehaving.GOOD_FEED
    # Same URL, same run: the allowed feed's pooled connection never serves the strict one.
    assert strict.error_kind == "refused"
    assert internal.hits["/good"] == 1


@pytest.mark.parametrize("address", ["169.254.169.254", "[fe80::1]", "224.0.0.251"])
def test_allowing_private_networks_never_opens_link_local_or_multicast(address):
    """169.254.169.254 is the cloud metadata service; something answers there even on the
    build machine. A feed allowed onto the intranet still may not reach it."""
    request = FetchRequest("ssrf", f"http://{address}/latest/meta-data/", allow_private_network=True)
    result = fetch_feeds([request], STRICT)[0]
    assert result.error_kind == "refused"
    assert "(link-local)" in result.error or "(multicast)" in result.error


@pytest.fixture
def allowed_origin(internal):
    """A feed server on 127.0.0.2, allowed by NEWSWIRE_FETCH_ALLOWED_NETWORKS-style config,
    that redirects to places it must not take us."""
    with FeedServer(host="127.0.0.2") as origin:
        misbehaving.install(origin)
        origin.routes["/to-internal"] = misbehaving.redirect(302, internal.url("/good"))
        origin.routes["/to-internal-by-name"] = misbehaving.redirect(
            301, f"http://localhost:{_port(internal)}/good"
        )
        yield origin


@pytest.mark.parametrize("path", ["/to-internal", "/to-internal-by-name", "/to-metadata", "/to-file"])
def test_redirect_from_an_allowed_origin_to_a_forbidden_one_is_refused(internal, allowed_origin, path):
    limits = FetchLimits(**{**STRICT.__dict__, "allowed_networks": "127.0.0.2/32"})
    assert fetch_feeds([FetchRequest("ok", allowed_origin.url("/good"))], limits)[0].ok
    result = fetch_feeds([FetchRequest("ssrf", allowed_origin.url(path))], limits)[0]
    assert result.error_kind == "refused", result.error
    assert result.redirects and allowed_origin.hits[path] == 1
    assert sum(internal.hits.values()) == 0


def test_dns_rebinding_cannot_swap_the_address_after_the_check(internal, monkeypatch):
    """A hostile DNS server answers a public address to the first lookup and loopback to
    every later one. Checking the name and then letting the client resolve it again
    would connect to loopback; the guard resolves once and connects to what it checked."""
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        if host not in ("rebind.example", b"rebind.example"):  # anyio passes IDNA bytes
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    result = fetch_feeds([FetchRequest("ssrf", f"http://rebind.example:{_port(internal)}/good")], STRICT)[0]
    assert not result.ok, result
    assert sum(internal.hits.values()) == 0
    assert len(lookups) == 1, result.error
