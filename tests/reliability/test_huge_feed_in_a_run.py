"""One real ingest (Prefect flow, loopback server, DuckDB, Parquet) of a 10 MB feed of
200,000 entries beside a normal one: the first 5,000 entries (the default cap) are
stored, the rest are reported as not read — in the run summary and the fetch's warnings —
and the other feed loads. Peak memory is measured by benchmarks/feed_memory.py, not here."""

from __future__ import annotations

import misbehaving
import pytest

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.settings import Settings
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.timeout(300)

ENTRIES = 200_000
CAP = Settings().max_entries_per_feed


def _huge_feed() -> bytes:
    items = b"".join(b"<item><guid>%d</guid><title>%x</title></item>" % (i, i) for i in range(ENTRIES))
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>' + items + b"</channel></rss>"
    )


@pytest.mark.sweep
def test_a_feed_of_200000_entries_is_cut_at_the_cap_with_a_warning(prefect_server, tmp_path):
    body = _huge_feed()
    assert 9_000_000 < len(body) < Settings().fetch.max_body_bytes
    with FeedServer() as server:
        misbehaving.install(server)
        server.routes["/huge.xml"] = lambda handler: send(
            handler, 200, body, {"Content-Type": "application/rss+xml"}
        )
        summary = misbehaving.ingest_routes(server, {"huge": "/huge.xml", "good": "/good"}, tmp_path)
    by_feed = {report.feed_id: report for report in summary.feeds}
    assert by_feed["huge"].error is None and by_feed["huge"].entries == CAP
    assert summary.entries_not_read == {"huge": ENTRIES - CAP}
    assert summary.as_dict()["entries_not_read"] == {"huge": ENTRIES - CAP}
    assert by_feed["good"].error is None and by_feed["good"].new_appearances == 1
    con = open_reader(tmp_path / "data")
    try:
        stored = dict(con.execute("SELECT feed_id, count(*) FROM appearances GROUP BY feed_id").fetchall())
        (past_the_cap,) = con.execute(
            "SELECT count(*) FROM appearances WHERE feed_id = 'huge' AND CAST(guid AS INT) >= ?",
            [CAP],
        ).fetchone()
        (warnings,) = con.execute("SELECT parse_warnings FROM fetches WHERE feed_id = 'huge'").fetchone()
    finally:
        con.close()
    assert stored == {"huge": CAP, "good": 1}
    assert past_the_cap == 0  # the document's first entries (newest first in real feeds)
    assert any(
        f"{ENTRIES:,} entries in the document; only the first {CAP:,} were read" in w for w in warnings
    )
