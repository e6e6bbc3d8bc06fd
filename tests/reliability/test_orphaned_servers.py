"""No Prefect server outlives its purpose when the process that started it is killed with
SIGKILL (what the OOM killer does), and the one meant to live on can always be found.

- A temporary server (``newswire serve``'s own, ``LocalPrefectServer``) dies with its owner:
  the parent-death guard stops it.
- Prefect's own temporary API of a process that ran a flow without a server is orphaned by
  the kill; the next ``newswire`` command of that data directory stops it.
- The background server is recorded the moment it is spawned, so a command killed while it
  starts leaves a server that ``newswire server stop`` finds and stops.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, run_newswire
from newswire.flows.runtime.background_server import healthy
from newswire.flows.runtime.orphans import EPHEMERAL_APP

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

TEMPORARY_SERVER_OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from newswire.flows.runtime.local_server import LocalPrefectServer
    server = LocalPrefectServer(Path(sys.argv[1])).start()
    print(server.process.pid, server.port, flush=True)
    time.sleep(600)
    """
)

FLOW_WITHOUT_A_SERVER = textwrap.dedent(
    """
    import time
    from prefect import flow

    @flow
    def sleepy():
        print("running", flush=True)
        time.sleep(600)

    sleepy()
    """
)


def _environment(prefect_home: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PREFECT_API"))}
    environment.update(PYTHONPATH=str(REPO_ROOT), PREFECT_HOME=str(prefect_home))
    return environment


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.rfind(")") + 2 :].split()[1] == str(pid):
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    children = _children(pid)
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_temporary_server_dies_with_its_owner_killed_by_sigkill(tmp_path):
    home = tmp_path / "prefect"
    owner = subprocess.Popen(
        [sys.executable, "-c", TEMPORARY_SERVER_OWNER, str(home)],
        env=_environment(home),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        guard_pid, port = map(int, owner.stdout.readline().split())
        server_pids = [guard_pid, *_descendants(guard_pid)]
        assert len(server_pids) >= 2 and _accepts(port)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert _wait_until(lambda: not any(_running(pid) for pid in server_pids), 40), [
            pid for pid in server_pids if _running(pid)
        ]
        assert not _accepts(port)
    finally:
        owner.kill()


def test_prefects_own_temporary_server_orphaned_by_sigkill_is_stopped_by_the_next_command(tmp_path):
    data_dir = tmp_path / "data"
    home = data_dir / "prefect"
    home.mkdir(parents=True)
    environment = _environment(home)
    environment["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    process = subprocess.Popen(
        [sys.executable, "-c", FLOW_WITHOUT_A_SERVER], env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "running"
        servers = [
            pid
            for pid in _children(process.pid)
            if EPHEMERAL_APP in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(servers) == 1, "Prefect started no temporary server"
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(2)
        assert _running(servers[0]), "the orphan this test is about did not outlive its parent"
        status = run_newswire(
            "server", "status", cwd=tmp_path, PREFECT_HOME=str(home)
        )
        assert (
            f"Stopped 1 temporary Prefect server(s) a killed run left behind (pid {servers[0]})"
            in status.stdout
        )
        assert _wait_until(lambda: not _running(servers[0]), 5)
    finally:
        process.kill()
        for pid in servers if "servers" in locals() else []:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_background_server_whose_starter_was_killed_is_found_and_stopped(tmp_path, sample_server):
    data_dir = tmp_path / "data"
    home = data_dir / "prefect"
    catalog = tmp_path / "one.toml"
    catalog.write_text(
        f'[[feed]]\nid = "one"\nname = "One"\nurl = "{sample_server.base_url}/feeds/24kg-en-all.xml"\n'
        'kind = "outlet"\nlanguage = "en"\ncountry = "KG"\nallow_private_network = true\n'
    )
    command = [sys.executable, "-m", "newswire", "ingest", "--force", "--catalog", str(catalog)]
    ingest = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        env=_environment(home),
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    record = home / "server.json"
    try:
        assert _wait_until(record.exists, 120), "no server record was written"
        ingest.send_signal(signal.SIGKILL)
        ingest.wait()
        # Killed during the start-up wait: the record was written before the server answered.
        assert not healthy(json.loads(record.read_text())["api_url"], timeout_s=0.5)
    finally:
        ingest.kill()
    pid = json.loads(record.read_text())["pid"]
    assert _running(pid)
    stop = run_newswire("server", "stop", cwd=tmp_path, PREFECT_HOME=str(home))
    assert stop.returncode == 0 and f"pid {pid}" in stop.stdout, stop.stdout + stop.stderr
    assert _wait_until(lambda: not _running(pid), 10)
