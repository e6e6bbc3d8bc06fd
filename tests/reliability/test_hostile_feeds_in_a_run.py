"""One real ingest (Prefect flow, loopback server, DuckDB, Parquet) where a third of the
feeds are hostile: each is one recorded per-feed error, and every other feed loads as
if they were not there."""

from __future__ import annotations

import misbehaving
import pytest
from hostile_cases import load_cases
from warehouse_checks import SAMPLE_CATALOG, debris, duplicates

from newswire.cli.demo_server import FeedServer, send
from newswire.tasks.desk import SAMPLE_DIR
from newswire.warehouse.views import open_reader

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HOSTILE_ROUTES = {
    "/reset-mid-body": "network",
    "/slow-drip": "timeout",
    "/never-answers": "timeout",
    "/endless": "too_large",
    "/brotli-bomb": "too_large",
    "/loop-a": "redirects",
    "/to-metadata": "refused",
    "/304-no-validators": "http",
}
HOSTILE_DOCUMENTS = {"quadratic-blowup-after-padding": None, "deep-nesting": "nest deeper than"}


def _feed_toml(feed_id: str, url: str) -> str:
    return (
        f'\n[[feed]]\nid = "{feed_id}"\nname = "Hostile {feed_id}"\nurl = "{url}"\nkind = "outlet"\n'
        'language = "en"\ncountry = "KG"\nallow_private_network = true\n'
    )


def test_hostile_feeds_cost_one_error_each_and_the_rest_of_the_run_is_unaffected(
    prefect_server, tmp_path, monkeypatch
):
    from newswire.flows.ingest import ingest

    monkeypatch.setenv("NEWSWIRE_FETCH_TOTAL_TIMEOUT_S", "4")
    monkeypatch.setenv("NEWSWIRE_FETCH_READ_TIMEOUT_S", "2")
    monkeypatch.setenv("NEWSWIRE_FETCH_MAX_RETRIES", "0")
    documents = {case.name: case.body for case in load_cases() if case.name in HOSTILE_DOCUMENTS}
    with FeedServer(SAMPLE_DIR) as server:
        misbehaving.install(server)
        catalog = SAMPLE_CATALOG.read_text()
        for path in HOSTILE_ROUTES:
            catalog += _feed_toml("h" + path.replace("/", "-"), "{base}" + path)
        for name, body in documents.items():
            server.routes[f"/doc/{name}"] = lambda handler, body=body: send(handler, 200, body)
            catalog += _feed_toml(f"doc-{name}", "{base}/doc/" + name)
        (tmp_path / "catalog.toml").write_text(catalog)
        data_dir = tmp_path / "data"
        summary = ingest(
            catalog=str(tmp_path / "catalog.toml"),
            catalog_substitutions={"base": server.base_url},
            data_dir=str(data_dir),
            force=True,
        )

    by_feed = {report.feed_id: report for report in summary.feeds}
    for path, kind in HOSTILE_ROUTES.items():
        report = by_feed["h" + path.replace("/", "-")]
        assert report.status == kind and report.error, (path, report)
    assert "nest deeper than" in by_feed["doc-deep-nesting"].error
    assert by_feed["doc-quadratic-blowup-after-padding"].entries == 1
    # The sample feeds load exactly as in a run without hostile company.
    sample_errors = [r.feed_id for r in summary.errors if not r.feed_id.startswith(("h-", "doc-"))]
    assert sample_errors == ["vesti-kg-broken"]
    con = open_reader(data_dir)
    try:
        appearances = con.execute(
            "SELECT count(*) FROM appearances WHERE feed_id NOT LIKE 'doc-%'"
        ).fetchone()[0]
        longest = con.execute("SELECT max(length(summary)) FROM appearances").fetchone()[0]
    finally:
        con.close()
    assert appearances == 180
    assert longest <= 20_000
    assert set(duplicates(data_dir).values()) == {0} and debris(data_dir) == []
