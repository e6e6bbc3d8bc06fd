"""Ctrl-C and SIGTERM for a run started from the command line: stop gently, then at once.

The first signal asks the run to stop: requests not yet started are skipped (their feeds
stay due and untouched), what was fetched is still loaded and committed — a commit under
way is never interrupted — and the command prints the summary and exits 130 (SIGINT) or
143 (SIGTERM). A second signal exits at once without a traceback; whatever the run left
half-done is finished or rolled back by the next run (the writer's recovery).

The handler never raises, so Prefect never sees a KeyboardInterrupt mid-task. Prefect
swaps in its own SIGTERM handler for a flow run's duration, so the flow calls
``take_over_signals()`` first thing; that does nothing unless the CLI enabled graceful
stops (a flow started by a worker keeps Prefect's cancellation behaviour).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

_requested: list[int] = []
_announce: Callable[[str], None] | None = None


def requested() -> bool:
    """A stop was asked for (safe to call from any thread)."""
    return bool(_requested)


def exit_code() -> int | None:
    """128 + the first signal's number (130 Ctrl-C, 143 SIGTERM), None if none came."""
    return 128 + _requested[0] if _requested else None


def _handle(signum: int, frame) -> None:
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    if _requested:
        sys.stderr.write(f"\n{name} again: stopping at once; the next run tidies up after this one.\n")
        sys.stderr.flush()
        os._exit(128 + _requested[0])
    _requested.append(signum)
    if _announce is not None:
        _announce(
            f"{name}: fetching no more feeds; loading and committing what was fetched, then "
            "stopping (again to stop at once)."
        )


def enable(announce: Callable[[str], None]) -> None:
    """Install the handlers for this process (main thread only; the CLI calls it)."""
    global _announce
    _announce = announce
    take_over_signals(force=True)


def take_over_signals(force: bool = False) -> None:
    """Put the handlers back in place (Prefect replaces SIGTERM's during a flow run)."""
    if not (force or _announce is not None):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handle)
