"""Prefect settings for a quiet, offline, embedded start — applied before Prefect is imported.

Without a server Prefect starts a temporary one per process; on 2 cores that takes 15-28 s
and the default 20 s start-up timeout fails about two runs in three (STACK-NOTES.md).
Anything the operator already set (e.g. PREFECT_API_URL for a real server) wins.
"""

from __future__ import annotations

import os
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
