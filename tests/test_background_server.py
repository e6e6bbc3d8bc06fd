"""The embedded default through the real CLI: the first flow command starts one background
Prefect server for the data directory, later ones reuse it, ``newswire server stop`` ends
it; commands that only read never import Prefect."""

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


def test_first_ingest_starts_a_server_the_next_reuses_and_stop_ends_it(sample_server, tmp_path):
    catalog = tmp_path / "one.toml"
    catalog.write_text(CATALOG.format(base=sample_server.base_url), encoding="utf-8")
    data = tmp_path / "data"
    # No PREFECT_API_URL, and Prefect's home from the data dir (not the test session's).
    env = {"PREFECT_API_URL": "", "PREFECT_HOME": str(data / "prefect")}
    ingest = ("ingest", "--force", "--catalog", str(catalog), "--data-dir", str(data))
    try:
        first = run_newswire(*ingest, cwd=tmp_path, **env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert first.stdout.splitlines()[0].startswith("Polling 1 feeds")
        assert "Starting a background Prefect server" in first.stdout
        record = json.loads((data / "prefect" / "server.json").read_text())
        assert _alive(record["pid"])

        second = run_newswire(*ingest, cwd=tmp_path, **env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "Starting a background Prefect server" not in second.stdout
        assert json.loads((data / "prefect" / "server.json").read_text())["pid"] == record["pid"]

        status = run_newswire("server", "status", "--data-dir", str(data), cwd=tmp_path, **env)
        assert status.returncode == 0 and record["api_url"] in " ".join(status.stdout.split())
    finally:
        stop = run_newswire("server", "stop", "--data-dir", str(data), cwd=tmp_path, **env)
    assert stop.returncode == 0 and "Stopped" in stop.stdout
    assert not _alive(record["pid"])
    status = run_newswire("server", "status", "--data-dir", str(data), cwd=tmp_path, **env)
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
