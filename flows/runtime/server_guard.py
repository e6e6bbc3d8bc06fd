"""A parent-death guard for a temporary server: it ends with the process that needs it.

    python -m newswire.flows.runtime.server_guard PARENT_PID -- prefect server start ...

A temporary Prefect server (``newswire serve``'s own) is stopped by its owner's ``finally``
— which never runs when the owner is killed with SIGKILL, as the OOM killer does; the
server then lived on, holding its port and SQLite database. The guard runs the server as
its child in its own session and polls its parent: once the parent is gone (the parent
PID changes when the kernel re-parents an orphan) it stops the server with SIGTERM, then
SIGKILLs the session after ``STOP_TIMEOUT_S``. SIGTERM/SIGINT to the guard stop the server
the same way; a server that exits by itself ends the guard with its exit code.

Polling (every 0.2 s) rather than ``PR_SET_PDEATHSIG``: that signal fires when the
*thread* that started the child ends, so a server started from a worker thread would die
with the thread; and polling works on every POSIX system. Stdlib only: it starts in
milliseconds and pulls in nothing of the pipeline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POLL_S = 0.2
STOP_TIMEOUT_S = 20.0


def guarded_command(parent_pid: int, command: list[str]) -> list[str]:
    """The command line that runs ``command`` under a guard tied to ``parent_pid``."""
    return [sys.executable, "-m", "newswire.flows.runtime.server_guard", str(parent_pid), "--", *command]


def _stop(child: subprocess.Popen) -> int:
    """SIGTERM the server, SIGKILL the guard's whole session if it lingers."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(0), signal.SIGKILL)  # the server's workers and this guard
    return child.returncode if child.returncode is not None else 1


def run(parent_pid: int, command: list[str]) -> int:
    stop_asked: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stop_asked.append(signum))
    child = subprocess.Popen(command)
    while True:
        if child.poll() is not None:
            return child.returncode
        if stop_asked or os.getppid() != parent_pid:
            return _stop(child)
        time.sleep(POLL_S)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--" or not argv[0].isdigit():
        sys.stderr.write("usage: python -m newswire.flows.runtime.server_guard PARENT_PID -- COMMAND...\n")
        return 2
    return run(int(argv[0]), argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
