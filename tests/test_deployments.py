"""The full setup, as docs/running.md describes it: a real `prefect server start`, a process
work pool, `prefect deploy --all` from prefect.yaml, a process worker, and the backfill
deployment run by hand with parameters. The expensive part (server cold start ~31 s) is
done once for the module, and every process started here is stopped at the end."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sites import NewsSite, write_catalog

from conftest import REPO_ROOT
from newswire.cli.demo_server import FeedServer
from newswire.flows.runtime.local_server import LocalPrefectServer, stop_process_group
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))
NEWEST = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """Server + pool + deployments + worker; yields (data_dir, run-the-prefect-CLI)."""
    root = tmp_path_factory.mktemp("deployments")
    server = LocalPrefectServer(root / "prefect")
    # The deployments are made from a folder holding only prefect.yaml, not the checkout.
    project = root / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "prefect.yaml", project / "prefect.yaml")
    with server:
        environment = server.environment() | {
            "NEWSWIRE_HOME": str(root / "data"),
            "PREFECT_LOGGING_LEVEL": "INFO",
            "COLUMNS": "250",  # rich tables of the prefect CLI, untruncated
        }

        def prefect(*arguments, timeout=180):
            return subprocess.run(
                [PREFECT, *arguments],
                env=environment,
                cwd=project,
                capture_output=True,
                text=True,
                timeout=timeout,
            )

        created = prefect("work-pool", "create", "newswire", "--type", "process")
        assert created.returncode == 0, created.stdout + created.stderr
        deploy = prefect("--no-prompt", "deploy", "--all")
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        listed = prefect("deployment", "ls")
        for name in ("ingest/ingest", "maintain/maintain", "backfill/backfill"):
            assert name in listed.stdout, listed.stdout
        with open(root / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", "newswire"],
                env=environment,
                cwd=root,  # not the checkout: the pull step must take the run there
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            yield root / "data", prefect
        finally:
            stop_process_group(worker, 30)


def test_backfill_deployment_through_a_process_worker(deployed, tmp_path):
    data_dir, prefect = deployed
    with FeedServer() as server:
        site = NewsSite(server, "/wire", NEWEST, 40, timedelta(days=1))
        catalog = write_catalog(
            tmp_path / "catalog.toml", [{"id": "wire-wp", "name": "Wire", "url": site.url("/wp/feed/")}]
        )
        run = [
            "deployment", "run", "backfill/backfill",
            "--param", "start=2026-11-01", "--param", "end=2026-11-10",
            "--param", f"catalog={catalog}", "--param", 'feed_ids=["wire-wp"]',
            "--watch", "--watch-timeout", "240",
        ]  # fmt: skip
        first = prefect(*run, timeout=300)
        assert first.returncode == 0 and "Completed" in first.stdout, first.stdout + first.stderr
        con = open_reader(data_dir)
        urls = {r[0] for r in con.execute("SELECT url FROM appearances WHERE feed_id = 'wire-wp'").fetchall()}
        stories = con.execute("SELECT count(*) FROM stories").fetchone()[0]
        con.close()
        assert urls == {
            site.article_url(a)
            for a in site.in_range(datetime(2026, 11, 1).date(), datetime(2026, 11, 10).date())
        }
        assert stories == 10

        second = prefect(*run, timeout=300)
        assert second.returncode == 0 and "Completed" in second.stdout, second.stdout + second.stderr

    con = open_reader(data_dir)
    assert con.execute("SELECT count(*) FROM appearances").fetchone()[0] == 10
    assert con.execute("SELECT count(*) FROM stories").fetchone()[0] == 10
    summaries = [
        json.loads(r[0])
        for r in con.execute(
            "SELECT summary FROM runs WHERE flow = 'backfill' ORDER BY committed_at"
        ).fetchall()
    ]
    con.close()
    assert [s["new_appearances"] for s in summaries] == [10, 0]

    # The run left its report where the UI shows it.
    artifacts = prefect("artifact", "ls")
    assert "backfill-report" in artifacts.stdout and "backfill-summary" in artifacts.stdout, artifacts.stdout


def test_serve_runs_on_the_background_server_and_prints_a_line_per_run(tmp_path):
    """`newswire serve` with no PREFECT_API_URL: uses the Prefect home's background server
    (started now), prints the UI address, serves the three deployments (a run triggered from
    another shell executes in it) and prints one line per committed run; on SIGTERM it
    exits and leaves the server to `newswire server stop`, like any other command."""
    data_dir = tmp_path / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSWIRE_"))}
    environment |= {"COLUMNS": "250", "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO_ROOT)}
    with FeedServer() as feeds:
        site = NewsSite(feeds, "/wire", NEWEST, 12, timedelta(days=1))
        catalog = write_catalog(
            tmp_path / "catalog.toml", [{"id": "wire", "name": "Wire", "url": site.url("/archive/feed.xml")}]
        )
        log_path = tmp_path / "serve.log"
        command = [sys.executable, "-m", "newswire", "serve", "--catalog", catalog]
        # The story page is off (its own test picks a free port): the default 8787 may be
        # taken by another process on the machine.
        command += ["--data-dir", str(data_dir), "--web-port", "0"]
        with open(log_path, "wb") as log:
            serve = subprocess.Popen(
                command, env=environment, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

        def wait_for(text: str, seconds: float = 240) -> str:
            deadline = time.monotonic() + seconds
            while text not in log_path.read_text() and time.monotonic() < deadline:
                assert serve.poll() is None, log_path.read_text()
                time.sleep(0.5)
            return log_path.read_text()

        try:
            output = wait_for("being served")
            api_url = re.search(r"API: (http://127\.0\.0\.1:\d+/api)", output).group(1)
            assert f"Prefect UI: {api_url.removesuffix('/api')}" in output
            for name in ("ingest/ingest", "maintain/maintain", "backfill/backfill"):
                assert name in output
            run = subprocess.run(
                [PREFECT, "deployment", "run", "ingest/ingest", "--watch", "--watch-timeout", "180"],
                env=environment | {"PREFECT_API_URL": api_url},
                capture_output=True,
                text=True,
                timeout=240,
            )
            assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
            con = open_reader(data_dir)
            assert con.execute("SELECT count(*) FROM appearances").fetchone()[0] == 10
            con.close()
            output = wait_for("feeds polled", 60)
            assert re.search(r"ingest: 1 feeds polled, 10 new stories, 0 feeds with errors", output), output
        finally:
            stop_process_group(serve, 60)
    assert serve.returncode is not None
    status = subprocess.run([sys.executable, "-m", "newswire", "server", "status"], env=environment,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert status.returncode == 0 and api_url in " ".join(status.stdout.split()), status.stdout
    stopped = subprocess.run([sys.executable, "-m", "newswire", "server", "stop"], env=environment,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.stdout + stopped.stderr
