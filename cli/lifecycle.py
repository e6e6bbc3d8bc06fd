"""``newswire migrate``, ``export`` and ``prune``: keeping a warehouse for years.

A warehouse of another schema version is refused by every other command with a message
naming both versions; ``migrate`` upgrades an older one in place (warehouse/migrations.py).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from newswire.cli.options import DataDirOption, settings_for
from newswire.cli.output import console, fail


def refuse_other_schema_versions(command: Callable) -> Callable:
    """Wrap a command so a warehouse of another schema version is a clear refusal (exit
    code 2), not a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as error:
            # Not imported up front: the module imports DuckDB (~1 s under load), which a
            # command's first line must not wait for; a command that raised it has it loaded.
            versions = sys.modules.get("newswire.warehouse.versions")
            if versions is None or not isinstance(error, versions.SchemaVersionError):
                raise
            fail(str(error))

    return run


# Version 2 keeps the near-duplicate index per appearance (docs/dedupe.md); a warehouse
# migrated from before it has an empty index until it is refilled from the lake.
PER_APPEARANCE_INDEX_VERSION = 2


def _refill_near_duplicate_index(data_dir) -> None:
    """Re-cluster the history once so new copies match stories stored before the upgrade
    (the same re-clustering `newswire dedupe --rebuild` does)."""
    from newswire.flows.rebuild import rebuild_clusters

    console.print("  refilling the near-duplicate index from the lake (once, after this upgrade)...")
    rebuilt = rebuild_clusters(data_dir)
    console.print(
        f"  {rebuilt.appearances} appearances indexed in {rebuilt.stories} stories "
        f"({rebuilt.reassigned_appearances} moved, {rebuilt.stories_written} story revisions written)"
    )


def migrate(data_dir: DataDirOption = None) -> None:
    """Upgrade the warehouse to this newswire's schema version (forward steps, each
    committed with its version bump: a killed migration is finished by running it again)."""
    from newswire.warehouse.writer import Warehouse

    warehouse = Warehouse(settings_for(data_dir).data_dir)

    def show(step) -> None:
        console.print(f"  step to version {step.to_version}: {step.name}")

    report = warehouse.migrate(on_step=show)
    if report.steps:
        console.print(
            f"migrated {warehouse.data_dir} from schema version {report.from_version} "
            f"to {report.to_version} ({len(report.steps)} step(s))"
        )
    if report.from_version < PER_APPEARANCE_INDEX_VERSION <= report.to_version:
        _refill_near_duplicate_index(warehouse.data_dir)
    else:
        console.print(f"{warehouse.data_dir} is at schema version {report.to_version}; nothing to migrate")


def export(
    start: Annotated[
        datetime, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.", formats=["%Y-%m-%d"])
    ],
    end: Annotated[datetime, typer.Option("--to", help="Last day (UTC), inclusive.", formats=["%Y-%m-%d"])],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files and manifest.json to.")],
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="stories | appearances | story_versions | fetches | ... (repeatable)."),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="parquet | csv | jsonl")] = "parquet",
    data_dir: DataDirOption = None,
) -> None:
    """Export a date range of committed rows (by the `date` partition: publication date,
    fetch date for fetches), one file per table plus manifest.json with the schema version."""
    from newswire.warehouse.export import ExportRefused
    from newswire.warehouse.export import export as export_tables

    settings = settings_for(data_dir)
    try:
        report = export_tables(
            settings.data_dir,
            start.date(),
            end.date(),
            table or ["stories", "appearances"],
            output,
            out,
            on_table=lambda t: console.print(f"  {t.table}: {t.rows} rows -> {out / t.file}"),
        )
    except ExportRefused as error:
        fail(str(error))
    console.print(
        f"exported {sum(t.rows for t in report.tables)} rows of {len(report.tables)} table(s), "
        f"{report.start}..{report.end}, schema version {report.schema_version}, to {out}"
    )


def prune(
    raw_older_than: Annotated[
        int | None,
        typer.Option("--raw-older-than", help="Days; default NEWSWIRE_RETENTION_RAW_DAYS (0 = keep all)."),
    ] = None,
    fetches_older_than: Annotated[
        int | None,
        typer.Option(
            "--fetches-older-than", help="Days; default NEWSWIRE_RETENTION_FETCHES_DAYS (0 = keep all)."
        ),
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Delete (without it: a dry run).")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Delete raw payloads and fetch records older than the retention policy (a dry run
    unless --apply). Stories and appearances are never pruned."""
    from datetime import UTC

    from rich.progress import Progress

    from newswire.flows.run import new_run_id
    from newswire.warehouse.retention import prune as prune_warehouse
    from newswire.warehouse.writer import Warehouse

    settings = settings_for(data_dir)
    raw_days = settings.retention.raw_days if raw_older_than is None else raw_older_than
    fetches_days = settings.retention.fetches_days if fetches_older_than is None else fetches_older_than
    if raw_days < 0 or fetches_days < 0:
        fail("retention days must not be negative")
    if not raw_days and not fetches_days:
        fail(
            "no retention policy: give --raw-older-than / --fetches-older-than days, or set "
            "NEWSWIRE_RETENTION_RAW_DAYS / NEWSWIRE_RETENTION_FETCHES_DAYS"
        )
    warehouse = Warehouse(settings.data_dir)
    with warehouse.writer(on_wait=console.print), Progress(console=console, transient=True) as progress:
        bar = progress.add_task("raw store", total=None)
        report = prune_warehouse(
            warehouse,
            new_run_id("prune"),
            datetime.now(UTC),
            raw_days=raw_days,
            fetches_days=fetches_days,
            dry_run=not apply,
            on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )
    print_prune_report(report)


def print_prune_report(report) -> None:
    verb = "would delete" if report.dry_run else "deleted"
    if report.raw_days:
        console.print(
            f"raw payloads older than {report.raw_days} days: {verb} {report.raw_objects_pruned} of "
            f"{report.raw_objects_seen} ({report.raw_bytes_pruned / 1e6:.1f} MB); "
            f"{report.raw_kept_current} kept as a feed's current body"
        )
    if report.fetches_days:
        console.print(
            f"fetch records older than {report.fetches_days} days: {verb} {report.fetch_rows_pruned} rows "
            f"in {len(report.fetch_partitions_pruned)} day partitions "
            f"({report.fetch_bytes_pruned / 1e6:.1f} MB)"
        )
    if report.dry_run:
        console.print("dry run: nothing was deleted; rerun with --apply to delete")
