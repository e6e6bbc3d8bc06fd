"""A supervised local ``prefect server start`` on loopback, for ``newswire serve``.

Prefect's ephemeral API (what a flow uses when no server is configured) does not fire
schedules (STACK-NOTES.md), so ``serve`` without ``PREFECT_API_URL`` starts a real server:
SQLite under the data directory's ``prefect/`` home, a free loopback port, a health check
before anything uses it, and a clean stop (the whole process group) on exit. A cold start
takes ~30 s on 2 cores, a restart ~8 s.

Import this module before Prefect: it sets ``PREFECT_API_URL`` for this process, and
Prefect reads its settings when first imported.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from newswire.flows.runtime.server_guard import guarded_command

# 180 s: a cold start measured ~31 s alone on 2 cores, and several times that while the
# machine is busy; past that something is wrong and the log says what.
STARTUP_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen, timeout_s: float) -> None:
    """SIGTERM the process's whole session (started with ``start_new_session``), SIGKILL
    it if it is still there after ``timeout_s``."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def warm_up(api_url: str) -> None:
    """One API request before anyone uses the server. Its health route answers as soon as
    it listens, but the first request to the API's routers takes the server 0.8-1.9 s on
    2 cores (whatever the route): here it is part of the start-up, not of the first flow
    run's work (an unchanged re-poll's version check paid it; docs/benchmarks.md)."""
    try:
        with urllib.request.urlopen(f"{api_url}/hello", timeout=30):
            pass
    except (urllib.error.URLError, OSError):
        pass  # the flow's own first call says what is wrong


class LocalPrefectServer:
    """``with LocalPrefectServer(home) as server: server.api_url``

    Temporary by default: the server runs under a parent-death guard
    (flows/runtime/server_guard.py) and ends when this process ends, however it ends
    (SIGKILL included). ``outlive_parent=True`` is for the data directory's background
    server (flows/runtime/background_server.py), which later commands reuse and
    ``newswire server stop`` ends."""

    def __init__(
        self,
        home: Path,
        port: int | None = None,
        log_path: Path | None = None,
        ui: bool = False,
        outlive_parent: bool = False,
    ):
        self.home = Path(home)
        self.port = port or free_loopback_port()
        self.log_path = log_path or self.home / "server.log"
        self.ui = ui
        self.outlive_parent = outlive_parent
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_API_URL": self.api_url}

    def start(self, on_spawned: Callable[[LocalPrefectServer], None] | None = None) -> LocalPrefectServer:
        """Start the server and wait until it answers; ``on_spawned`` is called as soon as
        the process exists (before the health wait), so it can be recorded and found even
        if this process is killed while waiting."""
        self.home.mkdir(parents=True, exist_ok=True)
        environment = self.environment()
        environment.pop("PREFECT_API_URL")  # the server itself must not look for one
        environment.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        environment.setdefault("DO_NOT_TRACK", "1")
        prefect = Path(sys.executable).with_name("prefect")
        command = [str(prefect) if prefect.exists() else "prefect", "server", "start"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--ui" if self.ui else "--no-ui"]
        if not self.outlive_parent:
            command = guarded_command(os.getpid(), command)
        with open(self.log_path, "ab") as log:
            # Own session: stopping it stops the uvicorn workers it spawns, nothing else.
            self.process = subprocess.Popen(
                command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if on_spawned is not None:
            on_spawned(self)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"prefect server exited with code {self.process.returncode} during start-up; "
                    f"see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as response:
                    if response.status == 200:
                        warm_up(self.api_url)
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"prefect server on port {self.port} not healthy after {STARTUP_TIMEOUT_S:.0f} s; "
            f"see {self.log_path}"
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, STOP_TIMEOUT_S)

    def __enter__(self) -> LocalPrefectServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
