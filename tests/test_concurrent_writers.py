"""A scheduled ingest and a hand-triggered backfill at the same time on one warehouse:
both finish, the second waits for the first (and says so), and the result is exactly
what running them one after the other gives."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sites import NewsSite, write_catalog

from newswire.cli.demo_server import FeedServer
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

NEWEST = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
RANGE = dict(start=date(2026, 11, 5), end=date(2026, 11, 20))


class _Messages(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _snapshot(data_dir):
    con = open_reader(data_dir)
    try:
        return (
            sorted(
                con.execute(
                    "SELECT appearance_id, revision, story_id, feed_id, content_hash FROM appearances"
                ).fetchall()
            ),
            sorted(
                con.execute(
                    "SELECT story_id, revision, representative_appearance_id, title FROM stories"
                ).fetchall()
            ),
        )
    finally:
        con.close()


def test_ingest_and_backfill_at_once_equal_sequential(prefect_server, tmp_path):
    from newswire.flows.backfill import backfill
    from newswire.flows.ingest import ingest
    from newswire.flows.runtime.writer_slot import writer_limit_name
    from newswire.warehouse.writer import Warehouse

    with FeedServer() as server:
        site = NewsSite(server, "/wire", NEWEST, 40, timedelta(days=1))
        archive_route = server.routes["/wire/archive/feed.xml"]

        # The ingest fetches inside its writer slot: once its feed is asked for, it holds
        # the slot, and only then does the backfill start (a fixed head start lost the race
        # on a loaded machine, where the flow took longer than that to reach its slot).
        ingest_in_slot = threading.Event()

        def slow_feed(handler):  # keeps the ingest inside its writer slot for a while
            ingest_in_slot.set()
            time.sleep(2)
            archive_route(handler)

        server.routes["/wire/archive/feed.xml"] = slow_feed
        catalog = write_catalog(
            tmp_path / "catalog.toml",
            [
                {
                    "id": "wire-archive",
                    "name": "Wire",
                    "url": site.url("/archive/feed.xml"),
                    "outlet": "wire",
                },
                {"id": "wire-wp", "name": "Wire WP", "url": site.url("/wp/feed/"), "outlet": "wire"},
            ],
        )

        def run_ingest(data_dir):
            return ingest(catalog=catalog, data_dir=str(data_dir), feed_ids=["wire-archive"], force=True)

        def run_backfill(data_dir):
            return backfill(
                **RANGE, source="pages", catalog=catalog, data_dir=str(data_dir), feed_ids=["wire-wp"]
            )

        sequential = tmp_path / "sequential"
        run_ingest(sequential)
        run_backfill(sequential)

        concurrent = tmp_path / "concurrent"
        results: dict[str, object] = {}
        failures: list[BaseException] = []

        def call(name, function):
            try:
                results[name] = function(concurrent)
            except BaseException as error:  # surfaced below
                failures.append(error)

        messages = _Messages()
        prefect_logger = logging.getLogger("prefect")
        prefect_logger.addHandler(messages)
        try:
            first = threading.Thread(target=call, args=("ingest", run_ingest))
            second = threading.Thread(target=call, args=("backfill", run_backfill))
            ingest_in_slot.clear()  # the sequential ingest above asked for it too
            first.start()
            assert ingest_in_slot.wait(120), "the ingest never asked for its feed"
            second.start()
            first.join(180)
            second.join(180)
        finally:
            prefect_logger.removeHandler(messages)

    assert not failures, failures
    assert results["ingest"].new_appearances == 10
    assert results["backfill"].new_appearances == 16 and results["backfill"].duplicates_merged == 10
    assert any("one writer at a time" in m for m in messages.messages), messages.messages
    assert _snapshot(concurrent) == _snapshot(sequential)

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(writer_limit_name(Warehouse(concurrent)))
    assert limit.limit == 1 and limit.active_slots == 0  # created by the first writer, released
