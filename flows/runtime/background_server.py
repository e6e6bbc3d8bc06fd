"""One Prefect server per data directory, started in the background by the first command
that runs a flow and reused by every later one (``newswire server status|stop``).

Without ``PREFECT_API_URL`` Prefect would start a temporary API in every process: 15-28 s
on 2 cores before the first task runs (STACK-NOTES.md), paid again by each ``newswire
ingest``. A server that outlives the command is paid once; later commands only check its
health (milliseconds) and keep their runs, artifacts and the UI in one place, the data
directory's ``prefect/`` home. Its address and pid are in ``prefect/server.json``; a
stale record (server killed, machine rebooted) is noticed by the health check and the
server started again. Two commands starting at once serialise on ``prefect/server.lock``,
so one server is started, not two.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from newswire.flows.runtime.local_server import STOP_TIMEOUT_S, LocalPrefectServer
from newswire.warehouse.writer_lock import pid_alive

RECORD_FILE = "server.json"
LOCK_FILE = "server.lock"


@dataclass(frozen=True)
class ServerRecord:
    """What ``server.json`` says about the background server."""

    pid: int
    port: int
    api_url: str
    ui_url: str
    log_path: str


def _read_record(home: Path) -> ServerRecord | None:
    try:
        return ServerRecord(**json.loads((home / RECORD_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def healthy(api_url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def running_server(home: Path) -> ServerRecord | None:
    """The background server of this Prefect home if it is up and answering."""
    record = _read_record(Path(home))
    if record and pid_alive(record.pid) and healthy(record.api_url):
        return record
    return None


def ensure_server(home: Path) -> tuple[ServerRecord, bool]:
    """The running background server, started first if need be; (record, started now)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = running_server(home)
        if record:
            return record, False
        _stop_recorded(home)  # a stale record's process, if it still lingers
        # Recorded the moment it is spawned: a command killed during the start-up wait
        # leaves a server that `newswire server status|stop` and the next command find.
        server = LocalPrefectServer(home, ui=True, outlive_parent=True)
        server.start(on_spawned=lambda spawned: record_server(home, spawned))
        return record_server(home, server), True


def record_server(home: Path, server: LocalPrefectServer) -> ServerRecord:
    """Write ``server.json`` for a started server, so later commands find and reuse it
    (``serve`` records its own server too: an ingest from another shell meanwhile uses it
    instead of starting a second server on the same SQLite database)."""
    record = ServerRecord(
        pid=server.process.pid,
        port=server.port,
        api_url=server.api_url,
        ui_url=server.ui_url,
        log_path=str(server.log_path),
    )
    temporary = Path(home) / f".{RECORD_FILE}.tmp"
    temporary.write_text(json.dumps(asdict(record)), encoding="utf-8")
    os.replace(temporary, Path(home) / RECORD_FILE)
    return record


def forget_server(home: Path) -> None:
    (Path(home) / RECORD_FILE).unlink(missing_ok=True)


def _stop_recorded(home: Path) -> ServerRecord | None:
    record = _read_record(home)
    (home / RECORD_FILE).unlink(missing_ok=True)
    if record is None or not pid_alive(record.pid):
        return None
    try:
        os.killpg(record.pid, signal.SIGTERM)  # its own session: the server and its workers
    except ProcessLookupError:
        return record
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(record.pid) and time.monotonic() < deadline:
        _reap(record.pid)
        time.sleep(0.2)
    if pid_alive(record.pid):
        os.killpg(record.pid, signal.SIGKILL)
    return record


def _reap(pid: int) -> None:
    """Collect the server's exit status if this process started it (no zombie)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_server(home: Path) -> ServerRecord | None:
    """Stop the background server (the record of what was stopped, None if none ran)."""
    home = Path(home)
    if not home.exists():
        return None
    with open(home / LOCK_FILE, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _stop_recorded(home)
