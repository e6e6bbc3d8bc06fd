"""``newswire server status | stop``: the background Prefect server that ingest, backfill
and maintain start once per Prefect home (one per user unless PREFECT_HOME says otherwise)
and reuse, for every data directory (flows/runtime/background_server.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from newswire.cli.output import console


def _home() -> Path:
    """The Prefect home, after stopping temporary servers that a killed run left there
    (they are no background server, and nothing else would stop them)."""
    from newswire.flows.runtime.prefect_env import configure_prefect_environment, reap_orphans

    home = configure_prefect_environment()
    reap_orphans(home, console.print)
    return home


def server_status() -> None:
    """Is the background Prefect server running, and where (exit 3 if not)."""
    from newswire.flows.runtime.background_server import running_server

    home = _home()
    record = running_server(home)
    if record is None:
        console.print(f"No background Prefect server is running for {home}.")
        raise typer.Exit(code=3)
    console.print(f"Prefect server running (pid {record.pid}): UI {record.ui_url}   API {record.api_url}")
    console.print(f"home: {home}   log: {record.log_path}")


def server_stop() -> None:
    """Stop the background Prefect server (the next flow command starts it again)."""
    from newswire.flows.runtime.background_server import stop_server

    home = _home()
    record = stop_server(home)
    if record is None:
        console.print(f"No background Prefect server was running for {home}.")
        return
    console.print(f"Stopped the Prefect server (pid {record.pid}, {record.api_url}).")
