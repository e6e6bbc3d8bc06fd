"""Exit codes a cron job can act on, through the real CLI in a subprocess (README, "Exit
codes"): 0 all good, 3 some feeds failed, 2 every feed failed or nothing could be done;
``feeds health`` 3 while a feed is failing or dormant."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import run_newswire

pytestmark = pytest.mark.slow

FEED = """
[[feed]]
id = "{id}"
name = "Feed {id}"
url = "{url}"
kind = "outlet"
language = "en"
country = "KG"
allow_private_network = true
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when this returns: connections are refused


def newswire(*args: str, api_url: str, cwd: Path):
    return run_newswire(*args, cwd=cwd, PREFECT_API_URL=api_url)


def write_catalog(path: Path, feeds: dict[str, str]) -> Path:
    path.write_text("".join(FEED.format(id=i, url=u) for i, u in feeds.items()), encoding="utf-8")
    return path


def test_ingest_and_health_exit_codes(prefect_server, sample_server, tmp_path):
    good = f"{sample_server.base_url}/feeds/24kg-en-all.xml"
    dead = f"http://127.0.0.1:{closed_port()}/feed.xml"
    data = str(tmp_path / "data")

    every_feed_failing = write_catalog(tmp_path / "dead.toml", {"dead": dead})
    result = newswire(
        "ingest",
        "--catalog",
        str(every_feed_failing),
        "--data-dir",
        data,
        api_url=prefect_server,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "1 feeds with errors" in result.stdout and "Traceback" not in result.stderr

    health = newswire("feeds", "health", "--data-dir", data, api_url=prefect_server, cwd=tmp_path)
    assert health.returncode == 3 and "failing" in health.stdout

    some_failing = write_catalog(tmp_path / "mixed.toml", {"dead": dead, "good": good})
    result = newswire(
        "ingest",
        "--force",
        "--catalog",
        str(some_failing),
        "--data-dir",
        data,
        api_url=prefect_server,
        cwd=tmp_path,
    )
    assert result.returncode == 3, result.stdout + result.stderr

    all_good = write_catalog(tmp_path / "good.toml", {"good": good})
    result = newswire(
        "ingest",
        "--force",
        "--catalog",
        str(all_good),
        "--data-dir",
        data,
        api_url=prefect_server,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Nothing due is all good too.
    result = newswire(
        "ingest", "--catalog", str(all_good), "--data-dir", data, api_url=prefect_server, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
