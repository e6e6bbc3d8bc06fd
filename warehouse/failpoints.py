"""Named points where a test can make the writer die, to prove crash safety for real.

``NEWSWIRE_FAILPOINT=<name>`` makes the process SIGKILL itself when it reaches that point
(no cleanup, no atexit: exactly what a power cut or an OOM kill does).
``NEWSWIRE_FAILPOINT=<name>:pause`` instead blocks there until the file named by
``NEWSWIRE_FAILPOINT_RELEASE`` exists, so a test can act while the writer is mid-run.
Unset (always, in production) this is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def failpoint(name: str) -> None:
    wanted = os.environ.get("NEWSWIRE_FAILPOINT")
    if not wanted:
        return
    point, _, action = wanted.partition(":")
    if point != name:
        return
    if action == "pause":
        marker = Path(os.environ.get("NEWSWIRE_FAILPOINT_RELEASE", "/nonexistent"))
        reached = os.environ.get("NEWSWIRE_FAILPOINT_REACHED")
        if reached:
            Path(reached).touch()
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return
    os.kill(os.getpid(), signal.SIGKILL)
