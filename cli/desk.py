"""What the desk reads, on the command line: ``newswire outputs`` lists the saved queries
(feeds/outputs.toml) with their republished files, and the demo's closing lines."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from newswire.cli.options import DataDirOption, settings_for
from newswire.cli.output import console, fail
from newswire.tasks.datafiles import DataFileError
from newswire.warehouse.outputs import outputs_dir


def outputs(data_dir: DataDirOption = None) -> None:
    """The saved queries (feeds/outputs.toml): stories matching now, files, alert rule."""
    settings = settings_for(data_dir)
    try:
        config = settings.desk.saved_queries()
    except DataFileError as error:
        fail(str(error))
    print_outputs(settings.data_dir, config)


def start_story_site(settings, port: int):
    """The story page of ``newswire serve`` (cli/story_site.py), started on loopback."""
    from newswire.cli.story_site import StorySite

    try:
        site = StorySite(settings.data_dir, settings.desk, port=port).start()
    except OSError as error:
        fail(f"cannot serve the story page on 127.0.0.1:{port}: {error.strerror} (--web-port 0: off)")
    console.print(f"Story page and feeds: {site.base_url}/")
    return site


def print_outputs(data_dir: Path, config) -> None:
    # Imported here: DuckDB and pyarrow cost ~1 s to import under load, and every command
    # (ingest's first line too) imports this module to register it.
    from newswire.warehouse.desk_queries import SavedQueryRefused, stories_matching

    target = outputs_dir(data_dir)
    table = Table(title=f"saved queries ({config.path.name}) -> {target}", title_justify="left")
    for column in ("query", "stories", "atom", "json feed", "alerts"):
        table.add_column(column)
    for query in config.queries:
        try:
            count = str(len(stories_matching(data_dir, query.filters, query.limit)))
        except SavedQueryRefused as error:
            count = f"[red]{error}[/]"
        files = [target / f"{query.name}{suffix}" for suffix in (".atom.xml", ".json")]
        shown = [f.name if f.exists() else "(not written yet)" for f in files]
        table.add_row(query.name, count, *shown, ", ".join(query.alert.notify) if query.alert else "")
    console.print(table)
