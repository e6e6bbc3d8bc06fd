"""The full setup, as docs/running.md describes it: a real `prefect server start`, a process
work pool, `prefect deploy --all` from prefect.yaml, a process worker, and the backfill
deployment run by hand with parameters. The expensive part (server cold start ~31 s) is
done once for the module, and every process started here is stopped at the end."""

from __future__ import annotations

import json
import os
import re
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
    with server:
        environment = server.environment() | {
            "NEWSWIRE_REPO": str(REPO_ROOT),
            "NEWSWIRE_HOME": str(root / "data"),
            "PREFECT_LOGGING_LEVEL": "INFO",
            "COLUMNS": "250",  # rich tables of the prefect CLI, untruncated
        }

        def prefect(*arguments, timeout=180):
            return subprocess.run(
                [PREFECT, *arguments],
                env=environment,
                cwd=REPO_ROOT,
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


def test_serve_supervises_its_own_server(tmp_path):
    """`newswire serve` with no PREFECT_API_URL: starts a loopback server under the data
    directory, serves the three deployments (a run triggered from another shell executes
    in it), and on SIGTERM stops the server it started."""
    data_dir = tmp_path / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment |= {"COLUMNS": "250", "PREFECT_HOME": str(data_dir / "prefect")}
    with FeedServer() as feeds:
        site = NewsSite(feeds, "/wire", NEWEST, 12, timedelta(days=1))
        catalog = write_catalog(
            tmp_path / "catalog.toml", [{"id": "wire", "name": "Wire", "url": site.url("/archive/feed.xml")}]
        )
        log_path = tmp_path / "serve.log"
        with open(log_path, "wb") as log:
            serve = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newswire",
                    "serve",
                    "--catalog",
                    catalog,
                    "--data-dir",
                    str(data_dir),
                ],
                env=environment,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 240
            while "being served" not in log_path.read_text() and time.monotonic() < deadline:
                assert serve.poll() is None, log_path.read_text()
                time.sleep(0.5)
            output = log_path.read_text()
            api_url = re.search(r"API: (http://127\.0\.0\.1:\d+/api)", output).group(1)
            server_pid = int(
                subprocess.run(["pgrep", "-f", f"prefect server start .*{api_url.split(':')[2][:-4]}"],
                               capture_output=True, text=True).stdout.split()[0]
            )  # fmt: skip
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
        finally:
            stop_process_group(serve, 60)  # SIGTERM first: serve must stop its server itself
    assert serve.returncode is not None
    with pytest.raises(ProcessLookupError):  # the server it started is gone too
        for _ in range(100):
            os.kill(server_pid, 0)
            time.sleep(0.2)
