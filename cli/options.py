"""Typer options shared by every ``newswire`` command module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tasks.catalog import DEFAULT_CATALOG

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Warehouse directory (default: $NEWSWIRE_HOME or ./data)."),
]
CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help=f"Feed catalogue TOML (default: {DEFAULT_CATALOG.name}).")
]
