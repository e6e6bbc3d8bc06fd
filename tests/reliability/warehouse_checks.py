"""What "the warehouse is intact" means, checked from outside the writer: for the crash,
disk-full and concurrency tests and for benchmarks/reliability_report.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from newswire.warehouse.views import open_reader

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CATALOG = REPO_ROOT / "feeds" / "sample" / "catalog.toml"
LAKE_TABLES = ("fetches", "appearances", "stories")
# `newswire ingest` of the whole sample exits 3 (done, some feeds failed): the sample holds
# one deliberately broken feed (README, "Exit codes").
SAMPLE_RUN_EXIT = 3
# Every point of warehouse/failpoints.py a run passes, in order.
FAILPOINTS = ("landed", "parquet-tmp", "staged", "before-commit", "committed", "publishing", "published")


def signature(data_dir: Path) -> dict:
    """The content a reader sees, without run ids and timestamps (which differ between a
    clean run and a crashed-then-rerun one)."""
    con = open_reader(data_dir)
    try:
        return {
            "appearances": sorted(
                con.execute(
                    "SELECT feed_id, canonical_url, title, content_hash, revision FROM appearances"
                ).fetchall()
            ),
            "appearance_versions": con.execute("SELECT count(*) FROM appearance_versions").fetchone()[0],
            "stories": sorted(
                con.execute("SELECT title, appearance_count, feeds, revision FROM stories").fetchall()
            ),
            "story_versions": con.execute("SELECT count(*) FROM story_versions").fetchone()[0],
        }
    finally:
        con.close()


def visible_rows(data_dir: Path) -> dict[str, int]:
    """Rows a reader sees per table, every version and every fetch included."""
    con = open_reader(data_dir)
    try:
        return {
            view: con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
            for view in ("fetches", "appearance_versions", "story_versions")
        }
    finally:
        con.close()


def duplicates(data_dir: Path) -> dict[str, int]:
    """Rows that appear more than once where the model allows one."""
    con = open_reader(data_dir)
    try:
        return {
            "appearance_versions": con.execute(
                "SELECT count(*) - count(DISTINCT (appearance_id, revision)) FROM appearance_versions"
            ).fetchone()[0],
            # An appearance's identity is its entry id within the feed (a guid, an item's
            # link, or a content hash; tasks/normalise.py), not its guid or URL alone.
            "appearance_keys": con.execute(
                "SELECT count(*) - count(DISTINCT (feed_id, entry_id)) FROM appearances"
            ).fetchone()[0],
            "story_versions": con.execute(
                "SELECT count(*) - count(DISTINCT (story_id, revision)) FROM story_versions"
            ).fetchone()[0],
            "fetches": con.execute(
                "SELECT count(*) - count(DISTINCT (run_id, feed_id)) FROM fetches"
            ).fetchone()[0],
        }
    finally:
        con.close()


def debris(data_dir: Path) -> list[str]:
    """Problems a reader or the next writer would trip over; empty when clean."""
    problems = []
    lake = Path(data_dir) / "lake"
    for table in LAKE_TABLES:
        for path in (lake / table).rglob("*"):
            if path.is_dir():
                continue
            if not (path.name.startswith("part-") and path.suffix == ".parquet"):
                problems.append(f"stray file {path.relative_to(lake)}")
                continue
            try:
                pq.read_metadata(path)
            except Exception as error:
                problems.append(f"unreadable {path.relative_to(lake)}: {error}")
    problems += [f"temp file {p.relative_to(lake)}" for p in lake.rglob("*.tmp*")]
    staging = lake / "_staging"
    if staging.exists() and any(staging.iterdir()):
        problems.append(f"staging not cleaned: {sorted(p.name for p in staging.iterdir())}")
    state = Path(data_dir) / "state" / "writer.duckdb"
    if state.exists():
        con = duckdb.connect(str(state))
        try:
            pending = con.execute("SELECT count(*) FROM runs WHERE NOT published").fetchone()[0]
        finally:
            con.close()
        if pending:
            problems.append(f"{pending} committed runs not published")
    catalog = Path(data_dir) / "newswire.duckdb"
    if catalog.exists():
        con = duckdb.connect(str(catalog), read_only=True)
        try:
            con.execute("SELECT count(*) FROM stories").fetchone()
        finally:
            con.close()
    return problems


def checks_report(data_dir: Path) -> dict:
    """Everything above, as one JSON-able report."""
    return {
        "signature": signature(data_dir),
        "rows": visible_rows(data_dir),
        "duplicates": duplicates(data_dir),
        "debris": debris(data_dir),
    }


def write_catalog_for(base_url: str, target: Path) -> Path:
    """The offline sample's catalogue pointed at a running loopback server."""
    target.write_text(SAMPLE_CATALOG.read_text().replace("{base}", base_url))
    return target


def cli_env(prefect_api_url: str, **extra: str) -> dict[str, str]:
    """A child's environment. The Prefect writer limit is off: these children are killed on
    purpose, and a killed writer's Prefect slot would hold the next one for its 60 s lease;
    the file lock and the commit ledger are what is under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    env.update(
        PREFECT_API_URL=prefect_api_url,
        PYTHONPATH=str(REPO_ROOT),
        NEWSWIRE_PREFECT_WRITER_LIMIT="false",
        **extra,
    )
    return env


def cli_ingest_command(catalog: Path, data_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newswire",
        "ingest",
        "--force",
        "--catalog",
        str(catalog),
        "--data-dir",
        str(data_dir),
    ]


def run_cli_ingest(catalog: Path, data_dir: Path, env: dict[str, str], *options: str, timeout: float = 180):
    return subprocess.run(
        [*cli_ingest_command(catalog, data_dir), *options],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
