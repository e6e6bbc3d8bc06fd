"""A full disk fails the run cleanly — an operator message, nothing half-published, the
staged files freed — and the next run, with space again, recovers to a clean run's state.

The real thing first: the ingest runs on a small tmpfs mounted in a user+mount namespace
(`unshare -rm`, no root needed where unprivileged namespaces are allowed). Where that is
not possible, the same write path is made to raise ENOSPC by a failpoint."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys

import pytest
from warehouse_checks import (
    REPO_ROOT,
    SAMPLE_RUN_EXIT,
    checks_report,
    cli_env,
    cli_ingest_command,
    debris,
    duplicates,
    run_cli_ingest,
    visible_rows,
    write_catalog_for,
)

from newswire.cli.demo_server import FeedServer
from newswire.tasks.desk import SAMPLE_DIR

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

NO_ROWS = {"fetches": 0, "appearance_versions": 0, "story_versions": 0}


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs $d"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with FeedServer(SAMPLE_DIR) as server:
        yield write_catalog_for(server.base_url, tmp_path_factory.mktemp("catalog") / "catalog.toml")


def _checks_script(data_dir: str, report: str) -> str:
    """Python run inside the namespace (the tmpfs, and the absolute paths in its views-only
    catalogue, are gone once it exits)."""
    code = (
        "import json, sys; sys.path.insert(0, 'tests/reliability');"
        "from warehouse_checks import checks_report;"
        f"json.dump(checks_report({data_dir!r}), open({report!r}, 'w'), default=str)"
    )
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs here (no unprivileged namespaces)")
def test_real_full_disk_fails_cleanly_and_next_run_recovers(prefect_server, sample, tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    data_dir = mount / "data"
    out = tmp_path / "out"
    out.mkdir()
    ingest = shlex.join(cli_ingest_command(sample, data_dir))
    # 2 MB: room for the raw payloads and the first Parquet files, not for the state
    # database (~4 MB after this run).
    script = f"""
        set -u
        mount -t tmpfs -o size=2m tmpfs {mount}
        {ingest} > {out}/first.out 2> {out}/first.err; echo $? > {out}/first.rc
        {_checks_script(str(data_dir), str(out / "after-failure.json"))}
        mount -o remount,size=64m {mount}
        {ingest} > {out}/second.out 2> {out}/second.err; echo $? > {out}/second.rc
        {_checks_script(str(data_dir), str(out / "after-recovery.json"))}
    """
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        env=cli_env(prefect_server),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr
    first_err = (out / "first.err").read_text()
    assert (out / "first.rc").read_text().strip() == "2", first_err[-3000:]
    assert "disk" in first_err and "full" in first_err and "rerun" in first_err
    after_failure = json.loads((out / "after-failure.json").read_text())
    assert (after_failure["debris"], after_failure["rows"]) == ([], NO_ROWS)
    second_err = (out / "second.err").read_text()
    assert (out / "second.rc").read_text().strip() == str(SAMPLE_RUN_EXIT), second_err[-3000:]

    clean = tmp_path / "clean"
    assert run_cli_ingest(sample, clean, cli_env(prefect_server)).returncode == SAMPLE_RUN_EXIT
    recovered = json.loads((out / "after-recovery.json").read_text())
    reference = json.loads(json.dumps(checks_report(clean), default=str))
    # The fetch log may hold the failed run's fetches too (if it failed after committing,
    # recovery published them): compare everything else.
    for report in (recovered, reference):
        report["rows"].pop("fetches")
    assert recovered == reference
    assert recovered["debris"] == [] and set(recovered["duplicates"].values()) == {0}


def test_injected_enospc_while_writing_parquet_fails_cleanly_and_next_run_recovers(
    prefect_server, sample, tmp_path
):
    data_dir = tmp_path / "data"
    failed = run_cli_ingest(
        sample, data_dir, cli_env(prefect_server, NEWSWIRE_FAILPOINT="parquet-tmp:enospc")
    )
    assert failed.returncode == 2, failed.stderr[-3000:]
    assert "disk" in failed.stderr and "full" in failed.stderr
    # Nothing visible, and the staged files are freed at once, not at the next start.
    assert visible_rows(data_dir) == NO_ROWS
    assert debris(data_dir) == []
    assert not any((data_dir / "lake" / "_staging").glob("*"))

    assert run_cli_ingest(sample, data_dir, cli_env(prefect_server)).returncode == SAMPLE_RUN_EXIT
    assert visible_rows(data_dir)["appearance_versions"] > 0
    assert set(duplicates(data_dir).values()) == {0}
    assert debris(data_dir) == []
