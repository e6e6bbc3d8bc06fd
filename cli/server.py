"""``newswire server status | stop``: the background Prefect server that ingest, backfill
and maintain start once per data directory and reuse (flows/runtime/background_server.py)."""

from __future__ import annotations

import os

import typer

from newswire.cli.options import DataDirOption, settings_for
from newswire.cli.output import console


def _home(data_dir) -> os.PathLike:
    """The data directory's Prefect home, after stopping temporary servers that a killed
    run left there (they are no background server, and nothing else would stop them)."""
    from newswire.flows.runtime.prefect_env import configure_prefect_environment, reap_orphans

    configure_prefect_environment(settings_for(data_dir).data_dir)
    from pathlib import Path

    home = Path(os.environ["PREFECT_HOME"])
    reap_orphans(home, console.print)
    return home


def server_status(data_dir: DataDirOption = None) -> None:
    """Is the data directory's background Prefect server running, and where (exit 3 if not)."""
    from newswire.flows.runtime.background_server import running_server

    home = _home(data_dir)
    record = running_server(home)
    if record is None:
        console.print(f"No background Prefect server is running for {home}.")
        raise typer.Exit(code=3)
    console.print(f"Prefect server running (pid {record.pid}): UI {record.ui_url}   API {record.api_url}")
    console.print(f"log: {record.log_path}")


def server_stop(data_dir: DataDirOption = None) -> None:
    """Stop the data directory's background Prefect server (the next flow starts it again)."""
    from newswire.flows.runtime.background_server import stop_server

    home = _home(data_dir)
    record = stop_server(home)
    if record is None:
        console.print(f"No background Prefect server was running for {home}.")
        return
    console.print(f"Stopped the Prefect server (pid {record.pid}, {record.api_url}).")
