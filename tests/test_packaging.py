"""The wheel is the product a worker or a desk installs: built with ``uv build``,
installed into a fresh virtualenv (no checkout on its path), it must find its own
catalogues and sample (package data) and ingest a feed from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR

pytestmark = pytest.mark.slow

ONE_FEED = """
[[feed]]
id = "asiaplus-en"
name = "Asia-Plus"
url = "{url}"
kind = "outlet"
language = "en"
country = "TJ"
allow_private_network = true
"""


def uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        pytest.fail("uv is needed to build the wheel (the Makefile installs it)")
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with only the built wheel (and its dependencies) installed."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([uv(), "build", "--wheel", "-q", "-o", str(root / "dist"), str(REPO_ROOT)], check=True)
    (wheel,) = (root / "dist").glob("newswire-*.whl")
    venv = root / "venv"
    subprocess.run([uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([uv(), "pip", "install", "-q", "--python", python, str(wheel)], check=True)
    return venv


def run_installed(venv: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    environment.update(COLUMNS="200", **env)
    return subprocess.run(
        [str(venv / "bin" / "newswire"), *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=300,
    )


def test_the_wheel_ships_package_data_under_one_import_name(installed):
    (wheel,) = (installed.parent / "dist").glob("newswire-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    top_level = {name.split("/")[0] for name in names if not name.startswith("newswire-")}
    assert top_level == {"newswire"}, top_level
    for data_file in ("newswire/feeds/central-asia.toml", "newswire/feeds/agencies.toml",
                      "newswire/feeds/sample/catalog.toml", "newswire/warehouse/sql/state.sql"):
        assert data_file in names, data_file


def test_installed_wheel_lists_feeds_and_ingests_one_from_any_directory(installed, tmp_path, prefect_server):
    listed = run_installed(installed, "feeds", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "kazinform" in listed.stdout.lower()

    version = run_installed(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("newswire "), version

    with FeedServer(SAMPLE_DIR) as server:
        catalog = tmp_path / "one.toml"
        catalog.write_text(ONE_FEED.format(url=server.url("/feeds/asiaplus-en.xml")), encoding="utf-8")
        ingest = run_installed(
            installed, "ingest", "--catalog", str(catalog), "--data-dir", "data", "--force",
            cwd=tmp_path, PREFECT_API_URL=prefect_server,
        )
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    count = run_installed(installed, "sql", "--data-dir", "data", "--format", "csv",
                          "select count(*) as n from appearances", cwd=tmp_path)
    assert count.returncode == 0, count.stderr
    assert int(count.stdout.splitlines()[-1]) > 0
    assert not (tmp_path / "feeds").exists(), "the installed package must not need a feeds/ folder here"
