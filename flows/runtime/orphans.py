"""Prefect's own temporary API servers left behind by a killed process, found and stopped.

A flow run in a process without ``PREFECT_API_URL`` makes Prefect start a temporary
("ephemeral") API server as a child (``uvicorn … prefect.server.api.server:create_app``,
environment ``PREFECT__SERVER_EPHEMERAL=1``) and stop it at exit — an ``atexit`` hook that
never runs when the process is killed with SIGKILL (the OOM killer). newswire's commands
use the data directory's background server instead (flows/runtime/prefect_env.py), but a
script or an older command that ran a flow directly may have left one. Such a server is
an orphan when its parent is no longer a Python process (the kernel re-parented it to
init or a subreaper); it is recognised by its command line and by the ``PREFECT_HOME`` in
its environment, so only servers of this Prefect home are touched. Linux (``/proc``)
only; elsewhere nothing is found.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

EPHEMERAL_APP = b"prefect.server.api.server:create_app"
EPHEMERAL_FLAG = b"PREFECT__SERVER_EPHEMERAL=1"
_PROC = Path("/proc")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _parent_pid(pid: int) -> int | None:
    stat = _read(_PROC / str(pid) / "stat")
    # "pid (command name) state ppid ...": the name may hold spaces and parentheses.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def _is_python(pid: int) -> bool:
    try:
        return Path(os.readlink(_PROC / str(pid) / "exe")).name.startswith("python")
    except OSError:
        return False


def _same_home(environment: list[bytes], home: Path) -> bool:
    for variable in environment:
        if variable.startswith(b"PREFECT_HOME="):
            return Path(os.fsdecode(variable[len(b"PREFECT_HOME=") :])).resolve() == home
    return False


def orphaned_ephemeral_servers(prefect_home: Path) -> list[int]:
    """PIDs of Prefect temporary API servers for ``prefect_home`` whose owner is gone."""
    home = Path(prefect_home).resolve()
    found = []
    for entry in _PROC.glob("[0-9]*"):
        pid = int(entry.name)
        if EPHEMERAL_APP not in _read(entry / "cmdline"):
            continue
        environment = _read(entry / "environ").split(b"\0")
        if EPHEMERAL_FLAG not in environment or not _same_home(environment, home):
            continue
        parent = _parent_pid(pid)
        if parent is not None and parent != 1 and _is_python(parent):
            continue  # its owner is alive
        found.append(pid)
    return found


def reap_orphaned_ephemeral_servers(prefect_home: Path, timeout_s: float = 10.0) -> list[int]:
    """Stop every orphaned temporary server of ``prefect_home`` (SIGTERM, then SIGKILL
    after ``timeout_s``); returns their PIDs."""
    orphans = orphaned_ephemeral_servers(prefect_home)
    for pid in orphans:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while any(_exists(pid) for pid in orphans) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in orphans:
        _signal(pid, signal.SIGKILL)
    return orphans


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _exists(pid: int) -> bool:
    """Running, not a zombie waiting for its (new) parent to collect it."""
    stat = _read(_PROC / str(pid) / "stat")
    return bool(stat) and stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] != b"Z"
