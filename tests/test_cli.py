"""CLI commands that do not start Prefect: catalogue listing and checking, SQL, stats."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import SAMPLE_CATALOG
from newswire.cli.app import app

runner = CliRunner()


def test_feeds_list_shows_the_shipped_catalogue():
    result = runner.invoke(app, ["feeds", "list", "--tag", "kyrgyzstan"])
    assert result.exit_code == 0
    assert "24kg" in result.output and "feeds" in result.output


def test_feeds_check_reports_dead_and_broken_feeds(sample_server, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        SAMPLE_CATALOG.read_text(encoding="utf-8").replace("{base}", sample_server.base_url)
        + f'\n[[feed]]\nid = "gone"\nname = "Gone"\nurl = "{sample_server.base_url}/feeds/nope.xml"\n'
        'kind = "outlet"\nlanguage = "en"\ncountry = "KZ"\nallow_private_network = true\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["feeds", "check", "--catalog", str(catalog)], terminal_width=200)
    assert result.exit_code == 3
    assert "HTTP 404" in result.output and "not a parseable feed" in result.output
    assert "rss20" in result.output and "atom10" in result.output


def test_bad_catalogue_is_a_clear_error_before_any_work(tmp_path):
    catalog = tmp_path / "bad.toml"
    catalog.write_text('[[feed]]\nid = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--catalog", str(catalog), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "bad.toml" in result.output and "missing required key(s)" in result.output
    assert not (tmp_path / "d").exists()


def test_sql_and_stats_work_on_an_empty_warehouse(tmp_path):
    from newswire.warehouse.writer import Warehouse

    with Warehouse(tmp_path).writer():  # what the first run does before it loads anything
        pass
    result = runner.invoke(
        app, ["sql", "--data-dir", str(tmp_path), "--format", "json", "SELECT count(*) AS n FROM stories"]
    )
    assert result.exit_code == 0 and json.loads(result.output) == [{"n": 0}]
    result = runner.invoke(app, ["stats", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "stories" in result.output


def test_sql_error_is_reported_not_raised(tmp_path):
    (tmp_path / "writer.lock").touch()
    result = runner.invoke(app, ["sql", "--data-dir", str(tmp_path), "SELECT * FROM nowhere"])
    assert result.exit_code == 2 and "query failed" in result.output
