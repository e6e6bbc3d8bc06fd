"""The embedded default through the real CLI: the first flow command starts one background
Prefect server per user (per Prefect home), later ones reuse it whatever their data
directory, with each warehouse's runs tagged apart; ``newswire server stop`` ends it;
commands that only read never import Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, run_newswire

pytestmark = pytest.mark.slow

CATALOG = """
[[feed]]
id = "one"
name = "One"
url = "{base}/feeds/24kg-en-all.xml"
kind = "outlet"
language = "en"
country = "KG"
allow_private_network = true
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _flow_runs_tagged(api_url: str, tag: str) -> list[dict]:
    import httpx

    body = {"flow_runs": {"tags": {"all_": [tag]}}}
    return httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=30).json()


def test_one_background_server_per_user_for_every_data_dir(sample_server, tmp_path):
    catalog = tmp_path / "one.toml"
    catalog.write_text(CATALOG.format(base=sample_server.base_url), encoding="utf-8")
    first_dir, second_dir = tmp_path / "desk-a" / "data", tmp_path / "desk-b" / "data"
    # No PREFECT_API_URL and no PREFECT_HOME: the user's (XDG_STATE_HOME/newswire/prefect).
    env = {"PREFECT_API_URL": None, "PREFECT_HOME": None, "XDG_STATE_HOME": str(tmp_path / "state")}
    home = tmp_path / "state" / "newswire" / "prefect"

    def ingest(data_dir):
        done = run_newswire("ingest", "--force", "--catalog", str(catalog), "--data-dir", str(data_dir),
                            cwd=tmp_path, **env)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[0].startswith("Polling 1 feeds")
        return done

    try:
        first = ingest(first_dir)
        assert "Starting a background Prefect server" in first.stdout
        record = json.loads((home / "server.json").read_text())
        assert _alive(record["pid"])
        assert not (first_dir / "prefect").exists()  # nothing of Prefect's in the warehouse

        # A fresh data dir reuses the running server: no start, the same pid.
        second = ingest(second_dir)
        assert "Starting a background Prefect server" not in second.stdout
        assert json.loads((home / "server.json").read_text())["pid"] == record["pid"]

        # Each warehouse's runs are apart by their tag.
        for data_dir in (first_dir, second_dir):
            runs = _flow_runs_tagged(record["api_url"], f"warehouse:{data_dir.resolve()}")
            assert [r["name"] for r in runs] and {r["state_type"] for r in runs} == {"COMPLETED"}
            assert len(runs) == 1, runs

        status = run_newswire("server", "status", cwd=tmp_path, **env)
        assert status.returncode == 0 and record["api_url"] in " ".join(status.stdout.split())
    finally:
        stop = run_newswire("server", "stop", cwd=tmp_path, **env)
    assert stop.returncode == 0 and "Stopped" in stop.stdout
    assert not _alive(record["pid"])
    status = run_newswire("server", "status", cwd=tmp_path, **env)
    assert status.returncode == 3


READ_ONLY_COMMANDS = """
import sys
from newswire.cli.app import app
data = ["--data-dir", sys.argv[1]]
for command in (["sql", "SELECT count(*) FROM stories", *data], ["stats", *data], ["feeds", "list"],
                ["feeds", "health", *data]):
    try:
        app(command, standalone_mode=False)
    except SystemExit:
        pass
assert "prefect" not in sys.modules, "a read-only command imported Prefect"
print("no prefect")
"""


def test_read_only_commands_never_import_prefect(tmp_path):
    (tmp_path / "writer.lock").touch()
    done = subprocess.run(
        [sys.executable, "-c", READ_ONLY_COMMANDS, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no prefect" in done.stdout
