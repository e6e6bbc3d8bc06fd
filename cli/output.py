"""What every ``newswire`` command prints with: the consoles, the one way to refuse
(``fail``), the run summary table and query results in table, CSV or JSON."""

from __future__ import annotations

import csv
import errno
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Refuse with a clear message and exit code 2 (nothing was done). The message is
    printed verbatim: catalogue errors quote TOML like ``[defaults]`` that Rich would
    otherwise take for markup and drop. Never hard-wrapped (``soft_wrap``): the message
    names files and settings an operator copies, and a line break inside a long path
    breaks the copy (the terminal still wraps it for the eye)."""
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=code)


def is_disk_full(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(error):  # DuckDB's IOException says it in words
            return True
        error = error.__cause__ or error.__context__
    return False


def print_summary(summary) -> None:
    """A flow's ``RunSummary`` (flows/run.py): one row per feed, then the totals."""
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
    for feed_id, not_read in summary.entries_not_read.items():
        console.print(
            f"feed {feed_id}: {not_read:,} entries past the per-document cap were not read "
            "(NEWSWIRE_MAX_ENTRIES_PER_FEED; the fetch's parse_warnings say more)."
        )
    if summary.text_repaired or summary.identity_collisions:
        console.print(
            f"{summary.text_repaired} entries had text that cannot be stored (repaired, see entry_warnings), "
            f"{summary.identity_collisions} entries shared an id with another of their document (both kept)."
        )


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def print_query(data_dir: Path, query: str, output: str = "table") -> None:
    """Run one of newswire's own read-only queries over the lake's views and print it."""
    import duckdb

    from newswire.warehouse.queries import run_query

    try:
        columns, rows = run_query(data_dir, query)
    except duckdb.Error as error:
        fail(f"query failed: {error}")
    print_result(columns, rows, output)


def print_result(columns: list[str], rows: list[tuple], output: str = "table") -> None:
    """Query results as a table, CSV or JSON (one JSON array per statement)."""
    if output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[cell(v) for v in row] for row in rows])
    elif output == "json":
        print(
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], default=str, ensure_ascii=False
            )
        )
    else:
        table = Table(show_lines=False)
        for column in columns:
            table.add_column(escape(column), overflow="fold")
        for row in rows:
            table.add_row(*[escape(cell(v)) for v in row])
        console.print(table)
