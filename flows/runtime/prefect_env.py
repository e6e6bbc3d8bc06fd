"""Prefect settings for a quiet, offline, embedded start — applied before Prefect is imported.

Without a server Prefect starts a temporary one per process; on 2 cores that takes 15-28 s
and the default 20 s start-up timeout fails about two runs in three (STACK-NOTES.md).
Anything the operator already set (e.g. PREFECT_API_URL for a real server, PREFECT_HOME)
wins.
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


def default_prefect_home() -> Path:
    """Prefect's home when the operator set none: one per user (``$XDG_STATE_HOME``, else
    ``~/.local/state``, then ``newswire/prefect``), the way ``prefect server start`` keeps
    one server per ``PREFECT_HOME``. Every warehouse of the user shares its server, so a
    new data directory costs no server start (~30 s cold on 2 cores); runs stay apart per
    warehouse by their tag (``warehouse_tags``) and writer limit (flows/runtime/writer_slot.py)."""
    return user_state_dir() / "prefect"


def user_state_dir() -> Path:
    """newswire's per-user state (``$XDG_STATE_HOME/newswire``, else
    ``~/.local/state/newswire``): the Prefect home and the desk-check record live there."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "newswire"


def configure_prefect_environment() -> Path:
    """Quiet, offline Prefect settings and its home (the operator's PREFECT_HOME, else
    ``default_prefect_home()``), created; returns the home."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("PREFECT_HOME", str(default_prefect_home()))
    home = Path(os.environ["PREFECT_HOME"])
    # Prefect creates its home without parents and fails on a fresh one.
    home.mkdir(parents=True, exist_ok=True)
    return home


def warehouse_tags(data_dir: Path) -> tuple[str, ...]:
    """The Prefect tag of a warehouse's runs (``warehouse:<absolute data dir>``): several
    warehouses share one server, and the UI filters runs and their artifacts by it."""
    return (f"warehouse:{Path(data_dir).resolve()}",)


def run_flow_for(data_dir: Path, flow, **parameters):
    """Call ``flow`` in this process with its runs tagged by the warehouse they write."""
    from prefect import tags

    with tags(*warehouse_tags(data_dir)):
        return flow(data_dir=str(data_dir), **parameters)


def connect_prefect(announce: Callable[[str], None]) -> None:
    """Point this process at a Prefect API before Prefect is imported: the operator's
    (PREFECT_API_URL), else the user's background server, started now if it is not
    running (flows/runtime/background_server.py). ``announce`` says what is waited for."""
    home = configure_prefect_environment()
    reap_orphans(home, announce)
    if os.environ.get("PREFECT_API_URL") or _api_url_already_configured():
        return
    from newswire.flows.runtime.background_server import ensure_server, running_server

    if running_server(home) is None:
        announce(
            f"Starting a background Prefect server in {home} (once; later commands, for any "
            "data dir, reuse it; `newswire server stop` stops it). ~10-30 s..."
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
