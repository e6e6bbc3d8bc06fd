"""Adaptive polling and feed health: intervals from a feed's rhythm and hints, backoff
that weighs soft errors less, dormant-not-dropped, recovery — over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sites import PAGE_SIZE, NewsSite, write_catalog

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.catalog import load_catalog
from newswire.tasks.fetch import FetchRequest, fetch_feeds
from newswire.tasks.schedule import freshness_hint_minutes, is_due, next_feed_state, poll_interval
from newswire.tasks.settings import FetchLimits, PollPolicy
from newswire.warehouse.queries import feed_health
from newswire.warehouse.writer import CommitBatch, Warehouse

POLICY = PollPolicy()
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# No retries inside a fetch: each poll below is one request.
LIMITS = FetchLimits(allow_private_networks=True, max_retries=0)


def _feed(tmp_path, url, **extra):
    return load_catalog(write_catalog(tmp_path / "c.toml", [{"id": "f", "name": "F", "url": url, **extra}]))[
        0
    ]


def _fetch(url):
    return fetch_feeds([FetchRequest("f", url, allow_private_network=True)], LIMITS)[0]


def test_hints_and_bounds(tmp_path):
    feed = _feed(tmp_path, "http://example.org/feed")
    assert freshness_hint_minutes({"cache-control": "public, max-age=3600"}, None) == 60
    assert freshness_hint_minutes({}, 90) == 90
    expires = {"date": "Fri, 27 Nov 2026 12:00:00 GMT", "expires": "Fri, 27 Nov 2026 14:00:00 GMT"}
    assert freshness_hint_minutes(expires, None) == 120
    assert freshness_hint_minutes({"cache-control": "no-cache"}, None) is None
    # A busy feed is polled at the floor, a quiet one at the ceiling, a hint is honoured.
    assert poll_interval(feed, POLICY, entry_gap_minutes=1.5) == timedelta(minutes=5)
    assert poll_interval(feed, POLICY, entry_gap_minutes=10 * 24 * 60) == timedelta(hours=24)
    assert poll_interval(feed, POLICY, entry_gap_minutes=20, hint_minutes=60) == timedelta(minutes=60)
    # No rhythm known yet: the catalogue's interval (the test catalogue has none: default).
    assert poll_interval(feed, POLICY) == timedelta(minutes=POLICY.default_interval_minutes)


def test_soft_errors_back_off_slower_than_hard_ones(tmp_path):
    with FeedServer() as server:
        server.routes["/gone"] = lambda h: send(h, 404, b"no")
        server.routes["/forbidden"] = lambda h: send(h, 403, b"no")
        states = {}
        for path in ("/gone", "/forbidden"):
            feed = _feed(tmp_path, server.url(path))
            state = None
            for _ in range(4):
                state = next_feed_state(feed, state, _fetch(feed.url), None, 0, None, "r", NOW, POLICY)
            states[path] = state
    assert states["/gone"]["last_error_kind"] == "http:soft"
    assert states["/forbidden"]["last_error_kind"] == "http:hard"
    assert states["/gone"]["poll_interval_minutes"] == 15 * 2**2  # 4 soft failures: 2^(4*0.5)
    assert states["/forbidden"]["poll_interval_minutes"] == 15 * 2**4
    assert states["/gone"]["health"] == states["/forbidden"]["health"] == "failing"


def test_permanent_redirect_updates_the_stored_url(tmp_path):
    with FeedServer() as server:
        server.routes["/old"] = lambda h: send(h, 301, b"", {"Location": server.url("/new")})
        server.routes["/new"] = lambda h: send(h, 200, b"<rss version='2.0'><channel/></rss>")
        feed = _feed(tmp_path, server.url("/old"))
        state = next_feed_state(feed, None, _fetch(feed.url), None, 0, 0, "r", NOW, POLICY)
    assert state["current_url"] == server.url("/new")
    assert state["url"] == feed.url  # the catalogue's URL is kept to notice catalogue edits


@pytest.mark.slow
@pytest.mark.sweep
def test_rhythm_dormancy_and_recovery_through_the_flow(prefect_server, tmp_path):
    from newswire.flows.ingest import ingest

    data_dir = tmp_path / "data"
    with FeedServer() as server:
        newest = datetime.now(UTC) - timedelta(hours=1)
        NewsSite(server, "/daily", newest, 12, timedelta(days=1))
        NewsSite(server, "/busy", newest, 12, timedelta(minutes=24 * 60 / 100))
        broken = {"up": False}
        daily_feed = server.url("/daily/archive/feed.xml")

        def flaky(handler):
            if broken["up"]:
                server.routes["/daily/archive/feed.xml"](handler)
            else:
                send(handler, 503, b"down for maintenance")

        server.routes["/flaky/feed.xml"] = flaky
        catalog = write_catalog(
            tmp_path / "catalog.toml",
            [
                {"id": "daily", "name": "Daily", "url": daily_feed},
                {"id": "busy", "name": "Busy", "url": server.url("/busy/archive/feed.xml")},
                {"id": "flaky", "name": "Flaky", "url": server.url("/flaky/feed.xml")},
            ],
        )
        ingest(catalog=catalog, data_dir=str(data_dir), feed_ids=["daily", "busy"])
        states = Warehouse(data_dir).feed_states()
        daily, busy = states["daily"]["poll_interval_minutes"], states["busy"]["poll_interval_minutes"]
        assert POLICY.min_interval_minutes <= busy < daily <= POLICY.max_interval_minutes
        assert daily == pytest.approx(12 * 60)  # half of a one-day gap
        assert busy == pytest.approx(7.2)  # half of a 14.4-minute gap

        # Twenty failed polls in a row (real 503s; no retries inside a poll).
        flaky_feed = load_catalog(catalog)[2]
        state = None
        for attempt in range(20):
            result = _fetch(flaky_feed.url)
            state = next_feed_state(
                flaky_feed,
                state,
                result,
                None,
                0,
                None,
                f"r{attempt}",
                NOW + timedelta(hours=attempt),
                POLICY,
            )
        assert state["health"] == "dormant" and state["consecutive_failures"] == 20
        assert state["poll_interval_minutes"] == POLICY.max_interval_minutes  # still retried, daily
        assert "HTTP 503" in state["last_error"]
        # Stored as the flow would; a day later the feed is due again (never dropped).
        state["next_poll_at"] = datetime.now(UTC) - timedelta(minutes=1)
        warehouse = Warehouse(data_dir)
        with warehouse.writer():
            warehouse.commit(
                CommitBatch(run_id="seed-dormant", flow="test", started_at=NOW, feed_state=[state])
            )
        assert is_due(flaky_feed, warehouse.feed_states()["flaky"], datetime.now(UTC))
        dormant = [r for r in feed_health(data_dir) if r["feed_id"] == "flaky"]
        assert dormant and dormant[0]["health"] == "dormant" and "503" in dormant[0]["last_error"]
        cli = subprocess.run(
            [sys.executable, "-m", "newswire", "feeds", "health", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
        )
        assert cli.returncode == 3, cli.stderr  # a dormant feed: exit 3 for a cron job to see
        assert "flaky" in cli.stdout and "dormant" in cli.stdout

        broken["up"] = True
        summary = ingest(catalog=catalog, data_dir=str(data_dir), feed_ids=["flaky"])
        assert summary.new_appearances == PAGE_SIZE and not summary.errors
    recovered = Warehouse(data_dir).feed_states()["flaky"]
    assert recovered["health"] == "active" and recovered["consecutive_failures"] == 0
    assert feed_health(data_dir) == []
