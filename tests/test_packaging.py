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


def test_a_worker_without_the_package_gets_it_from_the_pull_step_and_runs_ingest(
    installed, tmp_path, prefect_server
):
    """prefect.yaml from a folder with nothing else in it, a process worker in a virtualenv
    that has Prefect but not newswire, in a directory that is not the checkout: the pull step
    installs the wheel (NEWSWIRE_PACKAGE), the module entrypoint resolves from it, and the
    run loads the feed with the catalogue given as a parameter."""
    (wheel,) = (installed.parent / "dist").glob("newswire-*.whl")
    project, workdir = tmp_path / "project", tmp_path / "worker"
    project.mkdir()
    workdir.mkdir()
    shutil.copy(REPO_ROOT / "prefect.yaml", project / "prefect.yaml")
    # The worker's venv: Prefect only (the version this checkout runs), no newswire.
    worker_venv = tmp_path / "worker-venv"
    subprocess.run([uv(), "venv", "-q", "--python", sys.executable, str(worker_venv)], check=True)
    from importlib.metadata import version

    subprocess.run([uv(), "pip", "install", "-q", "--python", str(worker_venv / "bin" / "python"),
                    f"prefect=={version('prefect')}"], check=True)  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PYTHONPATH", "VIRTUAL_ENV"))}  # noqa: E501
    base |= {"PREFECT_API_URL": prefect_server, "COLUMNS": "250"}
    pool = "newswire-wheel-test"
    prefect = str(Path(sys.executable).with_name("prefect"))  # this venv's: deploys, runs

    def run(*arguments, cwd=project, timeout=240):
        return subprocess.run([prefect, *arguments], cwd=cwd, env=base, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip

    assert run("work-pool", "create", pool, "--type", "process").returncode == 0
    # Only the ingest deployment, on this test's pool (prefect.yaml's own pool is "newswire").
    (project / "prefect.yaml").write_text(
        (project / "prefect.yaml").read_text(encoding="utf-8").replace("name: newswire\n    work_queue",
                                                                       f"name: {pool}\n    work_queue"),
        encoding="utf-8",
    )  # fmt: skip
    deployed = run("--no-prompt", "deploy", "--name", "ingest")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    inspected = run("deployment", "inspect", "ingest/ingest")
    assert "'newswire.flows.ingest:ingest'" in inspected.stdout, inspected.stdout
    assert str(REPO_ROOT) not in inspected.stdout  # nothing points at this checkout

    worker_env = base | {
        "VIRTUAL_ENV": str(worker_venv),
        "PATH": f"{worker_venv / 'bin'}:{Path(uv()).parent}:{os.environ['PATH']}",
        "NEWSWIRE_PACKAGE": str(wheel),
        "NEWSWIRE_HOME": str(workdir / "data"),
    }
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [str(worker_venv / "bin" / "prefect"), "worker", "start", "--pool", pool],
            cwd=workdir, env=worker_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        with FeedServer(SAMPLE_DIR) as server:
            catalog = tmp_path / "one.toml"
            catalog.write_text(ONE_FEED.format(url=server.url("/feeds/asiaplus-en.xml")), encoding="utf-8")
            done = run("deployment", "run", "ingest/ingest", "--param", f"catalog={catalog}",
                       "--param", "force=true", "--watch", "--watch-timeout", "400", timeout=460)  # fmt: skip
        log_text = (tmp_path / "worker.log").read_text(errors="replace")
        assert done.returncode == 0 and "Completed" in done.stdout, done.stdout + done.stderr + log_text
    finally:
        from newswire.flows.runtime.local_server import stop_process_group

        stop_process_group(worker, 30)
    where = "import newswire; print(newswire.__file__)"
    check = subprocess.run([str(worker_venv / "bin" / "python"), "-c", where],
                           capture_output=True, text=True, cwd=workdir)  # fmt: skip
    assert str(worker_venv) in check.stdout, check  # installed by the pull step, into the worker's venv
    count = run_installed(installed, "sql", "--data-dir", str(workdir / "data"), "--format", "csv",
                          "select count(*) as n from appearances", cwd=tmp_path)  # fmt: skip
    assert count.returncode == 0 and int(count.stdout.splitlines()[-1]) > 0, count.stdout + count.stderr


def test_the_dockerfile_copies_every_package_folder_and_installs_with_uv():
    """The image installs what the wheel holds: a new top-level folder in pyproject.toml's
    package-dir that the Dockerfile does not copy would be missing from every container."""
    import tomllib

    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = set(setuptools["package-dir"].values())
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert folders <= copied, folders - copied
    assert "UV_COMPILE_BYTECODE=1" in dockerfile and 'uv pip install --quiet --no-cache .' in dockerfile
