"""Start-up of `newswire ingest --force` on the embedded default (no PREFECT_API_URL): one
loopback feed, a fresh data dir and a used one.

    python benchmarks/cli_startup.py [--runs 3] [--code DIR]

Runs the real command in a subprocess and times, from the start of the process, its first
line on stdout and its exit. "fresh": a new data dir every run; "used": a data dir an
ingest has run in before (for the background Prefect server, still running from it).
``--code DIR`` runs another checkout's code (e.g. the branch point) with this venv, so
before and after are measured in the same session. Prints one table of medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CATALOG = """
[[feed]]
id = "one"
name = "One loopback feed"
url = "{base}/feeds/24kg-en-all.xml"
kind = "outlet"
language = "en"
country = "KG"
allow_private_network = true
"""


def timed_ingest(code: Path, catalog: Path, data_dir: Path) -> tuple[float, float, int]:
    """(seconds to the first stdout line, seconds to exit, exit code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PREFECT_"))}
    env.update(PYTHONPATH=str(code), PYTHONUNBUFFERED="1", COLUMNS="120")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newswire",
            "ingest",
            "--force",
            "--catalog",
            str(catalog),
            "--data-dir",
            str(data_dir),
        ],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first = None
    for _line in process.stdout:
        if first is None:
            first = time.monotonic() - started
    process.wait()
    return first or float("nan"), time.monotonic() - started, process.returncode


def stop_background_server(code: Path, data_dir: Path) -> None:
    """The background Prefect server a run may have left for the next one (after only)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run(
        [sys.executable, "-m", "newswire", "server", "stop", "--data-dir", str(data_dir)],
        cwd=code,
        env=env,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=REPO)
    args = parser.parse_args()
    from newswire.cli.demo_server import FeedServer
    from newswire.tasks.desk import SAMPLE_DIR

    rows = []
    with FeedServer(SAMPLE_DIR) as server, tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "one.toml"
        catalog.write_text(CATALOG.format(base=server.base_url), encoding="utf-8")
        fresh = []
        for run in range(args.runs):
            data_dir = Path(tmp) / f"fresh-{run}"
            fresh.append(timed_ingest(args.code, catalog, data_dir))
            stop_background_server(args.code, data_dir)
        used_dir = Path(tmp) / "used"
        timed_ingest(args.code, catalog, used_dir)
        used = [timed_ingest(args.code, catalog, used_dir) for _ in range(args.runs)]
        stop_background_server(args.code, used_dir)
        for name, results in (("fresh data dir", fresh), ("used data dir", used)):
            rows.append(
                (
                    name,
                    statistics.median(r[0] for r in results),
                    statistics.median(r[1] for r in results),
                    sorted({r[2] for r in results}),
                )
            )
    print(f"code: {args.code}   runs per case: {args.runs}")
    print(f"{'case':<16} {'first line s':>12} {'done s':>8}  exit codes")
    for name, first, done, codes in rows:
        print(f"{name:<16} {first:>12.1f} {done:>8.1f}  {codes}")


if __name__ == "__main__":
    main()
