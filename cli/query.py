"""``newswire sql``, ``stats``, ``dedupe`` and ``links``: reading the lake (and re-clustering
or re-linking it).

Readers never open the writer's database (STACK-NOTES.md): every query here runs over the
Parquet lake's views, so it answers while an ingest is running.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from newswire.cli.options import DataDirOption, reader_settings
from newswire.cli.output import console, fail, print_query, print_result


def sql(
    query: Annotated[
        str | None,
        typer.Argument(
            help="SQL over the views: stories, appearances, story_versions, fetches, feed_state, runs. "
            "'-' or nothing reads it from stdin; it may start with a -- comment.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the SQL from this file.", dir_okay=False)
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    data_dir: DataDirOption = None,
) -> None:
    """Run read-only SQL (queries only) against the lake; works while an ingest is running."""
    import duckdb

    from newswire.warehouse.analyst_sql import QueryRefused, run_analyst_sql

    if output not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {output!r}")
    text = _sql_text(query, file)
    settings = reader_settings(data_dir)
    try:
        results = run_analyst_sql(settings.data_dir, text)
    except QueryRefused as error:
        fail(f"refused: {error}")
    except duckdb.Error as error:
        fail(f"query failed: {error}")
    for result in results:
        print_result(result.columns, result.rows, output)


def _sql_text(query: str | None, file: Path | None) -> str:
    """The SQL from the argument, --file or stdin (exactly one of them)."""
    if query not in (None, "-") and file is not None:
        fail("give the SQL either as an argument or with --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read the SQL file {file}: {error}")
    if query not in (None, "-"):
        return query
    if sys.stdin.isatty():
        fail('no SQL given: newswire sql "SELECT ...", --file query.sql, or pipe it on stdin')
    return sys.stdin.read()


def stats(data_dir: DataDirOption = None) -> None:
    """What the warehouse holds, and how the last runs and feeds went."""
    # warehouse.queries imports DuckDB and pyarrow: only the commands that query pay for it.
    from newswire.warehouse.queries import (
        FAILING_FEEDS_QUERY,
        RECENT_RUNS_QUERY,
        WAREHOUSE_STATS_QUERY,
        has_state_snapshots,
    )

    data_dir = reader_settings(data_dir).data_dir
    print_query(data_dir, WAREHOUSE_STATS_QUERY)
    if has_state_snapshots(data_dir):
        print_query(data_dir, RECENT_RUNS_QUERY)
        print_query(data_dir, FAILING_FEEDS_QUERY)


def dedupe(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Re-cluster every appearance with the desk's current dedupe policy and rewrite what moved.",
        ),
    ] = False,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Thresholds TOML to rebuild with (default: the desk's dedupe policy)."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Near-duplicate story clusters: how many, and (--rebuild) re-cluster the history."""
    settings = reader_settings(data_dir)
    if rebuild:
        from newswire.flows.rebuild import rebuild_clusters
        from newswire.tasks.cluster import load_policy

        try:
            thresholds = load_policy(policy or settings.desk.dedupe_policy)
        except (OSError, ValueError) as error:
            fail(f"cannot read the dedupe policy {policy}: {error}")
        with console.status("Re-clustering the history (holds the writer lock)..."):
            report = rebuild_clusters(settings.data_dir, thresholds)
        console.print(
            f"Rebuild {report.run_id}: {report.appearances} appearances in {report.stories} stories; "
            f"{report.reassigned_appearances} appearances moved, {report.stories_written} stories rewritten, "
            f"{report.stories_retired} stories retired."
        )
    from newswire.warehouse.queries import CLUSTER_STATS_QUERY

    print_query(settings.data_dir, CLUSTER_STATS_QUERY)



def links(
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Link the whole history again with the current rules and link model "
            "(after a rule or NEWSWIRE_LINK_MODEL change, or a failed link step).",
        ),
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Translation and event links: how many, and (--rebuild) re-link the history."""
    settings = reader_settings(data_dir)
    if rebuild:
        from newswire.flows.steps.link import rebuild_links

        with console.status("Re-linking the history (holds the writer lock)..."):
            report = rebuild_links(settings.data_dir, model_name=settings.link_model)
        console.print(
            f"Rebuild {report.run_id}: {report.stories} stories linked with model {settings.link_model}; "
            f"{report.translations} translation and {report.same_event} same-event links, "
            f"{report.events} events of two or more stories."
        )
    from newswire.warehouse.queries import LINK_STATS_QUERY

    print_query(settings.data_dir, LINK_STATS_QUERY)
