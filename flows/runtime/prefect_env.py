"""Prefect settings for a quiet, offline, embedded start — applied before Prefect is imported.

Without a server Prefect starts a temporary one per process; on 2 cores that takes 15-28 s
and the default 20 s start-up timeout fails about two runs in three (STACK-NOTES.md).
Anything the operator already set (e.g. PREFECT_API_URL for a real server) wins.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # The CLI prints its own summary; Prefect's INFO lines would bury it.
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def configure_prefect_environment(data_dir: Path) -> None:
    """Keep Prefect's home (its SQLite database, settings) inside our data directory
    unless the operator chose one."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("PREFECT_HOME", str(Path(data_dir).resolve() / "prefect"))
    # Prefect creates its home without parents and fails on a fresh data directory.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def connect_prefect(data_dir: Path, announce: Callable[[str], None]) -> None:
    """Point this process at a Prefect API before Prefect is imported: the operator's
    (PREFECT_API_URL), else the data directory's background server, started now if it is
    not running (flows/runtime/background_server.py). ``announce`` says what is waited for."""
    configure_prefect_environment(data_dir)
    home = Path(os.environ["PREFECT_HOME"])
    reap_orphans(home, announce)
    if os.environ.get("PREFECT_API_URL") or _api_url_already_configured():
        return
    from newswire.flows.runtime.background_server import ensure_server, running_server

    if running_server(home) is None:
        announce(
            f"Starting a background Prefect server for {Path(data_dir).resolve()} (once; later "
            "commands reuse it; `newswire server stop` stops it). ~10-30 s..."
        )
    record, _ = ensure_server(home)
    os.environ["PREFECT_API_URL"] = record.api_url


def reap_orphans(home: Path, announce: Callable[[str], None]) -> None:
    """Stop Prefect temporary servers of this home that a killed process left running
    (flows/runtime/orphans.py), and say so."""
    from newswire.flows.runtime.orphans import reap_orphaned_ephemeral_servers

    reaped = reap_orphaned_ephemeral_servers(home)
    if reaped:
        pids = ", ".join(map(str, reaped))
        announce(f"Stopped {len(reaped)} temporary Prefect server(s) a killed run left behind (pid {pids}).")


def _api_url_already_configured() -> bool:
    """Prefect already imported and pointed at an API in this process (a caller embedding
    the CLI, e.g. inside ``prefect_test_harness``); never imports Prefect itself."""
    if "prefect" not in sys.modules:
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())
