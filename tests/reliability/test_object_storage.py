"""The lake on S3-compatible object storage, against a real S3 API: ``moto_server`` on
127.0.0.1 (the ``moto[server]`` test extra). Through the real command line: `newswire
demo` loads the sample into ``s3://newswire/lake`` and answers the same count as a local
demo; the objects are there for a plain S3 client (boto3); a second unchanged poll adds
no row; `maintain` compacts on S3; SIGKILL at the commit failpoints then a rerun loses or
doubles nothing, and a reader never sees half a run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warehouse_checks import (
    FAILPOINTS,
    REPO_ROOT,
    cli_env,
    debris,
    duplicates,
    run_cli_ingest,
    signature,
    visible_rows,
    write_catalog_for,
)

from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR

pytestmark = [pytest.mark.timeout(900)]

BUCKET = "newswire"
# Two feeds keep the crash runs short; every commit step is the same for two as for twelve.
FEEDS = ("--feed", "24kg-en", "--feed", "timesca-en")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on loopback with the bucket created (as an operator creates it);
    the AWS settings a child process needs to reach it."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    aws = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        saved = {name: os.environ.get(name) for name in aws}
        os.environ.update(aws)  # this process reads the lake too (boto3, the views)
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield aws
    finally:
        server.terminate()
        server.wait(30)
        for name, value in locals().get("saved", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _keys(prefix: str) -> list[str]:
    import boto3

    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _newswire(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newswire", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _story_count(env: dict, data_dir: Path) -> int:
    done = _newswire(
        env, "sql", "--data-dir", str(data_dir), "--format", "json", "select count(*) AS n from stories"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)[0]["n"]


@pytest.fixture(scope="module")
def demos(s3, prefect_server, tmp_path_factory):
    """`newswire demo` into the S3 lake and into a local one, at the same time."""
    root = tmp_path_factory.mktemp("demos")
    on_s3 = cli_env(prefect_server, NEWSWIRE_LAKE_URL=f"s3://{BUCKET}/lake", **s3)
    local = cli_env(prefect_server)
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "newswire", "demo", "--data-dir", str(root / name)],
            env=env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, env in (("s3", on_s3), ("local", local))
    }
    for name, run in runs.items():
        out, err = run.communicate(timeout=800)
        assert run.returncode == 0, f"{name} demo: {err[-3000:]}{out[-2000:]}"
    return root / "s3", root / "local", on_s3


def test_demo_on_s3_answers_what_a_local_demo_answers(demos, s3):
    s3_dir, local_dir, on_s3 = demos
    count = _story_count(on_s3, s3_dir)
    assert count > 0
    assert count == _story_count(cli_env("http://unused"), local_dir)
    # Readers find the lake from the data dir's record, without NEWSWIRE_LAKE_URL.
    assert (s3_dir / "lake.url").read_text().strip() == f"s3://{BUCKET}/lake"
    without_variable = {k: v for k, v in on_s3.items() if k != "NEWSWIRE_LAKE_URL"}
    assert _story_count(without_variable, s3_dir) == count
    # The lake is in the bucket (a plain S3 client sees it), not on the local disk.
    keys = _keys("lake/")
    for prefix in ("lake/stories/date=", "lake/appearances/date=", "lake/fetches/date=", "lake/raw/objects/"):
        assert any(key.startswith(prefix) for key in keys), prefix
    assert "lake/_manifests/CURRENT.json" in keys
    assert not (s3_dir / "lake").exists()
    # A NEWSWIRE_LAKE_URL that disagrees with the record is refused, naming both.
    other = _newswire(
        {**on_s3, "NEWSWIRE_LAKE_URL": "s3://newswire/elsewhere"},
        "sql",
        "--data-dir",
        str(s3_dir),
        "select 1",
    )
    assert other.returncode != 0 and "s3://newswire/lake" in other.stderr + other.stdout


def test_second_unchanged_poll_and_maintain_on_s3(demos, s3, prefect_server, tmp_path, monkeypatch):
    s3_dir, _, on_s3 = demos
    monkeypatch.setenv("NEWSWIRE_LAKE_URL", f"s3://{BUCKET}/lake")
    before = signature(s3_dir), visible_rows(s3_dir)
    with FeedServer(SAMPLE_DIR) as server:
        catalog = write_catalog_for(server.base_url, tmp_path / "catalog.toml")
        again = run_cli_ingest(catalog, s3_dir, on_s3, *FEEDS, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    after_poll = signature(s3_dir), visible_rows(s3_dir)
    assert after_poll[0] == before[0]
    assert after_poll[1]["fetches"] > before[1]["fetches"]  # polled, nothing new stored

    # Compaction on S3 (one file per partition allowed, so the poll's fetches are merged).
    from newswire.flows.maintain import maintain

    report = maintain(data_dir=str(s3_dir), max_files_per_partition=1)
    assert report.partitions and not report.quarantined
    assert (signature(s3_dir), visible_rows(s3_dir)) == after_poll
    assert any("/part-compact-" in key for key in _keys("lake/fetches/"))
    # (A key ending in "/" is the folder marker pyarrow leaves; no object is left in them.)
    assert not [k for k in _keys("lake/_retired/") + _keys("lake/_staging/") if not k.endswith("/")]
    assert set(duplicates(s3_dir).values()) == {0}


# Every commit failpoint of the local crash tests (warehouse_checks.FAILPOINTS), on S3:
# there a "rename" is a copy then a delete and a listing may lag, so each step's leftovers
# (a temp object, files PUT under _staging, the DuckDB transaction open, one file copied
# into place and the others not) must be finished or discarded by the rerun. Each point
# costs two ingests, hence a sweep.
S3_FAILPOINTS = FAILPOINTS


@pytest.mark.slow
@pytest.mark.sweep
@pytest.mark.timeout(1800)
def test_sigkill_at_the_commit_failpoints_on_s3_then_rerun_loses_and_doubles_nothing(
    s3, prefect_server, tmp_path, monkeypatch
):
    with FeedServer(SAMPLE_DIR) as server:
        catalog = write_catalog_for(server.base_url, tmp_path / "catalog.toml")

        def run(name: str, **extra: str) -> tuple[Path, subprocess.CompletedProcess]:
            data_dir = tmp_path / name
            env = cli_env(prefect_server, NEWSWIRE_LAKE_URL=f"s3://{BUCKET}/{name}", **s3, **extra)
            return data_dir, run_cli_ingest(catalog, data_dir, env, *FEEDS, timeout=600)

        def seen(name: str, data_dir: Path, reader):
            monkeypatch.setenv("NEWSWIRE_LAKE_URL", f"s3://{BUCKET}/{name}")
            return reader(data_dir)

        clean_dir, clean = run("clean")
        assert clean.returncode == 0, clean.stderr[-3000:]
        reference = seen("clean", clean_dir, signature), seen("clean", clean_dir, visible_rows)
        assert reference[0]["appearances"]
        for point in S3_FAILPOINTS:
            name = f"crash-{point}"
            data_dir, crashed = run(name, NEWSWIRE_FAILPOINT=point)
            assert crashed.returncode == -9, f"{point}: {crashed.stderr[-3000:]}"
            # A reader straight after the kill sees all of the run or none of it.
            empty = dict.fromkeys(reference[1], 0)
            assert seen(name, data_dir, visible_rows) in (empty, reference[1]), point
            _, rerun = run(name)
            assert rerun.returncode == 0, f"{point}: {rerun.stderr[-3000:]}"
            assert seen(name, data_dir, signature) == reference[0], point
            assert set(seen(name, data_dir, duplicates).values()) == {0}, point
            assert seen(name, data_dir, debris) == [], point
            assert not [k for k in _keys(f"{name}/_staging/") if not k.endswith("/")], point
