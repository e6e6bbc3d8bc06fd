"""``newswire ingest`` and ``newswire demo``: one poll of the feeds, on demand.

Prefect is imported only once the parameters are checked: a wrong feed id or a broken desk
file is refused in well under a second instead of after Prefect's start-up.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from newswire.cli.desk_check import check_desk_files
from newswire.cli.exit_codes import EXIT_NOTHING_DONE, run_exit_code
from newswire.cli.options import CatalogOption, DataDirOption, first_line_inputs, settings_for
from newswire.cli.output import console, errors, fail, is_disk_full, print_query, print_summary
from newswire.tasks.catalog import CatalogError, load_catalog, select_feeds
from newswire.tasks.datafiles import DataFileError
from newswire.tasks.desk import SAMPLE_DIR


def run_ingest(data_dir: Path, **parameters):
    """The ingest flow in this process, against PREFECT_API_URL or the user's background
    Prefect server (started by the first command that needs it)."""
    from newswire.flows.runtime import stop
    from newswire.flows.runtime.prefect_env import connect_prefect, run_flow_for

    stop.enable(lambda message: errors.print(f"[yellow]{escape(message)}[/]"))
    connect_prefect(console.print)
    if stop.requested():
        fail("stopped before the run started; nothing was done", code=stop.exit_code())
    from newswire.flows.ingest import ingest as ingest_flow

    return run_flow_for(data_dir, ingest_flow, **parameters)


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
    data_path, desk = first_line_inputs(data_dir)
    catalog_path = catalog or desk.catalog
    try:
        selected = select_feeds(load_catalog(catalog_path), feed, tag)
    except CatalogError as error:
        fail(str(error))
    # The first line, before anything slow (settings validation, the desk's data files,
    # Prefect): what is polled.
    console.print(
        f"{'Polling' if force else 'Checking'} {len(selected)} feeds from {catalog_path} "
        f"({'all of them' if force else 'those that are due'}) into {data_path}"
    )
    settings = settings_for(data_dir)
    try:
        # The desk's data files (agencies, boilerplate, region gazetteer): a typo there is
        # refused here, before Prefect starts or any feed is fetched (once per change of
        # the files: cli/desk_check.py).
        check_desk_files(settings.desk)
    except DataFileError as error:
        fail(str(error))
    summary = _run_or_fail(
        settings.data_dir, catalog=str(catalog_path), feed_ids=feed or None, tags=tag or None, force=force
    )
    print_summary(summary)
    raise typer.Exit(code=_stopped_exit_code(len(selected)) or run_exit_code(summary))


def _stopped_exit_code(selected: int) -> int | None:
    """130/143 when the operator stopped the run (what was committed is printed above)."""
    from newswire.flows.runtime import stop

    if not stop.requested():
        return None
    console.print(
        "Stopped before the end: the summary above is what was committed; feeds not fetched "
        f"(of the {selected} selected) stay due for the next run."
    )
    return stop.exit_code()


def _run_or_fail(data_dir: Path, **parameters):
    """``run_ingest``, or a one-paragraph refusal (exit 2) when the run could not finish."""
    try:
        return run_ingest(data_dir, **parameters)
    except Exception as error:
        if is_disk_full(error):
            fail(
                f"the disk holding {data_dir} is full ({error}). Readers see nothing of this run; "
                "free space and rerun: the next run finishes or discards what this one left."
            )
        traceback.print_exc()
        fail(
            f"the run could not finish ({type(error).__name__}: {error}); what it committed stays, "
            "and the next run finishes or discards anything it left half-done",
            code=EXIT_NOTHING_DONE,
        )


def demo(data_dir: DataDirOption = None) -> None:
    """Serve the bundled offline sample on loopback, ingest it, and query the result."""
    from newswire.cli.alert_receiver import AlertReceiver
    from newswire.cli.demo_server import FeedServer
    from newswire.cli.desk import print_outputs
    from newswire.warehouse.queries import DEMO_ENRICHMENT_QUERY, DEMO_QUERY, TOTALS_QUERY

    # The sample's saved queries (unless NEWSWIRE_OUTPUTS names others).
    os.environ.setdefault("NEWSWIRE_OUTPUTS", str(SAMPLE_DIR / "outputs.toml"))
    settings = settings_for(data_dir)
    data_dir = settings.data_dir
    with FeedServer(SAMPLE_DIR) as server, AlertReceiver() as alerts:
        # The sample's alerting query notifies ${NEWSWIRE_ALERT_URL}: this loopback receiver.
        os.environ.setdefault("NEWSWIRE_ALERT_URL", alerts.apprise_url)
        console.print(f"Serving the offline sample from {SAMPLE_DIR} at {server.base_url}")
        summary = run_ingest(
            data_dir,
            catalog=str(SAMPLE_DIR / "catalog.toml"),
            catalog_substitutions={"base": server.base_url},
            force=True,
        )
    print_summary(summary)
    console.print(f'\n[bold]Sample query[/] (newswire sql --data-dir {data_dir} "..."):\n{DEMO_QUERY}\n')
    print_query(data_dir, DEMO_QUERY)
    print_query(data_dir, TOTALS_QUERY)
    console.print("\n[bold]Who wrote them[/] (enrichment columns, docs/enrichment.md):")
    print_query(data_dir, DEMO_ENRICHMENT_QUERY)
    console.print("\n[bold]What the desk reads[/] (saved queries, served by `newswire serve`):")
    print_outputs(data_dir, settings.desk.saved_queries())
    console.print(f"{len(alerts.received)} alert(s) received by the demo's webhook receiver this run.")
    for alert in alerts.received[:5]:
        console.print(f"  - {alert.get('title')}")
