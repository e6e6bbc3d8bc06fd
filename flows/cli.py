"""The ``newswire`` command line: start flows, query the lake, inspect feeds.

Prefect is imported only inside the commands that run flows: ``newswire sql`` and
``newswire feeds list`` answer in well under a second and never start a Prefect server.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.cli_options import CatalogOption, DataDirOption
from flows.cli_orchestrate import register as register_orchestration
from flows.enrich_cli import enrich_command
from tasks.catalog import DEFAULT_CATALOG, SAMPLE_DIR, CatalogError, load_catalog, select_feeds
from tasks.datafiles import DataFileError
from tasks.enrich import EnrichmentRules
from tasks.settings import SettingsError, load_settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Poll news feeds into a queryable story history."
)
feeds_app = typer.Typer(no_args_is_help=True, help="The feed catalogue.")
app.add_typer(feeds_app, name="feeds")
app.command("enrich")(enrich_command)
console = Console()
errors = Console(stderr=True)


DEMO_QUERY = """
SELECT title, appearance_count AS copies, outlets, strftime(published_at, '%Y-%m-%d %H:%M') AS published
FROM stories
ORDER BY appearance_count DESC, published_guessed, published_at DESC
LIMIT 8
""".strip()


DEMO_ENRICHMENT_QUERY = """
SELECT coalesce(wire_agency, '(' || origin || ')') AS agency, count(*) AS stories,
       count(*) FILTER (WHERE in_region) AS in_region, count(*) FILTER (WHERE syndicated) AS republished
FROM stories GROUP BY ALL ORDER BY stories DESC LIMIT 8
""".strip()


# `newswire stats`: the last runs of every flow. A run's `errors` is a JSON object
# {feed_id: message}, so it is counted by its keys.
RECENT_RUNS_QUERY = """
SELECT run_id, flow, strftime(committed_at, '%m-%d %H:%M') AS "when",
       summary->>'feeds_polled' AS feeds, summary->>'not_modified' AS "304",
       summary->>'new_appearances' AS new, summary->>'new_stories' AS stories,
       summary->>'duplicates_merged' AS merged,
       coalesce(len(json_keys(summary->'errors')), 0) AS errors
FROM runs ORDER BY committed_at DESC LIMIT 10
"""


def _data_dir(data_dir: Path | None) -> Path:
    return Path(data_dir or os.environ.get("NEWSWIRE_HOME") or "data")


def _fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=2)


def _prepare_prefect(data_dir: Path) -> None:
    from flows.prefect_env import configure_prefect_environment

    configure_prefect_environment(data_dir)


def _print_summary(summary) -> None:
    table = Table(title=f"Run {summary.run_id}", title_justify="left")
    for column in ("feed", "status", "entries", "new", "new stories", "error"):
        table.add_column(column, overflow="fold", max_width=70 if column == "error" else None)
    for report in summary.feeds:
        style = "red" if report.error else None
        table.add_row(
            report.feed_id,
            report.status,
            str(report.entries),
            str(report.new_appearances),
            str(report.new_stories),
            report.error or "",
            style=style,
        )
    console.print(table)
    console.print(
        f"[bold]{summary.feeds_polled}[/] feeds polled, [bold]{summary.not_modified}[/] not modified (304), "
        f"{summary.unchanged} unchanged, [bold]{summary.new_appearances}[/] new appearances, "
        f"{summary.updated_appearances} updated, [bold]{summary.new_stories}[/] new stories, "
        f"{summary.duplicates_merged} duplicates merged, [bold]{len(summary.errors)}[/] feeds with errors."
    )
    if summary.text_repaired or summary.identity_collisions:
        console.print(
            f"{summary.text_repaired} entries had text that cannot be stored (repaired, see entry_warnings), "
            f"{summary.identity_collisions} entries shared an id with another of their document (both kept)."
        )


def _is_disk_full(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(error):  # DuckDB's IOException says it in words
            return True
        error = error.__cause__ or error.__context__
    return False


def _run_ingest(data_dir: Path, **parameters):
    _prepare_prefect(data_dir)
    from flows.ingest import ingest as ingest_flow

    return ingest_flow(data_dir=str(data_dir), **parameters)


@app.command()
def ingest(
    catalog: CatalogOption = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Only this feed id (repeatable).")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only feeds with this tag (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Poll every selected feed, due or not.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Poll the feeds that are due and load new stories."""
    data_dir = _data_dir(data_dir)
    catalog_path = catalog or DEFAULT_CATALOG
    try:
        select_feeds(load_catalog(catalog_path), feed, tag)
        load_settings(data_dir)
        # The desk's data files (agencies, boilerplate, region gazetteer): a typo there is
        # refused here, before Prefect starts or any feed is fetched.
        EnrichmentRules.load()
    except (CatalogError, SettingsError, DataFileError) as error:
        _fail(str(error))
    try:
        summary = _run_ingest(
            data_dir, catalog=str(catalog_path), feed_ids=feed or None, tags=tag or None, force=force
        )
    except Exception as error:
        if not _is_disk_full(error):
            raise
        _fail(
            f"the disk holding {data_dir} is full ({error}). Readers see nothing of this run; "
            "free space and rerun: the next run finishes or discards what this one left."
        )
    _print_summary(summary)


@app.command()
def demo(data_dir: DataDirOption = None) -> None:
    """Serve the bundled offline sample on loopback, ingest it, and query the result."""
    from flows.feed_server import FeedServer

    data_dir = _data_dir(data_dir)
    sample_catalog = SAMPLE_DIR / "catalog.toml"
    with FeedServer(SAMPLE_DIR) as server:
        console.print(f"Serving the offline sample from {SAMPLE_DIR} at {server.base_url}")
        console.print("Starting Prefect (embedded, no server needed; the first start takes ~20 s)...")
        summary = _run_ingest(
            data_dir,
            catalog=str(sample_catalog),
            catalog_substitutions={"base": server.base_url},
            force=True,
        )
    _print_summary(summary)
    console.print(f'\n[bold]Sample query[/] (newswire sql --data-dir {data_dir} "..."):\n{DEMO_QUERY}\n')
    _print_query(data_dir, DEMO_QUERY, "table")
    totals = (
        "SELECT (SELECT count(*) FROM stories) AS stories, (SELECT count(*) FROM appearances) AS appearances"
    )
    _print_query(data_dir, totals, "table")
    console.print("\n[bold]Who wrote them[/] (enrichment columns, docs/enrichment.md):")
    _print_query(data_dir, DEMO_ENRICHMENT_QUERY, "table")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _print_query(data_dir: Path, query: str, output: str) -> None:
    import duckdb

    from warehouse.views import open_reader

    con = open_reader(data_dir)
    try:
        result = con.execute(query)
        columns = [d[0] for d in result.description] if result.description else []
        rows = result.fetchall()
    except duckdb.Error as error:
        _fail(f"query failed: {error}")
    finally:
        con.close()
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])
    elif output == "json":
        print(
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], default=str, ensure_ascii=False
            )
        )
    else:
        table = Table(show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*[_cell(v) for v in row])
        console.print(table)


@app.command()
def sql(
    query: Annotated[
        str,
        typer.Argument(
            help="SQL over the views: stories, appearances, story_versions, fetches, feed_state, runs."
        ),
    ],
    output: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    data_dir: DataDirOption = None,
) -> None:
    """Run a read-only SQL query against the lake (works while an ingest is running)."""
    if output not in ("table", "csv", "json"):
        _fail(f"--format must be table, csv or json, not {output!r}")
    _print_query(_data_dir(data_dir), query, output)


@app.command()
def stats(data_dir: DataDirOption = None) -> None:
    """What the warehouse holds, and how the last runs and feeds went."""
    data_dir = _data_dir(data_dir)
    _print_query(
        data_dir,
        """
        SELECT (SELECT count(*) FROM stories) AS stories,
               (SELECT count(*) FROM appearances) AS appearances,
               (SELECT count(DISTINCT feed_id) FROM appearances) AS feeds_with_items,
               (SELECT count(*) FROM fetches) AS fetches,
               (SELECT min(published_at)::DATE FROM stories) AS oldest,
               (SELECT max(published_at)::DATE FROM stories) AS newest
    """,
        "table",
    )
    from warehouse.views import open_reader

    con = open_reader(data_dir)
    has_state = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()} >= {
        "runs",
        "feed_state",
    }
    con.close()
    if has_state:
        _print_query(data_dir, RECENT_RUNS_QUERY, "table")
        _print_query(
            data_dir,
            """
            SELECT feed_id, health, consecutive_failures AS failures, last_status, last_error
            FROM feed_state WHERE last_error IS NOT NULL ORDER BY consecutive_failures DESC, feed_id
        """,
            "table",
        )


@app.command()
def dedupe(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Re-cluster every appearance with the current feeds/dedupe.toml and rewrite what moved.",
        ),
    ] = False,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Thresholds TOML to rebuild with (default: feeds/dedupe.toml)."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Near-duplicate story clusters: how many, and (--rebuild) re-cluster the history."""
    data_dir = _data_dir(data_dir)
    if rebuild:
        from flows.dedupe import rebuild_clusters
        from tasks.cluster import load_policy

        try:
            thresholds = load_policy(policy)
        except (OSError, ValueError) as error:
            _fail(f"cannot read the dedupe policy {policy}: {error}")
        with console.status("Re-clustering the history (holds the writer lock)..."):
            report = rebuild_clusters(data_dir, thresholds)
        console.print(
            f"Rebuild {report.run_id}: {report.appearances} appearances in {report.stories} stories; "
            f"{report.reassigned_appearances} appearances moved, {report.stories_written} stories rewritten, "
            f"{report.stories_retired} stories retired."
        )
    _print_query(
        data_dir,
        """
        SELECT count(*) AS stories,
               count(*) FILTER (WHERE appearance_count > 1) AS with_copies,
               count(*) FILTER (WHERE len(outlets) > 1) AS multi_outlet,
               coalesce(max(appearance_count), 0) AS largest
        FROM stories
        """,
        "table",
    )


@feeds_app.command("list")
def feeds_list(
    catalog: CatalogOption = None,
    tag: Annotated[list[str] | None, typer.Option("--tag")] = None,
) -> None:
    """The feeds in a catalogue."""
    try:
        feeds = select_feeds(load_catalog(catalog or DEFAULT_CATALOG), None, tag)
    except CatalogError as error:
        _fail(str(error))
    table = Table(title=f"{len(feeds)} feeds")
    for column in ("id", "name", "kind", "lang", "country", "tags", "url"):
        table.add_column(column, overflow="fold")
    for feed in feeds:
        table.add_row(
            feed.id, feed.name, feed.kind, feed.language, feed.country, ", ".join(feed.tags), feed.url
        )
    console.print(table)


@feeds_app.command("check")
def feeds_check(
    catalog: CatalogOption = None,
    feed: Annotated[list[str] | None, typer.Option("--feed")] = None,
) -> None:
    """Fetch and parse each feed once (nothing is stored): is the URL alive and a feed?"""
    from tasks.fetch import FetchRequest, fetch_feeds
    from tasks.parse import parse_document

    try:
        feeds = select_feeds(load_catalog(catalog or DEFAULT_CATALOG), feed, None)
    except CatalogError as error:
        _fail(str(error))
    settings = load_settings()
    drops, feeds = [f for f in feeds if f.path], [f for f in feeds if not f.path]
    requests = [FetchRequest(f.id, f.url, allow_private_network=f.allow_private_network) for f in feeds]
    with console.status(f"Fetching {len(requests)} feeds..."):
        results = fetch_feeds(requests, settings.fetch)
    table = Table(title="Feed check")
    for column in ("id", "status", "format", "entries", "problem"):
        table.add_column(column, overflow="fold")
    broken = 0
    for f, result in zip(feeds, results, strict=True):
        document = None
        if result.body is not None:
            document = parse_document(
                result.body,
                result.headers,
                result.final_url or f.url,
                settings.fetch.max_body_bytes,
                f.format,
            )
        problem = result.error or (document.error if document else None)
        if result.permanent_redirect_url and not problem:
            problem = f"moved permanently to {result.permanent_redirect_url}: update the catalogue"
        broken += bool(result.error or (document and document.error))
        table.add_row(
            f.id,
            str(result.status or result.error_kind),
            document.format if document else "",
            str(len(document.entries)) if document else "",
            problem or "",
            style="red" if problem else None,
        )
    broken += _check_drops(drops, settings, table)
    console.print(table)
    if broken:
        raise typer.Exit(code=1)


def _check_drops(drops, settings, table: Table) -> int:
    """Drop directories in ``feeds check``: read and parse every settled file (as if none
    had been picked up before); nothing is stored. Returns the number of broken ones."""
    from tasks.drop import pick_up_drop

    broken = 0
    for f in drops:
        pickup = pick_up_drop(f, {}, settings)
        problem = pickup.result.error or pickup.parse_error
        broken += bool(problem)
        formats = sorted({d.document.format for d in pickup.files if d.document})
        table.add_row(
            f.id,
            pickup.result.error_kind or f"{len(pickup.files)} files",
            ", ".join(formats),
            str(len(pickup.entries)),
            problem or "",
            style="red" if problem else None,
        )
    return broken


register_orchestration(
    app,
    feeds_app,
    data_dir_of=_data_dir,
    fail=_fail,
    prepare_prefect=_prepare_prefect,
    print_summary=_print_summary,
)

if __name__ == "__main__":
    app()
