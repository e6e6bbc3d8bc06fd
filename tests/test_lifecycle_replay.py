"""Offline replay through the real CLI: article pages fetched for full-text feeds are
landed raw and recorded, so an archive replay with the site down keeps the bodies; and a
stored payload that does not parse is reported, like a poll reports it."""

from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from conftest import SAMPLE_CATALOG, SAMPLE_DIR, ingest_sample
from newswire.cli.app import app
from newswire.cli.demo_server import FeedServer
from newswire.warehouse.views import open_reader

runner = CliRunner()
FULLTEXT_CATALOG = SAMPLE_DIR / "catalog-fulltext.toml"
BODIES = "SELECT appearance_id, revision, body FROM appearances ORDER BY appearance_id"


def _catalog_for(server: FeedServer, catalog, tmp_path):
    path = tmp_path / catalog.name
    path.write_text(catalog.read_text().replace("{base}", server.base_url))
    return path


def _backfill(catalog, data_dir, *feeds: str):
    arguments = ["backfill", "--source", "archive", "--from", "2000-01-01", "--to", "2100-01-01"]
    arguments += ["--catalog", str(catalog), "--data-dir", str(data_dir)]
    for feed in feeds:
        arguments += ["--feed", feed]
    return runner.invoke(app, arguments, terminal_width=250)


def test_archive_replay_with_the_site_down_keeps_the_bodies(prefect_server, data_dir, tmp_path, monkeypatch):
    from newswire.flows.ingest import ingest

    with FeedServer(SAMPLE_DIR) as server:
        catalog = _catalog_for(server, FULLTEXT_CATALOG, tmp_path)
        first = ingest(catalog=str(catalog), data_dir=str(data_dir), force=True)
        assert first.errors == []
    con = open_reader(data_dir)
    before = con.execute(BODIES).fetchall()
    con.close()
    full = [body for _, _, body in before if body]  # the pages' full text
    assert len(full) >= 1 and max(map(len, full)) > 1000
    state = duckdb.connect(str(data_dir / "state" / "writer.duckdb"), read_only=True)
    pages = state.execute("SELECT count(*) FROM article_pages").fetchone()[0]
    state.close()
    assert pages >= len(full)

    # The reason to replay: today's normaliser differs (here: shorter summaries), so the
    # entries change and want their pages again. The server is stopped: the site is down.
    monkeypatch.setenv("NEWSWIRE_NORMALISE_MAX_SUMMARY_CHARS", "60")
    result = _backfill(catalog, data_dir)
    assert result.exit_code == 0, result.output
    con = open_reader(data_dir)
    after = con.execute(BODIES).fetchall()
    con.close()
    assert max(revision for _, revision, _ in after) == 2  # the replay did write new revisions
    assert {a: body for a, _, body in after} == {a: body for a, _, body in before}  # bodies kept


def test_archive_replay_reports_a_payload_that_does_not_parse(
    prefect_server, sample_server, data_dir, tmp_path
):
    ingest_sample(data_dir, sample_server, feed_ids=["vesti-kg-broken", "24kg-en"])
    catalog = _catalog_for(sample_server, SAMPLE_CATALOG, tmp_path)
    result = _backfill(catalog, data_dir, "vesti-kg-broken", "24kg-en")
    assert result.exit_code == 3, result.output  # done, but a feed failed (cli/exit_codes.py)
    said = " ".join(result.output.split())
    assert "does not parse" in said and "1 feeds with errors" in said
