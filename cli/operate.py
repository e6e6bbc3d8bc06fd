"""``newswire serve``, ``backfill`` and ``maintain``: the scheduling and operations side of
the CLI.

Parameters are validated before Prefect is imported, so a wrong date or feed id is refused
in well under a second instead of after Prefect's start-up.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from newswire.cli.desk import start_story_site
from newswire.cli.exit_codes import EXIT_SOME_FEEDS_FAILED, run_exit_code
from newswire.cli.options import DEFAULT_WEB_PORT, CatalogOption, DataDirOption, reader_settings, settings_for
from newswire.cli.output import console, errors, fail, print_summary
from newswire.cli.run_lines import RunLines
from newswire.flows.runtime.prefect_env import (
    connect_prefect,
    run_flow_for,
    warehouse_tags,
)
from newswire.tasks.catalog import CatalogError, load_catalog, select_feeds

# Ten minutes: most outlets publish a few items an hour, and adaptive polling decides per
# feed whether it is actually due; the run itself is cheap when nothing is.
DEFAULT_INGEST_INTERVAL_MINUTES = 10
# 02:30 local: after the evening news cycle, before the morning one.
DEFAULT_MAINTAIN_CRON = "30 2 * * *"

PROGRESS_COLUMNS = (
    TextColumn("[bold]{task.description}"),
    BarColumn(),
    TextColumn("{task.completed}/{task.total} feeds"),
    TextColumn("{task.fields[pages]} pages, {task.fields[items]} items"),
    TextColumn("{task.fields[rate]:.1f} items/s"),
    TimeElapsedColumn(),
    TimeRemainingColumn(),
)


def backfill(
    start: Annotated[
        datetime, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.", formats=["%Y-%m-%d"])
    ],
    end: Annotated[datetime, typer.Option("--to", help="Last day (UTC), inclusive.", formats=["%Y-%m-%d"])],
    source: Annotated[str, typer.Option("--source", help="archive | pages | sitemap")] = "pages",
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Feed id (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Feed tag (repeatable).")] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", help="Pages/sitemaps per feed.")] = 50,
    max_items: Annotated[int, typer.Option("--max-items", help="Items in total.")] = 5000,
    catalog: CatalogOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Load a date range of feeds' past (archive | pages | sitemap); re-running adds nothing.

    archive replays stored raw payloads with today's code; pages walks older feed pages
    (RFC 5005 links, ?paged=N / ?page=N); sitemap walks sitemap indexes and news sitemaps.
    """
    from newswire.tasks.backfill_request import BackfillRefused, validate_request

    settings = settings_for(data_dir)
    catalog_path = catalog or settings.desk.catalog
    parameters = dict(
        start=start.date(),
        end=end.date(),
        source=source,
        feed_ids=feed or None,
        tags=tag or None,
        max_pages=max_pages,
        max_items=max_items,
    )
    try:
        _, feeds = validate_request(load_catalog(catalog_path), **parameters)
    except (BackfillRefused, CatalogError) as error:
        fail(str(error))
    connect_prefect(console.print)
    from newswire.flows.backfill import backfill as backfill_flow

    with Progress(*PROGRESS_COLUMNS, console=console) as progress:
        bar = progress.add_task(f"backfill {source}", total=len(feeds), pages=0, items=0, rate=0.0)
        with _BarListener(progress, bar):
            summary = run_flow_for(settings.data_dir, backfill_flow, catalog=str(catalog_path), **parameters)
        progress.update(bar, completed=len(feeds))
    print_summary(summary)
    raise typer.Exit(code=run_exit_code(summary))


class _BarListener:
    """While the backfill flow runs in this process, its progress counters drive the bar."""

    def __init__(self, progress: Progress, bar) -> None:
        self.progress, self.bar, self.started = progress, bar, datetime.now()
        self.listener: Callable | None = None

    def show(self, state) -> None:
        elapsed = max((datetime.now() - self.started).total_seconds(), 1e-6)
        self.progress.update(
            self.bar,
            completed=state.feeds_done,
            pages=state.pages,
            items=state.items,
            rate=state.items / elapsed,
        )

    def __enter__(self):
        from newswire.flows.steps.backfill_sources import PROGRESS_LISTENERS

        PROGRESS_LISTENERS.append(self.show)
        return self

    def __exit__(self, *exc) -> None:
        from newswire.flows.steps.backfill_sources import PROGRESS_LISTENERS

        PROGRESS_LISTENERS.remove(self.show)


def maintain(data_dir: DataDirOption = None) -> None:
    """Compact small Parquet files per partition and refresh the views catalogue."""
    data_dir = reader_settings(data_dir).data_dir
    connect_prefect(console.print)
    from newswire.flows.maintain import maintain as maintain_flow

    report = run_flow_for(data_dir, maintain_flow)
    table = Table(title=f"maintain {report.run_id}", title_justify="left")
    for column in ("table", "partition", "files before", "files after", "rows"):
        table.add_column(column)
    for p in report.partitions:
        table.add_row(p.table, p.partition, str(p.files_before), str(p.files_after), str(p.rows))
    console.print(table)
    console.print(
        f"{report.files_checked} committed files checked against the ledger, "
        f"{len(report.partitions)} partitions compacted, {report.files_removed} files removed, "
        "views refreshed."
    )
    _report_foreign_files(data_dir)
    if report.quarantined:
        errors.print(
            f"{len(report.quarantined)} committed lake files are missing or damaged and quarantined "
            "(their rows are left out; put a good copy back at the path and the next run re-admits it):"
        )
        for damage in report.quarantined:
            errors.print(f"  {escape(damage)}")
        raise typer.Exit(EXIT_SOME_FEEDS_FAILED)


def _report_foreign_files(data_dir: Path) -> None:
    from newswire.warehouse.lake import foreign_files
    from newswire.warehouse.lake_store import LakeStore
    from newswire.warehouse.schema import TABLES

    lake = LakeStore.for_data_dir(Path(data_dir))
    lake_dir = lake.url
    stray = foreign_files(lake, TABLES)
    if stray:
        names = ", ".join(stray[:10])
        more = f" and {len(stray) - 10} more" if len(stray) > 10 else ""
        errors.print(
            f"{len(stray)} files in {lake_dir} are not newswire's (only part-*.parquet are): "
            f"{escape(names)}{more}. The views and compaction ignore them; move them out of the lake."
        )


def serve(
    catalog: CatalogOption = None,
    interval: Annotated[
        int, typer.Option("--interval", help="Minutes between ingest runs.", min=1)
    ] = DEFAULT_INGEST_INTERVAL_MINUTES,
    maintain_cron: Annotated[str, typer.Option("--maintain-cron", help="When maintain runs.")] = (
        DEFAULT_MAINTAIN_CRON
    ),
    timezone: Annotated[str, typer.Option("--timezone", help="Time zone of --maintain-cron.")] = "UTC",
    web_port: Annotated[
        int, typer.Option("--web-port", help="Story page and feeds on 127.0.0.1:PORT (0: off).", min=0)
    ] = DEFAULT_WEB_PORT,
    data_dir: DataDirOption = None,
) -> None:
    """Run ingest every --interval minutes and maintain nightly, until Ctrl-C; serve the
    story page and the saved queries' feeds on --web-port meanwhile.

    Schedules need a real Prefect server: without PREFECT_API_URL, the user's background
    server (started if need be, left running on exit like after any command; `newswire
    server stop`). Prints one line per committed run and the UI address.
    """
    settings = settings_for(data_dir)
    catalog_path = str(Path(catalog or settings.desk.catalog).resolve())
    try:
        select_feeds(load_catalog(catalog_path))
    except CatalogError as error:
        fail(str(error))
    connect_prefect(console.print)  # the operator's server, else the user's background one
    api_url = os.environ["PREFECT_API_URL"]
    console.print(f"Prefect UI: {api_url.removesuffix('/').removesuffix('/api')}   API: {api_url}")
    console.print(
        f"From another shell: PREFECT_API_URL={api_url} "
        "prefect deployment run 'backfill/backfill' --param start=YYYY-MM-DD --param end=YYYY-MM-DD"
    )
    site = start_story_site(settings, web_port) if web_port else None
    # A service manager stops us with SIGTERM: unwind like Ctrl-C.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with RunLines(settings.data_dir, lambda line: console.print(escape(line), highlight=False)):
            _serve_deployments(
                catalog_path, str(settings.data_dir.resolve()), interval, maintain_cron, timezone
            )
    finally:
        if site is not None:
            site.stop()


def _exit_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def _serve_deployments(catalog: str, data_dir: str, interval: int, maintain_cron: str, timezone: str) -> None:
    from prefect import serve as prefect_serve
    from prefect.schedules import Cron, Interval

    from newswire.flows.backfill import backfill
    from newswire.flows.ingest import ingest
    from newswire.flows.maintain import maintain

    tags = list(warehouse_tags(Path(data_dir)))
    prefect_serve(
        ingest.to_deployment(
            name="ingest",
            schedules=[Interval(timedelta(minutes=interval))],
            parameters={"catalog": catalog, "data_dir": data_dir},
            tags=tags,
        ),
        maintain.to_deployment(
            name="maintain",
            schedules=[Cron(maintain_cron, timezone=timezone)],
            parameters={"data_dir": data_dir},
            tags=tags,
        ),
        # By hand only: `prefect deployment run 'backfill/backfill' --param start=...`.
        backfill.to_deployment(
            name="backfill", parameters={"catalog": catalog, "data_dir": data_dir}, tags=tags
        ),
    )
