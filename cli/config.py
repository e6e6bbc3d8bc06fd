"""``newswire config``: the effective settings and where each came from (command line,
environment, desk profile, default), after the same validation every command runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from newswire.cli.options import DataDirOption, settings_for
from newswire.cli.output import console


def config(
    data_dir: DataDirOption = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the settings reference (docs/settings.md) instead.")
    ] = False,
) -> None:
    """Print every setting's effective value and its source (exit 2 if one is invalid)."""
    from newswire.tasks.settings import effective_settings

    if markdown:
        from newswire.cli.settings_doc import settings_reference

        typer.echo(settings_reference(), nl=False)
        return

    settings = settings_for(data_dir)
    table = Table(title="newswire settings", title_justify="left")
    for column in ("setting", "value", "source"):
        table.add_column(column, overflow="fold")
    for row in effective_settings(settings, data_dir):
        table.add_row(
            row.name, escape(row.value), row.source, style="bold" if row.source != "default" else None
        )
    console.print(table)
