"""Named points where a test can make the writer die, to prove crash safety for real.

``NEWSWIRE_FAILPOINT=<name>`` makes the process SIGKILL itself when it reaches that point
(no cleanup, no atexit: exactly what a power cut or an OOM kill does).
``NEWSWIRE_FAILPOINT=<name>:pause`` instead blocks there until the file named by
``NEWSWIRE_FAILPOINT_RELEASE`` exists, so a test can act while the writer is mid-run.
``NEWSWIRE_FAILPOINT=<name>:enospc`` raises the OSError a full disk raises, for machines
where a test cannot mount a small tmpfs.

Points: landed (raw payloads stored), parquet-tmp (a Parquet temp file written, not yet
renamed), staged (all Parquet staged), before-commit (inside the DuckDB transaction),
committed, publishing (first staged file renamed into the lake, others not), published.
Unset (always, in production) this is one dictionary lookup.
"""

from __future__ import annotations

import errno
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
    if action == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected at failpoint {name})")
    os.kill(os.getpid(), signal.SIGKILL)
