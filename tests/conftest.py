"""Shared fixtures: a real feed server on loopback, a fresh data directory, and one
Prefect test server for the whole session (it takes ~20-25 s to start on 2 cores)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from newswire.flows.runtime.prefect_env import configure_prefect_environment

# Before anything imports Prefect: its home in a throwaway directory, quiet and offline.
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="newswire-test-prefect-"))
os.environ["PREFECT_HOME"] = str(_PREFECT_HOME)
configure_prefect_environment()

from newswire.cli.demo_server import FeedServer  # noqa: E402
from newswire.tasks.desk import SAMPLE_DIR  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_PAGE = SHARED_DIR / "seed" / "theprint-reuters-central-asia-trade.txt"
CORPUS_DIR = SHARED_DIR / "corpus"
SAMPLE_CATALOG = SAMPLE_DIR / "catalog.toml"


@pytest.fixture(scope="session")
def prefect_server():
    """Prefect's test harness: a real local API server on SQLite, shared by the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        from prefect.settings import PREFECT_API_URL

        yield PREFECT_API_URL.value()


@pytest.fixture
def sample_server():
    """The bundled offline sample, served with ETag/Last-Modified/gzip on loopback."""
    with FeedServer(SAMPLE_DIR) as server:
        yield server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def ingest_sample(data_dir: Path, server: FeedServer, **parameters):
    """Run the real ingest flow over the sample served by ``server``."""
    from newswire.flows.ingest import ingest

    parameters.setdefault("force", True)
    return ingest(
        catalog=str(SAMPLE_CATALOG),
        catalog_substitutions={"base": server.base_url},
        data_dir=str(data_dir),
        **parameters,
    )


def sql_in_subprocess(data_dir: Path, query: str) -> list[dict]:
    """`newswire sql --format json` in a separate process, as a user in another shell."""
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "newswire", "sql", "--data-dir", str(data_dir), "--format", "json", query],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_newswire(*args: str, cwd: Path, stdin: str | None = None, timeout: float = 300, **env: str | None):
    """The real ``newswire`` command line in a subprocess, as an operator runs it: this
    checkout's code, no NEWSWIRE_* from the test environment unless given, a wide terminal.
    A variable given as None is removed (e.g. ``PREFECT_HOME=None``: Prefect's default)."""
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    environment.update(PYTHONPATH=str(REPO_ROOT), COLUMNS="200", **env)
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-m", "newswire", *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
