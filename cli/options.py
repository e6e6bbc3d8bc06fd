"""Typer options shared by every ``newswire`` command module, and the one way a command
turns ``--data-dir`` and the environment into ``Settings`` (tasks/settings.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newswire.cli.output import fail
from newswire.tasks.datafiles import DataFileError
from newswire.tasks.desk import DEFAULT_DESK, DeskProfile
from newswire.tasks.settings import Settings, SettingsError, load_settings, resolve_data_dir, resolve_desk

# The story page of ``newswire serve`` (cli/story_site.py), here so the command's option
# default needs no import of the site (which imports DuckDB) when the CLI starts.
DEFAULT_WEB_PORT = 8787

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Warehouse directory (default: $NEWSWIRE_HOME or ./data)."),
]
CatalogOption = Annotated[
    Path | None,
    typer.Option(
        "--catalog", help=f"Feed catalogue TOML (default: the desk's, {DEFAULT_DESK.catalog.name})."
    ),
]


def settings_for(data_dir: Path | None) -> Settings:
    """Settings for this command (data directory, desk profile, limits), or a clear refusal."""
    from newswire.warehouse.lake_store import LakeLocationError, LakeStore

    try:
        settings = load_settings(data_dir)
        LakeStore.for_data_dir(settings.data_dir)  # a lake URL at odds with the data dir's
        return settings
    except (SettingsError, DataFileError, LakeLocationError) as error:
        fail(str(error))


def first_line_inputs(data_dir: Path | None) -> tuple[Path, DeskProfile]:
    """The data directory and desk profile, without validating the limits: what a
    command's first line names. ``settings_for`` validates them next (pydantic-settings,
    0.3 s to import on an idle machine, seconds under load, must not delay that line)."""
    try:
        return resolve_data_dir(data_dir), resolve_desk()
    except (SettingsError, DataFileError) as error:
        fail(str(error))


def reader_settings(data_dir: Path | None) -> Settings:
    """``settings_for`` for a command that only reads (or maintains) a warehouse: a data dir
    that holds none is refused, not answered with zeros or created (only ingest, demo and
    backfill create one)."""
    from newswire.warehouse.writer import Warehouse

    settings = settings_for(data_dir)
    if not Warehouse.exists_at(settings.data_dir):
        fail(
            f"no newswire warehouse at {settings.data_dir.resolve()}; "
            "run `newswire ingest` or check NEWSWIRE_HOME / --data-dir"
        )
    return settings
